// The audit trail of a node (docs/audit.md): every disclosure of a person's data to a partner, every
// read of it through GraphQL, and every consent, erasure, purge and export, as an append-only chain of
// hashed entries with signed checkpoints.
//
// - An entry is appended INSIDE the transaction of the action it records: both commit, or neither.
// - Appends are serialised by the one `audit_head` row, updated first (on PostgreSQL the UPDATE holds
//   its row lock until commit; SQLite has one writer at a time): two transactions never link to the
//   same predecessor, and the unique index on prev_hash would refuse it if they tried.
// - Every `everyEntries` entries the node signs a checkpoint in the same transaction as the entry that
//   reaches the count; every `everySeconds` (and at stop) it signs one for whatever is not yet covered.
import type { SigningKey } from "@refnet/protocol";
import type { Kysely, Selectable, Transaction } from "kysely";
import type { Logger } from "pino";
import type { AuditLogTable, Database } from "../db/schema.ts";
import type { Clock } from "../domain/types.ts";
import { describe } from "../graphql/errors.ts";
import { signCheckpoint } from "./checkpoint.ts";
import {
  type AuditEntry,
  type AuditEntryInput,
  type AuditKind,
  actorColumns,
  actorOf,
  assertSafeEntry,
  canonicalDetail,
  entryHash,
} from "./entry.ts";

/** What the domain and GraphQL code call: one function to record, in the caller's transaction or its own. */
export interface AuditTrail {
  /** Appends one entry in `trx`, the transaction of the action it records. */
  append(trx: Transaction<Database>, entry: AuditEntryInput): Promise<AuditEntry>;
  /** Appends several entries, in order, in `trx`. */
  appendMany(trx: Transaction<Database>, entries: readonly AuditEntryInput[]): Promise<AuditEntry[]>;
  /** Appends entries in a transaction of their own: for what is not a write (a read of data). */
  record(entries: readonly AuditEntryInput[]): Promise<AuditEntry[]>;
}

export interface CheckpointPolicy {
  /** Sign a checkpoint once this many entries follow the latest one. */
  everyEntries: number;
  /** Sign one this often (seconds) when any entry follows the latest one. */
  everySeconds: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyEntries: 100, everySeconds: 300 };

export interface AuditLogDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  network: string;
  orgId: string;
  /** The node's Ed25519 signing key in force; throws when there is none. */
  signingKey(): SigningKey;
  checkpoints?: CheckpointPolicy;
}

export interface CheckpointRecord {
  seq: number;
  hash: string;
  at: number;
  kid: string;
  jws: string;
}

/** At most this many rows in one INSERT: far below SQLite's and PostgreSQL's parameter limits. */
const INSERT_CHUNK = 500;

export class AuditLog implements AuditTrail {
  readonly policy: CheckpointPolicy;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(private readonly deps: AuditLogDeps) {
    this.policy = deps.checkpoints ?? DEFAULT_CHECKPOINT_POLICY;
  }

  async append(trx: Transaction<Database>, entry: AuditEntryInput): Promise<AuditEntry> {
    const [e] = await this.appendMany(trx, [entry]);
    return e!;
  }

  async appendMany(trx: Transaction<Database>, entries: readonly AuditEntryInput[]): Promise<AuditEntry[]> {
    if (!trx.isTransaction) {
      // The point of the trail is that action and entry commit together; outside a transaction
      // they could not. A programming error, never bad input.
      throw new Error("audit entries are appended inside the transaction of the action they record");
    }
    if (entries.length === 0) return [];
    const details = entries.map((e) => {
      assertSafeEntry(e);
      return canonicalDetail(e.detail ?? {});
    });
    // Reserve the seqs first: this UPDATE takes the head row's lock (PostgreSQL) or the write lock
    // (SQLite) and keeps it until commit, so no other append can read the same head meanwhile.
    const head = await trx
      .updateTable("audit_head")
      .set((eb) => ({ seq: eb("seq", "+", entries.length) }))
      .where("id", "=", 1)
      .returning(["seq", "hash", "checkpoint_seq"])
      .executeTakeFirst();
    if (!head) throw new Error("the audit trail has no head row (migration 004, or the row was deleted)");
    const at = this.deps.clock.now();
    let seq = Number(head.seq) - entries.length;
    let prev = head.hash;
    const rows: Selectable<AuditLogTable>[] = entries.map((e, i) => {
      seq += 1;
      const row = {
        seq,
        at,
        kind: e.kind,
        ...actorColumns(e.actor),
        subject_ref: e.subjectRef ?? null,
        consent_id: e.consentId ?? null,
        referral_id: e.referralId ?? null,
        partner_org_id: e.partnerOrgId ?? null,
        detail: details[i]!,
        prev_hash: prev,
      };
      const hash = entryHash(row);
      prev = hash;
      return { ...row, hash };
    });
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx
        .insertInto("audit_log")
        .values(rows.slice(i, i + INSERT_CHUNK))
        .execute();
    }
    const last = rows.at(-1)!;
    let checkpointSeq = Number(head.checkpoint_seq);
    if (last.seq - checkpointSeq >= this.policy.everyEntries) {
      // Signed in this transaction: the checkpoint commits with the entry it covers, or not at all.
      if (await this.#insertCheckpoint(trx, last.seq, last.hash)) checkpointSeq = last.seq;
    }
    await trx
      .updateTable("audit_head")
      .set({ hash: last.hash, checkpoint_seq: checkpointSeq })
      .where("id", "=", 1)
      .execute();
    return rows.map(toAuditEntry);
  }

  record(entries: readonly AuditEntryInput[]): Promise<AuditEntry[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.deps.db.transaction().execute((trx) => this.appendMany(trx, entries));
  }

  /**
   * Signs a checkpoint for the head as committed, unless the latest checkpoint already covers it.
   * Returns the checkpoint made, if any. Serialised with appends by the head row.
   */
  async checkpointNow(): Promise<CheckpointRecord | undefined> {
    return this.deps.db.transaction().execute(async (trx) => {
      // A no-op update: it takes the head row's lock like an append does, then reads it.
      const head = await trx
        .updateTable("audit_head")
        .set((eb) => ({ seq: eb.ref("seq") }))
        .where("id", "=", 1)
        .returning(["seq", "hash", "checkpoint_seq"])
        .executeTakeFirst();
      if (!head) throw new Error("the audit trail has no head row (migration 004, or the row was deleted)");
      const seq = Number(head.seq);
      if (seq === 0 || seq <= Number(head.checkpoint_seq)) return undefined;
      const made = await this.#insertCheckpoint(trx, seq, head.hash);
      if (!made) return undefined;
      await trx.updateTable("audit_head").set({ checkpoint_seq: seq }).where("id", "=", 1).execute();
      return made;
    });
  }

  /** Signs and stores a checkpoint in `trx`; logs and returns undefined when the node cannot sign. */
  async #insertCheckpoint(
    trx: Transaction<Database>,
    seq: number,
    hash: string,
  ): Promise<CheckpointRecord | undefined> {
    let signer: SigningKey;
    try {
      signer = this.deps.signingKey();
    } catch (err) {
      // The entries still commit: an action is never refused for want of a checkpoint. The next
      // append or the timer tries again.
      this.deps.logger.error({ err: describe(err), seq }, "audit checkpoint not signed: no signing key");
      return undefined;
    }
    const at = this.deps.clock.now();
    const jws = await signCheckpoint(
      { network: this.deps.network, orgId: this.deps.orgId, seq, hash, at },
      signer,
    );
    const record: CheckpointRecord = { seq, hash, at, kid: signer.kid, jws };
    await trx.insertInto("audit_checkpoint").values(record).execute();
    return record;
  }

  /** Signs a checkpoint every `everySeconds` when entries wait for one. Idempotent. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    const tick = () => {
      this.#running = this.checkpointNow()
        .then((c) => {
          if (c) this.deps.logger.debug({ seq: c.seq }, "audit checkpoint signed");
        })
        .catch((err: unknown) => {
          this.deps.logger.warn({ err: describe(err) }, "audit checkpoint failed");
        })
        .finally(() => {
          this.#running = undefined;
          if (this.#timer && !this.#stopped) {
            this.#timer = setTimeout(tick, this.policy.everySeconds * 1000);
            this.#timer.unref();
          }
        });
    };
    this.#timer = setTimeout(tick, this.policy.everySeconds * 1000);
    this.#timer.unref();
  }

  /**
   * Stops the timer and signs a last checkpoint, so that a restart does not leave the tail uncovered
   * (a failure is logged: stopping goes on). Call before the database closes.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.checkpointNow().catch((err: unknown) => {
      this.deps.logger.warn({ err: describe(err) }, "audit checkpoint at stop failed");
    });
  }

  /** The signed checkpoints, oldest first. */
  async checkpoints(): Promise<CheckpointRecord[]> {
    const rows = await this.deps.db.selectFrom("audit_checkpoint").selectAll().orderBy("seq").execute();
    return rows.map((r) => ({ ...r, seq: Number(r.seq), at: Number(r.at) }));
  }

  /** The last seq and hash as committed. */
  async head(): Promise<{ seq: number; hash: string }> {
    const h = await this.deps.db
      .selectFrom("audit_head")
      .select(["seq", "hash"])
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    return { seq: Number(h.seq), hash: h.hash };
  }
}

export function toAuditEntry(row: Selectable<AuditLogTable>): AuditEntry {
  let detail: AuditEntry["detail"];
  try {
    detail = JSON.parse(row.detail) as AuditEntry["detail"];
  } catch {
    // Only an edited row can hold text that is not JSON; verification reports it, listing still works.
    detail = {};
  }
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    kind: row.kind as AuditKind,
    actor: actorOf(row.actor_type, row.actor_id),
    subjectRef: row.subject_ref,
    consentId: row.consent_id,
    referralId: row.referral_id,
    partnerOrgId: row.partner_org_id,
    detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
