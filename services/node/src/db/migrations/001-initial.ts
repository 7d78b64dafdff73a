import { type Kysely, sql } from "kysely";

// Written once for SQLite and PostgreSQL: integer milliseconds as bigint, JSON as text.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("staff")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("username", "text", (c) => c.notNull().unique())
    .addColumn("display_name", "text")
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("referral")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("direction", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("origin_org_id", "text", (c) => c.notNull())
    .addColumn("destination_org_id", "text", (c) => c.notNull())
    .addColumn("urgency", "text", (c) => c.notNull())
    .addColumn("services", "text", (c) => c.notNull())
    .addColumn("summary", "text")
    .addColumn("proposed_arrival", "text")
    .addColumn("respond_by", "bigint")
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("subject_ref", "text", (c) => c.notNull())
    .addColumn("consent", "text", (c) => c.notNull())
    .addColumn("consent_id", "text", (c) => c.notNull())
    .addColumn("decline_reason", "text")
    .addColumn("outcome", "text")
    .addColumn("arrangements", "text")
    .addColumn("created_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("referral_list_idx").on("referral").columns(["created_at", "id"]).execute();
  await db.schema.createIndex("referral_status_idx").on("referral").columns(["status"]).execute();
  await db.schema.createIndex("referral_consent_idx").on("referral").columns(["consent_id"]).execute();

  await db.schema
    .createTable("referral_event")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("referral_id", "text", (c) => c.notNull().references("referral.id"))
    .addColumn("seq", sql`integer`, (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("actor_org_id", "text", (c) => c.notNull())
    .addColumn("actor_staff", "text")
    .addColumn("note", "text")
    .addColumn("message_id", "text")
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("referral_event_referral_idx")
    .on("referral_event")
    .columns(["referral_id", "seq"])
    .execute();

  await db.schema
    .createTable("outbox")
    .addColumn("jti", "text", (c) => c.primaryKey())
    .addColumn("aud", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("thid", "text", (c) => c.notNull())
    .addColumn("envelope", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("last_error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("sent_at", "bigint")
    .addColumn("stream_seq", "bigint")
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("outbox_due_idx").on("outbox").columns(["status", "next_attempt_at"]).execute();

  await db.schema
    .createTable("inbox")
    .addColumn("iss", "text", (c) => c.notNull())
    .addColumn("jti", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("thid", "text", (c) => c.notNull())
    .addColumn("exp", "bigint", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addColumn("stream_seq", "bigint")
    .addPrimaryKeyConstraint("inbox_pk", ["iss", "jti"])
    .execute();

  await db.schema
    .createTable("quarantine")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addColumn("code", "text", (c) => c.notNull())
    .addColumn("detail", "text", (c) => c.notNull())
    .addColumn("stage", "text", (c) => c.notNull())
    .addColumn("iss", "text")
    .addColumn("jti", "text")
    .addColumn("type", "text")
    .addColumn("thid", "text")
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("envelope", "text", (c) => c.notNull())
    .addColumn("stream_seq", "bigint")
    .execute();
  await db.schema
    .createIndex("quarantine_received_idx")
    .on("quarantine")
    .columns(["received_at", "id"])
    .execute();

  await db.schema
    .createTable("node_state")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["node_state", "quarantine", "inbox", "outbox", "referral_event", "referral", "staff"]) {
    await db.schema.dropTable(t).execute();
  }
}
