import type { Kysely } from "kysely";

// The node's tamper-evident audit trail (docs/audit.md). Written once for SQLite and PostgreSQL:
// integer milliseconds and sequence numbers as bigint, JSON as text.
//
// - `audit_log`: append-only entries, each hash-chained to the one before it. `detail` holds field
//   names, scopes and counts, never a field's value; the subject is named by its pseudonym only.
// - `audit_head`: one row (id 1) holding the last seq and hash, and the seq of the latest checkpoint.
//   Every append updates it first, in the transaction of the action it records, so concurrent appends
//   queue on that row and never fork.
// - `audit_checkpoint`: the chain's head at some seq, signed by the node's Ed25519 signing key, so
//   that an edit below it, or a truncation of the tail below it, shows even if the hashes were redone.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("audit_log")
    .addColumn("seq", "bigint", (c) => c.primaryKey())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("actor_type", "text", (c) => c.notNull())
    .addColumn("actor_id", "text")
    .addColumn("subject_ref", "text")
    .addColumn("consent_id", "text")
    .addColumn("referral_id", "text")
    .addColumn("partner_org_id", "text")
    .addColumn("detail", "text", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .execute();
  // Two entries linking to the same predecessor would be a fork: the database refuses it outright.
  await db.schema.createIndex("audit_log_prev_idx").on("audit_log").column("prev_hash").unique().execute();
  await db.schema.createIndex("audit_log_kind_idx").on("audit_log").columns(["kind", "seq"]).execute();
  await db.schema
    .createIndex("audit_log_subject_idx")
    .on("audit_log")
    .columns(["subject_ref", "seq"])
    .execute();
  await db.schema
    .createIndex("audit_log_referral_idx")
    .on("audit_log")
    .columns(["referral_id", "seq"])
    .execute();
  await db.schema.createIndex("audit_log_at_idx").on("audit_log").columns(["at", "seq"]).execute();

  await db.schema
    .createTable("audit_head")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("seq", "bigint", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("checkpoint_seq", "bigint", (c) => c.notNull())
    .execute();
  // seq 0 and the genesis value (64 zeros, audit/entry.ts GENESIS_HASH): the first entry links to it.
  await (db as Kysely<{ audit_head: { id: number; seq: number; hash: string; checkpoint_seq: number } }>)
    .insertInto("audit_head")
    .values({ id: 1, seq: 0, hash: "0".repeat(64), checkpoint_seq: 0 })
    .execute();

  await db.schema
    .createTable("audit_checkpoint")
    .addColumn("seq", "bigint", (c) => c.primaryKey())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("kid", "text", (c) => c.notNull())
    .addColumn("jws", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["audit_checkpoint", "audit_head", "audit_log"]) await db.schema.dropTable(t).execute();
}
