// Per-person data keys and crypto-shredding (docs/data-at-rest.md).
//
// Every person the node holds data about (a subject pseudonym, named by the organization that chose
// it) gets a random 256-bit data key (DEK). Their fields are stored as AES-256-GCM ciphertext under it,
// bound by the AAD to the row and column they belong to. The DEKs live here, wrapped (AES-256-GCM)
// under a subkey of the node's KEK, in a SQLite file of their own beside the database, NOT in the
// database: destroying a person's DEK here makes every copy of their fields unreadable, including the
// copies inside backups of the database. That only holds if this file is not kept in long-lived
// backups itself, hence its own file (for SQLite and PostgreSQL deployments alike).
//
// The file runs with secure_delete (a deleted key's bytes are overwritten, not left in a free page),
// synchronous=FULL (a key is on disk before any row sealed under it can commit) and WAL, checkpointed
// and truncated after every destruction so no old copy of the page lingers in the log.
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { GroupCommit } from "./db/group-commit.ts";
import { AppError } from "./errors.ts";
import type { KeyEncryptionKey } from "./kek.ts";

/**
 * A person as the network knows them: the pseudonym (`subject.ref`, docs/protocol.md §5.2) and the
 * organization that chose it (the referral's origin). Two origins may pick the same pseudonym for two
 * different people, so the pseudonym alone does not name a person.
 */
export interface Person {
  originOrgId: string;
  subjectRef: string;
}

/** The vault file cannot be used as it is (wrong KEK, another node's vault, unreadable file). */
export class VaultError extends AppError {
  override readonly name = "VaultError";
  constructor(
    message: string,
    /** Why, where a caller acts on it: `kek` = sealed under another KEK; `in-use` = another process has it open. */
    readonly reason?: "kek" | "in-use",
  ) {
    super("ERR_VAULT", message);
  }
}

/** Stored personal data failed its authentication: altered, or moved to another row or person. */
export class DataIntegrityError extends AppError {
  override readonly name = "DataIntegrityError";
  constructor(message: string) {
    super("ERR_DATA_INTEGRITY", message);
  }
}

/** Version prefix of a sealed value: `pd1.<kid>.<base64url(iv ‖ ciphertext ‖ tag)>`. */
export const SEALED_PREFIX = "pd1.";
const SEALED = /^pd1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{38,})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DEK_BYTES = 32;
const FORMAT = "1";
const CHECK_PLAINTEXT = Buffer.from("refnet person key vault v1", "utf8");

/** True when `value` has the shape of a sealed value (it may still fail to open). */
export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

interface CachedKey {
  person: string;
  dek: Buffer;
}

interface KeyRow {
  kid: string;
  origin_org_id: string;
  subject_ref: string;
  wrapped: Buffer;
  retired_at: number | null;
}

export interface PersonVaultOptions {
  /** Milliseconds since the epoch, for the keys' creation time. */
  now?: () => number;
  /** How many unwrapped DEKs to keep in memory; 4096 by default. */
  cacheSize?: number;
}

export class PersonVault {
  readonly #db: SQLite.Database;
  readonly #wrapKey: Buffer;
  readonly #now: () => number;
  readonly #cacheSize: number;
  /** kid → unwrapped key, least recently used first. */
  readonly #cache = new Map<string, CachedKey>();
  /** person → kid of their key, for sealing (entries follow #cache). */
  readonly #current = new Map<string, string>();
  readonly #stmt: {
    byKid: SQLite.Statement<[string], KeyRow>;
    byPerson: SQLite.Statement<[string, string], KeyRow>;
    insert: SQLite.Statement<[string, string, string, Buffer, number]>;
    kidsOf: SQLite.Statement<[string, string], { kid: string }>;
    remove: SQLite.Statement<[string, string]>;
    removeKid: SQLite.Statement<[string]>;
    retire: SQLite.Statement<[number, string, string]>;
    retired: SQLite.Statement<[], { kid: string; origin_org_id: string; subject_ref: string }>;
    count: SQLite.Statement<[], { n: number }>;
  };
  #closed = false;
  #rewrapped = false;
  /** Flushes of keys made ahead of use (prepareKey), off the event loop; undefined for ":memory:". */
  readonly #flusher: GroupCommit | undefined;
  /** Keys made by prepareKey whose flush has not completed: #keyFor flushes before handing one out. */
  readonly #unflushed = new Set<string>();

  private constructor(
    readonly path: string,
    /** Random id of this vault, also recorded in the database it serves (context.ts binds the two). */
    readonly id: string,
    db: SQLite.Database,
    wrapKey: Buffer,
    opts: PersonVaultOptions,
  ) {
    this.#db = db;
    this.#wrapKey = wrapKey;
    this.#now = opts.now ?? Date.now;
    this.#cacheSize = opts.cacheSize ?? 4096;
    this.#flusher = path === ":memory:" ? undefined : new GroupCommit({ path });
    this.#stmt = {
      byKid: db.prepare(
        "select kid, origin_org_id, subject_ref, wrapped, retired_at from person_key where kid = ?",
      ),
      // The key new values are sealed under: the one not retired.
      byPerson: db.prepare(
        "select kid, origin_org_id, subject_ref, wrapped, retired_at from person_key " +
          "where origin_org_id = ? and subject_ref = ? and retired_at is null",
      ),
      insert: db.prepare(
        "insert into person_key (kid, origin_org_id, subject_ref, wrapped, created_at) values (?, ?, ?, ?, ?) " +
          "on conflict (origin_org_id, subject_ref) where retired_at is null do nothing",
      ),
      kidsOf: db.prepare("select kid from person_key where origin_org_id = ? and subject_ref = ?"),
      remove: db.prepare("delete from person_key where origin_org_id = ? and subject_ref = ?"),
      removeKid: db.prepare("delete from person_key where kid = ?"),
      retire: db.prepare(
        "update person_key set retired_at = ? where origin_org_id = ? and subject_ref = ? and retired_at is null",
      ),
      retired: db.prepare(
        "select kid, origin_org_id, subject_ref from person_key where retired_at is not null order by created_at, kid",
      ),
      count: db.prepare("select count(*) as n from person_key"),
    };
  }

  /** Whether a vault file exists at `path` (":memory:" never does). */
  static exists(path: string): boolean {
    return path !== ":memory:" && existsSync(path);
  }

  /**
   * Opens the vault at `path`, creating it (mode 0600) when absent. Refuses a file others can read,
   * one of another format, and one whose keys were wrapped under another KEK.
   */
  static open(path: string, kek: KeyEncryptionKey, opts: PersonVaultOptions = {}): PersonVault {
    const fresh = !PersonVault.exists(path);
    if (path !== ":memory:") {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      if (!fresh && process.platform !== "win32") {
        const mode = statSync(path).mode;
        if ((mode & 0o077) !== 0) {
          throw new VaultError(
            `The person key vault ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
          );
        }
      }
    }
    let db: SQLite.Database;
    try {
      db = new SQLite(path);
    } catch (err) {
      throw new VaultError(
        `The person key vault ${path} cannot be opened (${(err as { code?: string }).code ?? "error"}).`,
      );
    }
    try {
      // Before the WAL and shared-memory files exist: SQLite gives them the database file's mode.
      if (fresh && path !== ":memory:") chmodSync(path, 0o600);
      db.pragma("secure_delete = ON");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      db.exec(
        `create table if not exists meta (key text primary key, value text not null);
         create table if not exists person_key (
           kid text primary key,
           origin_org_id text not null,
           subject_ref text not null,
           wrapped blob not null,
           created_at integer not null,
           retired_at integer
         );
         create index if not exists person_key_person on person_key (origin_org_id, subject_ref);
         create unique index if not exists person_key_current on person_key (origin_org_id, subject_ref)
           where retired_at is null;`,
      );
      const wrapKey = kek.subkey("person-key-wrap");
      const meta = new Map(
        (db.prepare("select key, value from meta").all() as { key: string; value: string }[]).map((r) => [
          r.key,
          r.value,
        ]),
      );
      let id = meta.get("vault_id");
      if (id === undefined) {
        const keys = (db.prepare("select count(*) as n from person_key").get() as { n: number }).n;
        if (keys > 0) throw new VaultError(`The person key vault ${path} holds keys but no vault id.`);
        id = randomBytes(12).toString("base64url");
        const check = seal(kek.subkey("vault-check"), CHECK_PLAINTEXT, checkAad(id));
        const put = db.prepare("insert into meta (key, value) values (?, ?)");
        db.transaction(() => {
          put.run("format", FORMAT);
          put.run("vault_id", id!);
          put.run("kek_id", kek.id);
          put.run("kek_check", check.toString("base64url"));
          put.run("created_at", String((opts.now ?? Date.now)()));
        })();
      } else {
        if (meta.get("format") !== FORMAT) {
          throw new VaultError(
            `The person key vault ${path} is of an unknown format (${meta.get("format")}).`,
          );
        }
        const check = Buffer.from(meta.get("kek_check") ?? "", "base64url");
        const opened = tryOpen(kek.subkey("vault-check"), check, checkAad(id));
        if (!opened || !timingSafeEqualLen(opened, CHECK_PLAINTEXT)) {
          throw new VaultError(
            `The person key vault ${path} was made under another KEK (id ${meta.get("kek_id") ?? "?"}); ` +
              `the KEK from ${kek.origin} has id ${kek.id}. Start the node with the KEK this vault was made with.`,
            "kek",
          );
        }
      }
      return new PersonVault(path, id, db, wrapKey, opts);
    } catch (err) {
      db.close();
      if (err instanceof AppError) throw err;
      throw new VaultError(
        `The person key vault ${path} cannot be used (${(err as { code?: string }).code ?? "error"}): is it a vault file?`,
      );
    }
  }

  /**
   * Opens an existing vault for `refnet kek rotate` and takes an exclusive lock on it, held until
   * close: refuses (reason `in-use`) while another process, a running node, has the file open, and
   * keeps a node from starting until the lock is released. Never creates a vault.
   */
  static openExclusive(path: string, kek: KeyEncryptionKey): PersonVault {
    if (!PersonVault.exists(path))
      throw new VaultError(`No person key vault at ${path} (REFNET_VAULT_FILE).`);
    const vault = PersonVault.open(path, kek);
    const db = vault.#db;
    try {
      db.pragma("busy_timeout = 0");
      // In EXCLUSIVE locking mode the first write takes the file lock and keeps it until close; an
      // empty write transaction is enough. Another connection (WAL or not) makes it fail at once.
      db.pragma("locking_mode = EXCLUSIVE");
      db.transaction(() => undefined).exclusive();
    } catch (err) {
      vault.close();
      if ((err as { code?: string }).code === "SQLITE_BUSY") {
        throw new VaultError(
          `The person key vault ${path} is in use by another process: stop the node first.`,
          "in-use",
        );
      }
      throw err;
    }
    return vault;
  }

  /**
   * Re-wraps every person key under `next` and replaces the KEK check value, in ONE transaction: the
   * vault is either wholly under the old KEK or wholly under the new one (docs/data-at-rest.md,
   * "Changing the KEK"). Each key is unwrapped and checked first; a key that fails aborts everything.
   * The WAL is then checkpointed and truncated (with secure_delete) so no page of old wrappings stays
   * behind in the log. Returns how many keys were re-wrapped. The object is unusable afterwards except
   * for close(), which releases the lock.
   */
  rewrap(next: KeyEncryptionKey): number {
    this.#assertOpen();
    const db = this.#db;
    const nextWrap = next.subkey("person-key-wrap");
    const rows = db.prepare("select kid, origin_org_id, subject_ref, wrapped from person_key").all() as Omit<
      KeyRow,
      "retired_at"
    >[];
    const update = db.prepare("update person_key set wrapped = ? where kid = ?");
    const put = db.prepare("update meta set value = ? where key = ?");
    const count = db
      .transaction(() => {
        for (const row of rows) {
          const person = { originOrgId: row.origin_org_id, subjectRef: row.subject_ref };
          const aad = wrapAad(this.id, row.kid, person);
          const dek = tryOpen(this.#wrapKey, row.wrapped, aad);
          if (!dek || dek.length !== DEK_BYTES) {
            throw new DataIntegrityError(
              `A key in the person key vault ${this.path} failed its integrity check.`,
            );
          }
          update.run(seal(nextWrap, dek, aad), row.kid);
          dek.fill(0);
        }
        const check = seal(next.subkey("vault-check"), CHECK_PLAINTEXT, checkAad(this.id));
        if (put.run(check.toString("base64url"), "kek_check").changes !== 1) {
          throw new VaultError(`The person key vault ${this.path} has no KEK check value.`);
        }
        put.run(next.id, "kek_id");
        return rows.length;
      })
      .exclusive();
    db.pragma("wal_checkpoint(TRUNCATE)");
    for (const kid of [...this.#cache.keys()]) this.#evict(kid);
    // This object still holds the old wrapping key: it must not seal or open again. The connection
    // (and the exclusive lock) stays until close, so the caller can finish the rotation first.
    this.#rewrapped = true;
    return count;
  }

  /**
   * Encrypts `plaintext` (a person's field) under the person's DEK, made on first use. `aad` names
   * where the value is stored (table, row id, column): the value opens only there.
   */
  seal(person: Person, aad: string, plaintext: string): string {
    const { kid, dek } = this.#keyFor(person);
    const box = seal(dek, Buffer.from(plaintext, "utf8"), fieldAad(kid, aad));
    return `${SEALED_PREFIX}${kid}.${box.toString("base64url")}`;
  }

  /**
   * Decrypts a value sealed for `person` at `aad`. Undefined when the person's key was destroyed
   * (crypto-shredded): the value is gone for good. Throws DataIntegrityError when the value was
   * altered, belongs to another person or another place, or is not a sealed value at all.
   */
  open(person: Person, aad: string, sealed: string): string | undefined {
    const m = SEALED.exec(sealed);
    if (!m) throw new DataIntegrityError("A stored value that must be sealed is not.");
    const kid = m[1]!;
    const key = this.#keyByKid(kid);
    if (!key) return undefined;
    if (key.person !== personKey(person)) {
      throw new DataIntegrityError("A sealed value was found under another person than its own.");
    }
    const opened = tryOpen(key.dek, Buffer.from(m[2]!, "base64url"), fieldAad(kid, aad));
    if (!opened) throw new DataIntegrityError("A sealed value failed its integrity check.");
    return opened.toString("utf8");
  }

  /**
   * Crypto-shredding: destroys the person's key, so that everything ever sealed for them, here or in
   * any copy of the database, can no longer be read. Returns how many keys were destroyed (retired
   * ones included).
   */
  destroy(person: Person): number {
    this.#assertOpen();
    const kids = this.#stmt.kidsOf.all(person.originOrgId, person.subjectRef).map((r) => r.kid);
    const removed = this.#stmt.remove.run(person.originOrgId, person.subjectRef).changes;
    for (const kid of kids) this.#evict(kid);
    this.#current.delete(personKey(person));
    if (removed > 0) {
      // secure_delete zeroed the row in the new page image; the checkpoint writes that image over the
      // old one in the main file and truncates the log, so no copy of the wrapped key stays behind.
      this.#db.pragma("wal_checkpoint(TRUNCATE)");
    }
    return removed;
  }

  /**
   * Gives the person a new key for what is sealed from now on and retires the one they had, which
   * still opens what it sealed until destroyKey. Re-sealing the person's values under the new key and
   * then destroying the retired one (personal-data.ts rekeyPerson) makes values removed in between,
   * say the fields of a revoked scope, unreadable in backups too. Returns the retired kids.
   */
  rotate(person: Person): string[] {
    this.#assertOpen();
    const before = this.#stmt.byPerson.get(person.originOrgId, person.subjectRef);
    this.#db.transaction(() => {
      this.#stmt.retire.run(this.#now(), person.originOrgId, person.subjectRef);
    })();
    this.#current.delete(personKey(person));
    this.#keyFor(person);
    return before ? [before.kid] : [];
  }

  /** Retired keys not destroyed yet, with their person: what rekeyPerson left to destroyKey. */
  retiredKeys(): { kid: string; person: Person }[] {
    this.#assertOpen();
    return this.#stmt.retired
      .all()
      .map((r) => ({ kid: r.kid, person: { originOrgId: r.origin_org_id, subjectRef: r.subject_ref } }));
  }

  /** Destroys one key (a retired one no value needs any more); true when it existed. */
  destroyKey(kid: string): boolean {
    this.#assertOpen();
    const removed = this.#stmt.removeKid.run(kid).changes;
    this.#evict(kid);
    if (removed > 0) this.#db.pragma("wal_checkpoint(TRUNCATE)");
    return removed > 0;
  }

  /** Whether the person has a key (their sealed data can be read). */
  hasKey(person: Person): boolean {
    this.#assertOpen();
    return this.#stmt.kidsOf.get(person.originOrgId, person.subjectRef) !== undefined;
  }

  /** How many person keys the vault holds (for metrics and tests; names no one). */
  keyCount(): number {
    this.#assertOpen();
    return this.#stmt.count.get()!.n;
  }

  /**
   * Makes the person's key ahead of the transaction that will seal under it, without holding the event
   * loop for the disk: the key is committed without waiting (synchronous=NORMAL for that one write) and
   * the vault's log is flushed on the thread pool, one flush for every key made meanwhile. When this
   * resolves the key is on disk, so the invariant of #keyFor holds: no row sealed under a key commits
   * before the key is durable. A person who already has a key costs one lookup.
   */
  async prepareKey(person: Person): Promise<void> {
    this.#assertOpen();
    const known = this.#current.get(personKey(person));
    if (known && !this.#unflushed.has(known)) return;
    if (!known && this.#stmt.byPerson.get(person.originOrgId, person.subjectRef)) return;
    if (!this.#flusher) {
      this.#keyFor(person);
      return;
    }
    let kid = known;
    if (!kid) {
      this.#db.pragma("synchronous = NORMAL");
      let row: KeyRow;
      try {
        row = this.#createKey(person);
      } finally {
        this.#db.pragma("synchronous = FULL");
      }
      kid = row.kid;
      this.#unflushed.add(kid);
      this.#flusher.noteWrite();
      this.#remember(row);
    }
    // A failed flush leaves the key marked: #keyFor then flushes it itself, or fails loudly.
    await this.#flusher.durable();
    this.#unflushed.delete(kid);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const kid of [...this.#cache.keys()]) this.#evict(kid);
    void this.#flusher?.close();
    this.#db.close();
  }

  #keyFor(person: Person): { kid: string; dek: Buffer } {
    this.#assertOpen();
    const pk = personKey(person);
    const known = this.#current.get(pk);
    if (known) {
      const cached = this.#touch(known);
      if (cached) return { kid: known, dek: cached.dek };
    }
    // Made here, the key is committed at synchronous=FULL: on disk before this returns.
    const row = this.#stmt.byPerson.get(person.originOrgId, person.subjectRef) ?? this.#createKey(person);
    if (this.#unflushed.has(row.kid)) {
      // Made by prepareKey, its flush not yet complete: flush now, before anything is sealed under it.
      this.#flusher?.flushSync();
      this.#unflushed.delete(row.kid);
    }
    const key = this.#remember(row);
    return { kid: row.kid, dek: key.dek };
  }

  #createKey(person: Person): KeyRow {
    const kid = randomBytes(16).toString("base64url");
    const dek = randomBytes(DEK_BYTES);
    const wrapped = seal(this.#wrapKey, dek, wrapAad(this.id, kid, person));
    dek.fill(0);
    this.#stmt.insert.run(kid, person.originOrgId, person.subjectRef, wrapped, this.#now());
    // Another process may have made one at the same moment (the insert then did nothing): use the
    // key that is in the file, whichever it is.
    const row = this.#stmt.byPerson.get(person.originOrgId, person.subjectRef);
    if (!row) throw new VaultError(`The person key vault ${this.path} did not keep a new key.`);
    return row;
  }

  #keyByKid(kid: string): CachedKey | undefined {
    this.#assertOpen();
    const cached = this.#touch(kid);
    if (cached) return cached;
    const row = this.#stmt.byKid.get(kid);
    return row ? this.#remember(row) : undefined;
  }

  #remember(row: KeyRow): CachedKey {
    const person = { originOrgId: row.origin_org_id, subjectRef: row.subject_ref };
    const opened = tryOpen(this.#wrapKey, row.wrapped, wrapAad(this.id, row.kid, person));
    if (!opened || opened.length !== DEK_BYTES) {
      throw new DataIntegrityError(`A key in the person key vault ${this.path} failed its integrity check.`);
    }
    // A small Buffer is a slice of an 8 KiB pool shared with other allocations: a cached key would
    // keep its whole slab alive (thousands of keys, tens of MB). The key gets 32 bytes of its own.
    const dek = Buffer.allocUnsafeSlow(DEK_BYTES);
    opened.copy(dek);
    opened.fill(0);
    const entry = { person: personKey(person), dek };
    this.#cache.set(row.kid, entry);
    // Only the key not retired seals; a retired one is remembered to open what it sealed.
    if (row.retired_at === null) this.#current.set(entry.person, row.kid);
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#evict(oldest);
    }
    return entry;
  }

  #touch(kid: string): CachedKey | undefined {
    const entry = this.#cache.get(kid);
    if (!entry) return undefined;
    this.#cache.delete(kid);
    this.#cache.set(kid, entry);
    return entry;
  }

  #evict(kid: string): void {
    const entry = this.#cache.get(kid);
    if (!entry) return;
    this.#cache.delete(kid);
    if (this.#current.get(entry.person) === kid) this.#current.delete(entry.person);
    // Not a guarantee (copies may exist elsewhere in memory), but no reason to keep it either.
    entry.dek.fill(0);
  }

  #assertOpen(): void {
    if (this.#closed || this.#rewrapped) throw new VaultError("The person key vault is closed.");
  }
}

function personKey(p: Person): string {
  // Organization ids never contain a newline (docs/protocol.md §1), so this cannot be ambiguous.
  return `${p.originOrgId}\n${p.subjectRef}`;
}

function fieldAad(kid: string, aad: string): Buffer {
  return Buffer.from(`refnet/pd1\u0000${kid}\u0000${aad}`, "utf8");
}

function wrapAad(vaultId: string, kid: string, p: Person): Buffer {
  return Buffer.from(
    `refnet/person-key/v1\u0000${vaultId}\u0000${kid}\u0000${p.originOrgId}\u0000${p.subjectRef}`,
    "utf8",
  );
}

function checkAad(vaultId: string): Buffer {
  return Buffer.from(`refnet/vault-check/v1\u0000${vaultId}`, "utf8");
}

/** AES-256-GCM with a random 96-bit IV: iv ‖ ciphertext ‖ tag. */
function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ct, cipher.getAuthTag()]);
}

/** The plaintext, or undefined when authentication fails. */
function tryOpen(key: Buffer, box: Buffer, aad: Buffer): Buffer | undefined {
  if (box.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, box.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
    return Buffer.concat([decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function timingSafeEqualLen(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
