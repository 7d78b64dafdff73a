// Migration 006 on a database that already holds referrals: each gets its consent's expiry (for the
// recipient's expiry sweep), and the origin gets a consent record for every consent it drafted under,
// so that revoking it reaches what was sent before the upgrade.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Migrator } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateToLatest, type OpenDatabase, openDatabase } from "./index.ts";
import { migrations } from "./migrations/index.ts";

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);

function consent(id: string) {
  return {
    id,
    subjectRef: "case-2026-0042",
    scopes: ["identity"],
    purposes: ["shelter"],
    recipients: ["shelter-alpha"],
    grantedAt: NOW / 1000 - 60,
    expiresAt: NOW / 1000 + 86_400,
    method: "written",
    language: "en",
    textVersion: "consent-form-v3",
  };
}

function referral(id: string, direction: "outgoing" | "incoming", consentId: string) {
  return {
    id,
    direction,
    status: "sent",
    origin_org_id: direction === "outgoing" ? "ngo-origin" : "ngo-other",
    destination_org_id: direction === "outgoing" ? "shelter-alpha" : "ngo-origin",
    urgency: "urgent",
    services: '["shelter"]',
    summary: null,
    proposed_arrival: null,
    respond_by: null,
    subject: '{"ref":"case-2026-0042"}',
    subject_ref: "case-2026-0042",
    consent: JSON.stringify(consent(consentId)),
    consent_id: consentId,
    decline_reason: null,
    outcome: null,
    arrangements: null,
    created_by: "staff-1",
    created_at: NOW,
    updated_at: NOW,
  };
}

describe("migration 006-consent", () => {
  let dir: string;
  let opened: OpenDatabase;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "refnet-mig006-"));
    opened = openDatabase({ database: { kind: "sqlite", path: join(dir, "node.db") } });
  });
  afterEach(async () => {
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("backfills consent expiries and the origin's consent records", async () => {
    const names = Object.keys(migrations).sort();
    const before = names[names.indexOf("006-consent") - 1]!;
    const migrator = new Migrator({ db: opened.db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    // Rows as an earlier version wrote them (the columns of 006 do not exist yet).
    const insert = (row: ReturnType<typeof referral>) =>
      (opened.db as unknown as import("kysely").Kysely<{ referral: typeof row }>)
        .insertInto("referral")
        .values(row)
        .execute();
    await insert(referral("ref-out-1-aaaaaaaaaa", "outgoing", "consent-aaaaaaaaaaaa"));
    await insert(referral("ref-out-2-aaaaaaaaaa", "outgoing", "consent-aaaaaaaaaaaa"));
    await insert(referral("ref-in-1-aaaaaaaaaaa", "incoming", "consent-bbbbbbbbbbbb"));

    await migrateToLatest(opened.db);
    const rows = await opened.db
      .selectFrom("referral")
      .select(["id", "consent_expires_at", "erased_all", "erased_at"])
      .orderBy("id")
      .execute();
    expect(rows).toEqual([
      { id: "ref-in-1-aaaaaaaaaaa", consent_expires_at: NOW + 86_400_000, erased_all: 0, erased_at: null },
      { id: "ref-out-1-aaaaaaaaaa", consent_expires_at: NOW + 86_400_000, erased_all: 0, erased_at: null },
      { id: "ref-out-2-aaaaaaaaaa", consent_expires_at: NOW + 86_400_000, erased_all: 0, erased_at: null },
    ]);
    // One record for the consent drafted here; none for the consent another origin holds.
    const consents = await opened.db.selectFrom("consent").selectAll().execute();
    expect(consents).toEqual([
      expect.objectContaining({
        id: "consent-aaaaaaaaaaaa",
        subject_ref: "case-2026-0042",
        given_by: null,
        scopes: '["identity"]',
        recipients: '["shelter-alpha"]',
        granted_at: NOW - 60_000,
        expires_at: NOW + 86_400_000,
        revoked_scopes: "[]",
        revoked_all: 0,
        override_reason: null,
      }),
    ]);
  });
});
