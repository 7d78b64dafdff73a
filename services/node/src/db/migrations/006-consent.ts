import { type Kysely, sql } from "kysely";

// Consent records, lawful overrides, revocation across borders and erasure (docs/consent.md,
// docs/protocol.md §5.5–§5.6). Written once for SQLite and PostgreSQL: integer milliseconds as bigint,
// JSON as text.
//
// - `consent`: what the person agreed to (or the approved override), recorded at the origin.
// - `consent_revocation` and `consent_revocation_notice`: each revocation the origin made, and per
//   referral sent under the consent the `consent.revoke` it queued and whether the recipient answered
//   `consent.erased`.
// - `consent_revoked_by_origin`: at a recipient, every revocation received (§5.6: refuse later messages
//   under that consent), kept at least as long as the consent would have lasted.
// - `subject_erasure`: the record that a person's data was erased on this node, and why.
// - referral: when its consent expires (the recipient's expiry sweep) and what was erased from it.
// - quarantine: the consent and the person a verified refused message was about, so that revocation,
//   expiry and whole-person erasure reach the envelopes held there too (the node can decrypt them).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("consent")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("subject_ref", "text", (c) => c.notNull())
    .addColumn("given_by", "text")
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("language", "text", (c) => c.notNull())
    .addColumn("text_version", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("purposes", "text", (c) => c.notNull())
    .addColumn("recipients", "text", (c) => c.notNull())
    .addColumn("granted_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("recorded_by", "text")
    .addColumn("recorded_at", "bigint", (c) => c.notNull())
    .addColumn("override_reason", "text")
    .addColumn("override_note", "text")
    .addColumn("override_requested_by", "text")
    .addColumn("override_approved_by", "text")
    .addColumn("override_approved_at", "bigint")
    .addColumn("revoked_scopes", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("revoked_all", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("revoked_at", "bigint")
    .addColumn("erased_at", "bigint")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("consent_subject_idx").on("consent").columns(["subject_ref"]).execute();

  await db.schema
    .createTable("consent_revocation")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("consent_id", "text", (c) => c.notNull().references("consent.id"))
    .addColumn("scopes", "text")
    .addColumn("cause", "text", (c) => c.notNull())
    .addColumn("requested_by", "text")
    .addColumn("requested_at", "bigint", (c) => c.notNull())
    .addColumn("deadline_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("consent_revocation_consent_idx")
    .on("consent_revocation")
    .columns(["consent_id", "requested_at"])
    .execute();

  await db.schema
    .createTable("consent_revocation_notice")
    .addColumn("revocation_id", "text", (c) => c.notNull().references("consent_revocation.id"))
    .addColumn("referral_id", "text", (c) => c.notNull())
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("message_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("erased_at", "bigint")
    .addColumn("problem", "text")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("consent_revocation_notice_pk", ["revocation_id", "referral_id"])
    .execute();
  await db.schema
    .createIndex("consent_revocation_notice_org_idx")
    .on("consent_revocation_notice")
    .columns(["org_id", "status"])
    .execute();
  await db.schema
    .createIndex("consent_revocation_notice_message_idx")
    .on("consent_revocation_notice")
    .columns(["message_id"])
    .execute();

  await db.schema
    .createTable("consent_revoked_by_origin")
    .addColumn("origin_org_id", "text", (c) => c.notNull())
    .addColumn("consent_id", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("revoked_all", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("first_at", "bigint", (c) => c.notNull())
    .addColumn("last_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("consent_revoked_by_origin_pk", ["origin_org_id", "consent_id"])
    .execute();

  await db.schema
    .createTable("subject_erasure")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("origin_org_id", "text", (c) => c.notNull())
    .addColumn("subject_ref", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("erased_by", "text", (c) => c.notNull())
    .addColumn("erased_at", "bigint", (c) => c.notNull())
    .addColumn("referrals", "integer", (c) => c.notNull())
    .addColumn("consents_revoked", "integer", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("subject_erasure_subject_idx")
    .on("subject_erasure")
    .columns(["origin_org_id", "subject_ref"])
    .execute();

  await db.schema.alterTable("referral").addColumn("consent_expires_at", "bigint").execute();
  await db.schema.alterTable("referral").addColumn("erased_at", "bigint").execute();
  await db.schema.alterTable("referral").addColumn("erased_scopes", "text").execute();
  await db.schema
    .alterTable("referral")
    .addColumn("erased_all", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("referral").addColumn("erased_reason", "text").execute();
  await db.schema
    .createIndex("referral_consent_expiry_idx")
    .on("referral")
    .columns(["direction", "erased_all", "consent_expires_at"])
    .execute();

  await db.schema.alterTable("quarantine").addColumn("consent_id", "text").execute();
  await db.schema.alterTable("quarantine").addColumn("subject_ref", "text").execute();
  await db.schema.alterTable("quarantine").addColumn("consent_expires_at", "bigint").execute();
  await db.schema.createIndex("quarantine_consent_idx").on("quarantine").columns(["consent_id"]).execute();
  await db.schema.createIndex("quarantine_thread_idx").on("quarantine").columns(["iss", "thid"]).execute();

  // Referrals stored before this migration: their consent's expiry, and (at the origin) a consent
  // record for each consent they were drafted under, so that revocation reaches what they sent.
  const rows = await sql<{
    id: string;
    direction: string;
    consent: string;
    created_by: string | null;
    created_at: number | string;
  }>`select id, direction, consent, created_by, created_at from referral`.execute(db);
  const recorded = new Set<string>();
  for (const row of rows.rows) {
    const c = JSON.parse(row.consent) as {
      id: string;
      subjectRef: string;
      scopes: string[];
      purposes: string[];
      recipients: string[];
      grantedAt: number;
      expiresAt: number;
      method: string;
      language: string;
      textVersion: string;
      override?: { reason: string; approvedBy: string; note: string };
    };
    await sql`update referral set consent_expires_at = ${c.expiresAt * 1000} where id = ${row.id}`.execute(
      db,
    );
    if (row.direction !== "outgoing" || recorded.has(c.id)) continue;
    recorded.add(c.id);
    const at = Number(row.created_at);
    await sql`insert into consent (id, subject_ref, given_by, method, language, text_version, scopes,
        purposes, recipients, granted_at, expires_at, recorded_by, recorded_at, override_reason,
        override_note, override_requested_by, override_approved_by, override_approved_at,
        revoked_scopes, revoked_all, updated_at)
      values (${c.id}, ${c.subjectRef}, ${null}, ${c.method}, ${c.language}, ${c.textVersion},
        ${JSON.stringify(c.scopes)}, ${JSON.stringify(c.purposes)}, ${JSON.stringify(c.recipients)},
        ${c.grantedAt * 1000}, ${c.expiresAt * 1000}, ${null}, ${at}, ${c.override?.reason ?? null},
        ${c.override?.note ?? null}, ${null}, ${c.override?.approvedBy ?? null},
        ${c.override ? at : null}, ${"[]"}, ${0}, ${at})`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("quarantine_thread_idx").execute();
  await db.schema.dropIndex("quarantine_consent_idx").execute();
  for (const col of ["consent_expires_at", "subject_ref", "consent_id"]) {
    await db.schema.alterTable("quarantine").dropColumn(col).execute();
  }
  await db.schema.dropIndex("referral_consent_expiry_idx").execute();
  for (const col of ["erased_reason", "erased_all", "erased_scopes", "erased_at", "consent_expires_at"]) {
    await db.schema.alterTable("referral").dropColumn(col).execute();
  }
  for (const t of [
    "subject_erasure",
    "consent_revoked_by_origin",
    "consent_revocation_notice",
    "consent_revocation",
    "consent",
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
