import type { Kysely } from "kysely";

// Per-person data keys (docs/data-at-rest.md). The keys themselves live in the person key vault, a file
// of their own, never in this database (person-vault.ts); this migration adds what the database needs:
// - referral.purged_at: when the retention job removed the person's data from the row;
// - an index on the person (origin, pseudonym): retention and erasure ask "which referrals of this
//   person still hold their data?" before destroying the person's key.
// Rows written in the clear by earlier versions are sealed at start (personal-data.ts sealClearRows):
// that needs the KEK, which a migration does not have.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("referral").addColumn("purged_at", "bigint").execute();
  await db.schema
    .createIndex("referral_person_idx")
    .on("referral")
    .columns(["origin_org_id", "subject_ref"])
    .execute();
  // The retention job's query: a final state, by the time it was reached, not purged yet.
  await db.schema
    .createIndex("referral_retention_idx")
    .on("referral")
    .columns(["status", "updated_at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("referral_retention_idx").execute();
  await db.schema.dropIndex("referral_person_idx").execute();
  await db.schema.alterTable("referral").dropColumn("purged_at").execute();
}
