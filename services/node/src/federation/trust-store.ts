// The trust list in force on this node (docs/protocol.md §6). It starts from a pinned genesis list,
// keeps the last accepted list in the node's own database (so neither a restart nor a rolled-back KV
// entry can take it back to an older list), and applies newer lists from the network's KV bucket.
import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { KV, KvEntry, KvWatchEntry } from "@nats-io/kv";
import { TRUST_LIST_KEY } from "@refnet/protocol";
import {
  type AcceptResult,
  acceptTrustList,
  type GenesisPin,
  MAX_TRUST_LIST_BYTES,
  parseTrustList,
  restoreTrustList,
  type SignedTrustList,
  type TrustList,
  trustListDigest,
  verifyGenesis,
} from "@refnet/trust";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import type { TrustState } from "./contracts.ts";

const STATE_KEY = "trust.list";
/** Refusals an intermediate list from the bucket's history may cure: the admins or threshold changed. */
const BRIDGEABLE: ReadonlySet<string> = new Set(["e.t.threshold", "e.t.new-admins-threshold"]);
/** At most one on-demand fetch of the trust list per this interval (see refresh). */
const REFRESH_INTERVAL_MS = 1000;

/**
 * Refusals kept in trust_refusal; older ones are deleted. Whoever can write the bucket can offer any
 * number of bad lists, and that must not fill the node's disk.
 */
export const MAX_TRUST_REFUSALS = 500;

export interface TrustStoreDeps {
  db: Kysely<Database>;
  network: string;
  logger: Logger;
  clock: { now(): number };
  /** Path of the genesis list; needed only the first time a node starts. */
  genesisPath?: string;
  /** Hex SHA-256 of the genesis list (see trustListDigest); when absent the genesis file itself is trusted. */
  genesisSha256?: string;
  /** How many refusals trust_refusal keeps; MAX_TRUST_REFUSALS by default. */
  maxRefusals?: number;
}

export interface TrustRefusal {
  code: string;
  detail: string;
  version: number | null;
  /** Milliseconds. */
  at: number;
  source: string;
}

export class TrustStore implements TrustState {
  #list: TrustList;
  #kv: KV | undefined;
  #watchStop: (() => void) | undefined;
  #lastRefused: TrustRefusal | undefined;
  /** SHA-256 of the text and the code of the last refusal: the same list refused again is not re-recorded. */
  #lastRefusedKey: string | undefined;
  #listeners = new Set<(list: TrustList) => void>();
  #applying: Promise<unknown> = Promise.resolve();
  #refreshing: Promise<boolean> | undefined;
  #lastRefreshAt = Number.NEGATIVE_INFINITY;
  /** KV revision of the last entry offered, by the watch or a refresh. */
  #lastRevision = 0;

  private constructor(
    private readonly deps: TrustStoreDeps,
    list: TrustList,
  ) {
    this.#list = list;
  }

  /** Loads the list in force from the database, or accepts the pinned genesis on a first start. */
  static async open(deps: TrustStoreDeps): Promise<TrustStore> {
    const nowS = Math.floor(deps.clock.now() / 1000);
    const row = await deps.db
      .selectFrom("node_state")
      .select("value")
      .where("key", "=", STATE_KEY)
      .executeTakeFirst();
    if (row) {
      // What we stored we accepted before; re-verify its own signatures so a tampered database row
      // cannot slip in a list. Expiry is not a reason to refuse it here: an expired list freezes the
      // node (isExpired) until a fresh one arrives, it does not stop it from starting.
      const res = await restoreTrustList(row.value);
      if (!res.ok) {
        throw new Error(`the trust list stored in the database does not verify (${res.code}): ${res.detail}`);
      }
      const store = new TrustStore(deps, res.list);
      await store.#loadLastRefusal();
      return store;
    }
    if (!deps.genesisPath) {
      throw new Error(
        "REFNET_TRUST_GENESIS is required on a node's first start (no trust list is stored yet)",
      );
    }
    const text = await readFile(deps.genesisPath, "utf8");
    let signed: SignedTrustList;
    try {
      signed = JSON.parse(text) as SignedTrustList;
    } catch {
      throw new Error("REFNET_TRUST_GENESIS does not hold a JSON trust list");
    }
    // Without a digest pin, the file the admins handed over out of band is itself the pin: its own
    // admins and threshold must have signed it.
    let pin: GenesisPin;
    if (deps.genesisSha256) {
      pin = { sha256: deps.genesisSha256 };
    } else {
      const parsed = parseTrustList(signed);
      if (!parsed.ok)
        throw new Error(`the genesis trust list is malformed (${parsed.code}): ${parsed.detail}`);
      pin = { adminJwks: parsed.payload.admins.map((a) => a.jwk), threshold: parsed.payload.threshold };
    }
    const res = await verifyGenesis(signed, pin, nowS);
    if (!res.ok) throw new Error(`the genesis trust list was refused (${res.code}): ${res.detail}`);
    if (res.list.network !== deps.network) {
      throw new Error(
        `the genesis trust list is for network ${res.list.network}, not REFNET_NETWORK=${deps.network}`,
      );
    }
    const store = new TrustStore(deps, res.list);
    await store.#persist(res.list);
    deps.logger.info(
      { version: res.list.version, digest: trustListDigest(signed) },
      "genesis trust list accepted",
    );
    return store;
  }

  current(): TrustList {
    return this.#list;
  }

  isExpired(nowMs = this.deps.clock.now()): boolean {
    return this.#list.isExpired(Math.floor(nowMs / 1000));
  }

  lastRefused(): TrustRefusal | undefined {
    return this.#lastRefused;
  }

  onChange(fn: (list: TrustList) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Starts watching the network's trust bucket; a newer valid list is applied as soon as it is seen. */
  async watch(kv: KV): Promise<void> {
    this.#kv = kv;
    const iter = await kv.watch({ key: TRUST_LIST_KEY });
    this.#watchStop = () => iter.stop();
    void (async () => {
      for await (const entry of iter) {
        if (entry.operation !== "PUT") continue;
        await this.#serialised(() => this.offer(entry.string(), "kv"));
        this.#lastRevision = entry.revision;
      }
    })().catch((err: unknown) => {
      this.deps.logger.warn({ err: errorName(err) }, "trust list watch ended");
    });
  }

  stopWatching(): void {
    this.#watchStop?.();
    this.#watchStop = undefined;
  }

  /**
   * Fetches the newest list from KV now (a message named a newer `tlv`, or an unknown signer). An
   * unauthenticated message can ask for this, so concurrent calls share one fetch, a fetch happens at
   * most once per REFRESH_INTERVAL_MS, and a KV entry already offered is not parsed again; the watch
   * applies real updates within milliseconds anyway.
   */
  refresh(): Promise<boolean> {
    if (this.#refreshing) return this.#refreshing;
    const now = performance.now();
    if (now - this.#lastRefreshAt < REFRESH_INTERVAL_MS) return Promise.resolve(false);
    this.#lastRefreshAt = now;
    this.#refreshing = this.#refreshOnce().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<boolean> {
    const kv = this.#kv;
    if (!kv) return false;
    let entry: KvEntry | null;
    try {
      entry = await kv.get(TRUST_LIST_KEY);
    } catch {
      return false;
    }
    if (entry?.operation !== "PUT" || entry.revision === this.#lastRevision) return false;
    const revision = entry.revision;
    const res = await this.#serialised(() => this.offer(entry.string(), "refresh"));
    this.#lastRevision = revision;
    return res.ok;
  }

  /**
   * Offers a candidate list. Older or equal versions are ignored quietly (a KV rollback or replay of
   * the same list); anything else that fails the §6 rules is refused, kept, and logged for admins.
   */
  async offer(
    text: string,
    source: string,
  ): Promise<AcceptResult | { ok: false; code: string; detail: string }> {
    let candidate: SignedTrustList;
    try {
      candidate = JSON.parse(text) as SignedTrustList;
    } catch {
      return this.#refuse({ ok: false, code: "e.t.malformed", detail: "not JSON" }, null, source, text);
    }
    const nowS = Math.floor(this.deps.clock.now() / 1000);
    let res = await acceptTrustList(this.#list.payload, candidate, nowS);
    const version = versionOf(candidate);
    if (!res.ok && BRIDGEABLE.has(res.code) && version !== null && version > this.#list.version + 1) {
      // The admins (or the threshold) changed in a version this node never saw: it was offline, or the
      // watch only delivers the newest value. Apply the versions in between from the bucket's history,
      // then judge the candidate against the list they lead to (docs/protocol.md §6.4).
      if (await this.#bridgeTo(version, source)) {
        res = await acceptTrustList(this.#list.payload, candidate, nowS);
      }
    }
    if (res.ok) {
      await this.#apply(res.list, source);
      return res;
    }
    if (res.code === "e.t.version") return res;
    return this.#refuse(res, version, source, text);
  }

  async #apply(list: TrustList, source: string): Promise<void> {
    await this.#persist(list);
    const from = this.#list.version;
    this.#list = list;
    this.deps.logger.info({ from, to: list.version, source }, "trust list updated");
    for (const fn of this.#listeners) fn(list);
  }

  /**
   * Accepts, in version order, every list of the bucket's history between the one in force and
   * `target` that follows from it; true when at least one was applied. Lists that do not follow are
   * skipped without a refusal record: they are history, not offers.
   */
  async #bridgeTo(target: number, source: string): Promise<boolean> {
    const kv = this.#kv;
    if (!kv) return false;
    const found: { version: number; signed: SignedTrustList }[] = [];
    try {
      const iter = await kv.history({ key: TRUST_LIST_KEY });
      for await (const entry of iter) {
        if (entry.operation !== "PUT") continue;
        const text = entry.string();
        if (Buffer.byteLength(text, "utf8") > MAX_TRUST_LIST_BYTES) continue;
        let signed: SignedTrustList;
        try {
          signed = JSON.parse(text) as SignedTrustList;
        } catch {
          continue;
        }
        const v = versionOf(signed);
        if (v !== null && v > this.#list.version && v < target) found.push({ version: v, signed });
      }
    } catch (err) {
      this.deps.logger.warn({ err: errorName(err) }, "trust list history could not be read");
      return false;
    }
    found.sort((a, b) => a.version - b.version);
    let applied = false;
    for (const { version, signed } of found) {
      if (version <= this.#list.version) continue;
      const nowS = Math.floor(this.deps.clock.now() / 1000);
      const res = await acceptTrustList(this.#list.payload, signed, nowS);
      if (res.ok) {
        await this.#apply(res.list, `${source}+history`);
        applied = true;
      }
    }
    return applied;
  }

  async #refuse(
    res: { ok: false; code: string; detail: string },
    version: number | null,
    source: string,
    text: string,
  ): Promise<{ ok: false; code: string; detail: string }> {
    const at = this.deps.clock.now();
    this.deps.logger.warn({ code: res.code, version, source }, "trust list refused");
    // The same bad list seen again (the watch, then a refresh a message caused) is one refusal, not a
    // row per look: only its first sighting is recorded.
    const key = refusalKey(res.code, text);
    if (key === this.#lastRefusedKey) return res;
    this.#lastRefusedKey = key;
    this.#lastRefused = { code: res.code, detail: res.detail, version, at, source };
    const fits = Buffer.byteLength(text, "utf8") <= MAX_TRUST_LIST_BYTES;
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("trust_refusal")
        .values({
          id: randomUUID(),
          received_at: at,
          version,
          code: res.code,
          detail: res.detail,
          source,
          // Kept as received for the admins; a value too large to be a trust list is not kept.
          list: fits ? text : null,
        })
        .execute();
      const cutoff = await trx
        .selectFrom("trust_refusal")
        .select(["received_at", "id"])
        .orderBy("received_at", "desc")
        .orderBy("id", "desc")
        .offset(this.deps.maxRefusals ?? MAX_TRUST_REFUSALS)
        .limit(1)
        .executeTakeFirst();
      if (cutoff) {
        await trx
          .deleteFrom("trust_refusal")
          .where((eb) =>
            eb.or([
              eb("received_at", "<", cutoff.received_at),
              eb.and([eb("received_at", "=", cutoff.received_at), eb("id", "<=", cutoff.id)]),
            ]),
          )
          .execute();
      }
    });
    return res;
  }

  async #loadLastRefusal(): Promise<void> {
    const row = await this.deps.db
      .selectFrom("trust_refusal")
      .select(["received_at", "version", "code", "detail", "source", "list"])
      .orderBy("received_at", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    if (row) {
      this.#lastRefused = {
        code: row.code,
        detail: row.detail,
        version: row.version === null ? null : Number(row.version),
        at: Number(row.received_at),
        source: row.source,
      };
      // The watch offers the bucket's value again after a restart: the same bad list is not re-recorded.
      if (row.list !== null) this.#lastRefusedKey = refusalKey(row.code, row.list);
    }
  }

  async #persist(list: TrustList): Promise<void> {
    const value = JSON.stringify(list.signed);
    const now = this.deps.clock.now();
    await this.deps.db
      .insertInto("node_state")
      .values({ key: STATE_KEY, value, updated_at: now })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value, updated_at: now }))
      .execute();
  }

  #serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#applying.then(fn, fn);
    this.#applying = next.catch(() => undefined);
    return next;
  }
}

/**
 * The list in force as this node stored it, re-verified against its own signatures, or undefined when
 * the node has not stored one yet. For `refnet keys`, which runs beside the node on its database.
 */
export async function readStoredTrustList(db: Kysely<Database>): Promise<TrustList | undefined> {
  const row = await db
    .selectFrom("node_state")
    .select("value")
    .where("key", "=", STATE_KEY)
    .executeTakeFirst();
  if (!row) return undefined;
  const res = await restoreTrustList(row.value);
  if (!res.ok)
    throw new Error(`the trust list stored in the database does not verify (${res.code}): ${res.detail}`);
  return res.list;
}

function refusalKey(code: string, text: string): string {
  return `${code} ${createHash("sha256").update(text).digest("hex")}`;
}

function versionOf(signed: SignedTrustList): number | null {
  try {
    const payload = JSON.parse(Buffer.from(signed.payload, "base64url").toString("utf8")) as {
      version?: unknown;
    };
    return typeof payload.version === "number" ? payload.version : null;
  } catch {
    return null;
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "unknown";
}

export type { KvWatchEntry };
