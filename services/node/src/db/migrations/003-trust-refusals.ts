import type { Kysely } from "kysely";

// Every trust list a node refused (docs/protocol.md §6.4: "the node records the refusal for its
// admins"), kept with the list as received so an admin can see what was offered and why it failed.
// A trust list is public data (public keys, org names), never personal data. Replaces the single
// node_state row `trust.last-refused`, which kept only the latest refusal.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("trust_refusal")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addColumn("version", "integer")
    .addColumn("code", "text", (c) => c.notNull())
    .addColumn("detail", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("list", "text")
    .execute();
  await db.schema
    .createIndex("trust_refusal_received_idx")
    .on("trust_refusal")
    .columns(["received_at", "id"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("trust_refusal").execute();
}
