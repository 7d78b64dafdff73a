import { type Kysely, sql } from "kysely";

// Outbox rows are published in the order they were written. `created_at` has millisecond resolution
// and `jti` is random, so two messages to one partner in the same millisecond (an accept and the
// update right after it) could go out reversed; `seq` is assigned by the node, strictly increasing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("outbox").addColumn("seq", "bigint").execute();
  await sql`update outbox set seq = created_at * 1000`.execute(db);
  await db.schema.createIndex("outbox_seq_idx").on("outbox").columns(["status", "seq"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("outbox_seq_idx").execute();
  await db.schema.alterTable("outbox").dropColumn("seq").execute();
}
