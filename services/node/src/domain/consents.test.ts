// Consent records, lawful overrides, revocation across borders, erasure at the recipients and the
// person's rights, on real nodes (SQLite, or PostgreSQL when configured; real keys, a real signed trust
// list, the real outbox enqueuer and inbox consumer); messages are carried outbox → inbox in-process.
import { PROBLEM_CODES } from "@refnet/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Staff } from "../auth.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import {
  createTestWorld,
  draftInput,
  ORIGIN,
  SHELTER,
  SHELTER_B,
  TEST_DATABASES,
  type TestWorld,
} from "../test-support.ts";
import {
  approveOverride,
  findConsent,
  listConsents,
  listRevocations,
  type RecordConsentInput,
  recordConsent,
  revokeConsent,
} from "./consents.ts";
import { eraseExpiredConsents } from "./erasure.ts";
import { disclosedFields, draftReferral, previewDisclosure, sendReferral } from "./referrals.ts";
import { findReferral, timelineOf } from "./store.ts";
import { eraseSubject, exportSubject } from "./subject-rights.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GROUNDS = "Credible threat from the recruiter; the person is in hiding tonight";

let world: TestWorld;
let origin: AppContext;
let shelter: AppContext;
let shelterB: AppContext;
let caseworker: Staff;
let supervisor: Staff;
let supervisor2: Staff;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error("expected a refusal");
}

function consentInput(over: Partial<RecordConsentInput> = {}): RecordConsentInput {
  return {
    givenBy: "self",
    method: "verbal",
    language: "ti",
    textVersion: "consent-form-v3",
    scopes: ["identity", "contact", "health"],
    purposes: ["shelter", "medical"],
    recipients: [SHELTER, SHELTER_B],
    expiresAt: world.clock.now() + 365 * DAY,
    ...over,
  };
}

/** A draft under a recorded consent (the inline consent of draftInput left out). */
function draftUnder(consentId: string, destination = SHELTER) {
  const { consent: _inline, ...rest } = draftInput(world.clock, destination);
  return { ...rest, consentId };
}

async function sent(consentId: string, destination = SHELTER): Promise<string> {
  const r = await draftReferral(origin, caseworker, draftUnder(consentId, destination));
  await sendReferral(origin, caseworker, r.id);
  return r.id;
}

async function auditKinds(ctx: AppContext, consentId: string): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom("audit_log")
    .select("kind")
    .where("consent_id", "=", consentId)
    .orderBy("seq")
    .execute();
  return rows.map((r) => r.kind);
}

async function quarantined(ctx: AppContext) {
  return ctx.db.selectFrom("quarantine").selectAll().orderBy("received_at").execute();
}

describe.each(TEST_DATABASES)("on $name", ({ postgresUrl }) => {
  beforeEach(async () => {
    world = await createTestWorld(postgresUrl ? { postgresUrl } : {});
    origin = await world.node(ORIGIN, {}, { REFNET_ERASURE_DEADLINE_HOURS: "2" });
    shelter = await world.node(SHELTER);
    shelterB = await world.node(SHELTER_B);
    caseworker = (await world.staff(origin, "caseworker")).staff;
    supervisor = (await world.staff(origin, "supervisor", "duty-supervisor")).staff;
    supervisor2 = (await world.staff(origin, "supervisor", "night-supervisor")).staff;
  });
  afterEach(async () => {
    await world.close();
  });

  describe("recording consent", () => {
    it("records who gave it (a relation, never a name), how, in which language and text, and by whom", async () => {
      const c = await recordConsent(origin, caseworker, consentInput({ givenBy: "parent_or_guardian" }));
      expect(c.subjectRef).toMatch(/^subj_[A-Za-z0-9_-]{16}$/);
      expect(await findConsent(origin.db, origin, c.id)).toEqual(c);
      expect(c).toMatchObject({
        givenBy: "parent_or_guardian",
        method: "verbal",
        language: "ti",
        textVersion: "consent-form-v3",
        recordedBy: caseworker.username,
        override: null,
        revokedScopes: [],
        revokedAll: false,
      });
      // Whole seconds, as the consent travels.
      expect(c.grantedAt % 1000).toBe(0);
      expect((await listConsents(origin.db, origin, c.subjectRef)).map((x) => x.id)).toEqual([c.id]);
      expect(await auditKinds(origin, c.id)).toEqual(["consent.recorded"]);
    });

    it("refuses a consent without its giver, expired, granted in the future, or an override with a giver", async () => {
      expect(await refusal(recordConsent(origin, caseworker, consentInput({ givenBy: null })))).toBe(
        "ERR_INVALID_INPUT",
      );
      expect(
        await refusal(recordConsent(origin, caseworker, consentInput({ expiresAt: world.clock.now() - 1 }))),
      ).toBe("ERR_CONSENT_EXPIRED");
      expect(
        await refusal(
          recordConsent(origin, caseworker, consentInput({ grantedAt: world.clock.now() + 3 * HOUR })),
        ),
      ).toBe("ERR_INVALID_INPUT");
      expect(
        await refusal(
          recordConsent(
            origin,
            caseworker,
            consentInput({ override: { reason: "risk_to_life", note: GROUNDS } }),
          ),
        ),
      ).toBe("ERR_INVALID_INPUT");
      expect(await refusal(recordConsent(origin, caseworker, consentInput({ language: "not a tag" })))).toBe(
        "ERR_INVALID_INPUT",
      );
      const auditor = (await world.staff(origin, "auditor")).staff;
      expect(await refusal(recordConsent(origin, auditor, consentInput()))).toBe("ERR_FORBIDDEN");
      expect(await origin.db.selectFrom("consent").selectAll().execute()).toEqual([]);
    });

    it("carries referrals it covers, and refuses the rest", async () => {
      const c = await recordConsent(origin, caseworker, consentInput({ recipients: [SHELTER] }));
      const r = await draftReferral(origin, caseworker, draftUnder(c.id));
      expect(r.consent).toMatchObject({ id: c.id, subjectRef: c.subjectRef, scopes: c.scopes });
      expect(r.subject.ref).toBe(c.subjectRef);
      // protection and case notes were not consented to.
      expect(r.subject.protection).toBeUndefined();
      expect(r.subject.notes).toBeUndefined();

      expect(await refusal(draftReferral(origin, caseworker, draftUnder(c.id, SHELTER_B)))).toBe(
        "ERR_CONSENT_RECIPIENT",
      );
      expect(
        await refusal(
          draftReferral(origin, caseworker, { ...draftUnder(c.id), services: ["shelter", "legal_aid"] }),
        ),
      ).toBe("ERR_CONSENT_PURPOSE");
      const other = draftUnder(c.id);
      expect(
        await refusal(
          draftReferral(origin, caseworker, {
            ...other,
            subject: { ...other.subject, ref: "case-2026-0042" },
          }),
        ),
      ).toBe("ERR_INVALID_INPUT");
      // Exactly one of consent and consentId.
      expect(
        await refusal(draftReferral(origin, caseworker, { ...draftInput(world.clock), consentId: c.id })),
      ).toBe("ERR_INVALID_INPUT");
      const { consent: _c, ...neither } = draftInput(world.clock);
      expect(await refusal(draftReferral(origin, caseworker, neither))).toBe("ERR_INVALID_INPUT");
      expect(await refusal(draftReferral(origin, caseworker, draftUnder("no-such-consent-0001")))).toBe(
        "ERR_NOT_FOUND",
      );
    });

    it("records an inline consent with its draft, in the same transaction", async () => {
      const r = await draftReferral(origin, caseworker, draftInput(world.clock));
      const c = await findConsent(origin.db, origin, r.consent.id);
      expect(c).toMatchObject({
        subjectRef: r.subject.ref,
        givenBy: null,
        recordedBy: caseworker.username,
        scopes: ["identity", "contact", "health"],
      });
      expect(await auditKinds(origin, r.consent.id)).toEqual(["consent.recorded"]);
      // A draft refused inside the transaction leaves no consent behind.
      const bad = draftInput(world.clock);
      bad.consent.recipients = [SHELTER_B];
      const before = (await origin.db.selectFrom("consent").select("id").execute()).length;
      expect(await refusal(draftReferral(origin, caseworker, bad))).toBe("ERR_CONSENT_RECIPIENT");
      expect((await origin.db.selectFrom("consent").select("id").execute()).length).toBe(before);
    });
  });

  describe("lawful override (docs/protocol.md §5.5)", () => {
    const overrideInput = () =>
      consentInput({
        givenBy: null,
        override: { reason: "risk_to_life", note: GROUNDS },
        recipients: [SHELTER],
      });

    it("carries nothing until a supervisor other than the requester approves it", async () => {
      const c = await recordConsent(origin, caseworker, overrideInput());
      expect(c.override).toEqual({
        reason: "risk_to_life",
        note: GROUNDS,
        requestedBy: caseworker.username,
        approvedBy: null,
        approvedAt: null,
      });
      // The grounds are free text about the person: stored sealed under their key, read back opened.
      const row = await origin.db
        .selectFrom("consent")
        .select("override_note")
        .where("id", "=", c.id)
        .executeTakeFirstOrThrow();
      expect(row.override_note).toMatch(/^pd1\./);
      expect(row.override_note).not.toContain("recruiter");
      expect((await findConsent(origin.db, origin, c.id))?.override?.note).toBe(GROUNDS);
      expect(await refusal(draftReferral(origin, caseworker, draftUnder(c.id)))).toBe(
        "ERR_OVERRIDE_NOT_APPROVED",
      );
      // A caseworker cannot approve, nor can the requester, even as a supervisor.
      expect(await refusal(approveOverride(origin, caseworker, c.id))).toBe("ERR_FORBIDDEN");
      const own = await recordConsent(origin, supervisor, overrideInput());
      expect(await refusal(approveOverride(origin, supervisor, own.id))).toBe("ERR_FORBIDDEN");
      // An admin may approve (admin ranks above supervisor).
      const admin = (await world.staff(origin, "admin")).staff;
      expect((await approveOverride(origin, admin, own.id)).override?.approvedBy).toBe(admin.username);

      const approved = await approveOverride(origin, supervisor, c.id);
      expect(approved.override).toMatchObject({
        approvedBy: supervisor.username,
        approvedAt: world.clock.now(),
      });
      expect(await refusal(approveOverride(origin, supervisor2, c.id))).toBe("ERR_INVALID_STATE");
      const plain = await recordConsent(origin, caseworker, consentInput());
      expect(await refusal(approveOverride(origin, supervisor, plain.id))).toBe("ERR_INVALID_STATE");
      expect(await auditKinds(origin, c.id)).toEqual([
        "consent.recorded",
        "consent.override",
        "consent.override",
      ]);

      // Sent under it, it is marked as an override on both sides.
      const id = await sent(c.id);
      const out = await findReferral(origin.db, origin.vault, id);
      expect(out?.consent.override).toEqual({
        reason: "risk_to_life",
        approvedBy: supervisor.username,
        note: GROUNDS,
      });
      await world.settle();
      const incoming = await findReferral(shelter.db, shelter.vault, id);
      expect(incoming?.status).toBe("delivered");
      expect(incoming?.consent.override).toEqual({
        reason: "risk_to_life",
        approvedBy: supervisor.username,
        note: GROUNDS,
      });
    });

    it("cannot be approved once expired or revoked", async () => {
      const expiring = await recordConsent(origin, caseworker, {
        ...overrideInput(),
        expiresAt: world.clock.now() + HOUR,
      });
      const revoked = await recordConsent(origin, caseworker, overrideInput());
      await revokeConsent(origin, caseworker, revoked.id);
      expect(await refusal(approveOverride(origin, supervisor, revoked.id))).toBe("ERR_INVALID_STATE");
      world.clock.advance(2 * HOUR);
      expect(await refusal(approveOverride(origin, supervisor, expiring.id))).toBe("ERR_CONSENT_EXPIRED");
    });
  });

  describe("revocation across borders (docs/protocol.md §5.6)", () => {
    it("for some scopes: drafts lose those fields, the preview and the send agree, every recipient erases and answers", async () => {
      const c = await recordConsent(origin, caseworker, consentInput());
      const r1 = await sent(c.id, SHELTER);
      const r2 = await sent(c.id, SHELTER);
      const draft = await draftReferral(origin, caseworker, draftUnder(c.id, SHELTER_B));
      await world.settle();
      expect((await findReferral(shelter.db, shelter.vault, r1))?.subject.phone).toBe("+234 801 555 0199");

      const revocation = await revokeConsent(origin, caseworker, c.id, ["contact"]);
      expect(revocation.scopes).toEqual(["contact"]);
      expect(revocation.deadlineAt).toBe(world.clock.now() + 2 * HOUR);
      expect(revocation.recipients).toEqual([
        {
          orgId: SHELTER,
          status: "pending",
          erasedAt: null,
          referralIds: [r1, r2].sort(),
          queued: true,
          problem: null,
        },
      ]);
      // One consent.revoke per referral thread (docs/protocol-gaps.md).
      const revokes = await origin.db
        .selectFrom("outbox")
        .select(["aud", "thid"])
        .where("type", "=", "consent.revoke")
        .execute();
      expect(revokes.map((x) => x.thid).sort()).toEqual([r1, r2].sort());
      expect(revokes.every((x) => x.aud === SHELTER)).toBe(true);

      // The draft no longer holds what may not leave; the preview is what the send then carries.
      const d = await findReferral(origin.db, origin.vault, draft.id);
      expect(d?.subject.phone).toBeUndefined();
      expect(d?.subject.givenName).toBe("Zuwenaya");
      expect(d?.consent.scopes).toEqual(["identity", "health"]);
      const preview = await previewDisclosure(origin, draft.id);
      expect(preview.blockedBy).toBeNull();
      expect(preview.fields).toEqual(disclosedFields(d!.subject));
      expect(preview.fields).toEqual([
        "ageBand",
        "documents",
        "familyName",
        "givenName",
        "health",
        "languages",
        "nationality",
        "ref",
      ]);
      await sendReferral(origin, caseworker, draft.id);
      await world.settle();
      const atB = await findReferral(shelterB.db, shelterB.vault, draft.id);
      expect(Object.keys(atB?.subject ?? {}).sort()).toEqual(preview.fields);
      expect(atB?.consent.scopes).toEqual(["identity", "health"]);

      // The shelter erased contact from both referrals, kept the rest, and answered.
      for (const id of [r1, r2]) {
        const r = await findReferral(shelter.db, shelter.vault, id);
        expect(r?.subject.phone).toBeUndefined();
        expect(r?.subject.email).toBeUndefined();
        expect(r?.subject.currentLocation).toBeUndefined();
        expect(r?.subject.givenName).toBe("Zuwenaya");
        expect(r?.erasure).toMatchObject({ reason: "consent_revoked", all: false, scopes: ["contact"] });
        expect((await timelineOf(shelter.db, shelter.vault, id)).map((e) => e.kind)).toEqual(
          expect.arrayContaining(["consent_revoked", "erased"]),
        );
        expect((await timelineOf(origin.db, origin.vault, id)).map((e) => e.kind)).toEqual(
          expect.arrayContaining(["consent_revoked", "consent_erased"]),
        );
      }
      const [after] = await listRevocations(origin.db, c.id, world.clock.now());
      expect(after?.recipients).toEqual([
        {
          orgId: SHELTER,
          status: "erased",
          erasedAt: Math.floor(world.clock.now() / 1000) * 1000,
          referralIds: [r1, r2].sort(),
          queued: true,
          problem: null,
        },
      ]);

      // SHELTER was told: nothing more goes to it under this consent; a new consent is needed.
      const again = await draftReferral(origin, caseworker, draftUnder(c.id, SHELTER_B));
      expect(again.subject.phone).toBeUndefined();
      expect(await refusal(draftReferral(origin, caseworker, draftUnder(c.id, SHELTER)))).toBe(
        "ERR_CONSENT_REVOKED",
      );
    });

    it("whole: nothing more is sent, both shelters erase everything but the pseudonym, late ones show overdue", async () => {
      const c = await recordConsent(origin, caseworker, consentInput());
      const toA = await sent(c.id, SHELTER);
      const toB = await sent(c.id, SHELTER_B);
      const waiting = await draftReferral(origin, caseworker, draftUnder(c.id, SHELTER));
      await world.settle();

      const revocation = await revokeConsent(origin, caseworker, c.id);
      expect(revocation.scopes).toBeNull();
      expect(revocation.recipients.map((x) => [x.orgId, x.status])).toEqual([
        [SHELTER, "pending"],
        [SHELTER_B, "pending"],
      ]);
      expect((await findConsent(origin.db, origin, c.id))?.revokedAll).toBe(true);
      expect(await refusal(sendReferral(origin, caseworker, waiting.id))).toBe("ERR_CONSENT_REVOKED");
      expect((await previewDisclosure(origin, waiting.id)).blockedBy).toBe("ERR_CONSENT_REVOKED");
      expect(await refusal(draftReferral(origin, caseworker, draftUnder(c.id)))).toBe("ERR_CONSENT_REVOKED");
      expect((await findReferral(origin.db, origin.vault, waiting.id))?.subject).toEqual({
        ref: c.subjectRef,
      });

      // Past the deadline with no answer: overdue.
      world.clock.advance(3 * HOUR);
      const [late] = await listRevocations(origin.db, c.id, world.clock.now());
      expect(late?.recipients.map((x) => x.status)).toEqual(["overdue", "overdue"]);

      await world.settle();
      for (const [ctx, id] of [
        [shelter, toA],
        [shelterB, toB],
      ] as const) {
        const r = await findReferral(ctx.db, ctx.vault, id);
        expect(r?.subject).toEqual({ ref: c.subjectRef });
        expect(r?.summary).toBeNull();
        expect(r?.erasure).toMatchObject({ reason: "consent_revoked", all: true });
        const row = await ctx.db
          .selectFrom("referral")
          .select("subject")
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        expect(row.subject).not.toContain("Zuwenaya");
      }
      const [done] = await listRevocations(origin.db, c.id, world.clock.now());
      expect(done?.recipients.map((x) => x.status)).toEqual(["erased", "erased"]);
      expect(await auditKinds(shelter, c.id)).toContain("erasure");
      expect(await auditKinds(origin, c.id)).toContain("consent.revoked");
    });

    it("a recipient refuses anything later under the revoked consent, and does not keep it", async () => {
      const c = await recordConsent(origin, caseworker, consentInput());
      const id = await sent(c.id, SHELTER);
      await world.settle();
      const wire = (await findReferral(origin.db, origin.vault, id))!.consent;
      await revokeConsent(origin, caseworker, c.id, ["health"]);
      await world.settle();

      // A node that ignores the revocation (sealed with the origin's real keys, past its own checks).
      const later = origin.ids.newId();
      await origin.messages.enqueue(origin.db, {
        type: "referral.offer",
        aud: SHELTER,
        thid: later,
        consent: wire,
        body: {
          referral: { id: later, urgency: "urgent", services: ["shelter"] },
          subject: { ref: wire.subjectRef, givenName: "Zuwenaya" },
        },
      });
      await world.settle();
      expect(await findReferral(shelter.db, shelter.vault, later)).toBeUndefined();
      const q = (await quarantined(shelter)).find((x) => x.thid === later);
      expect(q).toMatchObject({ code: PROBLEM_CODES.consentRevoked, consent_id: c.id, envelope: "" });
      // And the origin heard why.
      const problem = await origin.db
        .selectFrom("inbox")
        .select("type")
        .where("thid", "=", later)
        .executeTakeFirst();
      expect(problem?.type).toBe("problem.report");
    });

    it("answers a revoke for a consent it holds nothing under, all the same", async () => {
      const thid = origin.ids.newId();
      await origin.messages.enqueue(origin.db, {
        type: "consent.revoke",
        aud: SHELTER,
        thid,
        body: { consentId: "never-seen-consent-01" },
      });
      await world.settle();
      const answers = await origin.db
        .selectFrom("inbox")
        .select("type")
        .where("thid", "=", thid)
        .orderBy("type")
        .execute();
      expect(answers.map((a) => a.type)).toEqual(["consent.erased", "message.receipt"]);
      const remembered = await shelter.db.selectFrom("consent_revoked_by_origin").selectAll().execute();
      expect(remembered).toMatchObject([
        { origin_org_id: ORIGIN, consent_id: "never-seen-consent-01", revoked_all: 1 },
      ]);
    });
  });

  describe("expiry (docs/consent.md)", () => {
    it("the recipient erases what it received once the consent expires", async () => {
      const c = await recordConsent(
        origin,
        caseworker,
        consentInput({ expiresAt: world.clock.now() + 2 * HOUR }),
      );
      const id = await sent(c.id, SHELTER);
      await world.settle();
      expect(await eraseExpiredConsents(shelter)).toEqual([]);
      expect((await findReferral(shelter.db, shelter.vault, id))?.subject.givenName).toBe("Zuwenaya");

      world.clock.advance(2 * HOUR);
      expect(await eraseExpiredConsents(shelter)).toEqual([id]);
      const r = await findReferral(shelter.db, shelter.vault, id);
      expect(r?.subject).toEqual({ ref: c.subjectRef });
      expect(r?.erasure).toMatchObject({ reason: "consent_expired", all: true });
      // Once: the next sweep finds nothing left.
      expect(await eraseExpiredConsents(shelter)).toEqual([]);
      const entry = await shelter.db
        .selectFrom("audit_log")
        .select(["kind", "actor_type", "partner_org_id"])
        .where("consent_id", "=", c.id)
        .executeTakeFirstOrThrow();
      expect(entry).toEqual({ kind: "erasure", actor_type: "system", partner_org_id: ORIGIN });
      // The origin keeps its own record.
      expect((await findReferral(origin.db, origin.vault, id))?.subject.givenName).toBe("Zuwenaya");
    });
  });

  describe("the person's rights", () => {
    it("exports everything held about the person, to supervisors only, and records it", async () => {
      const c = await recordConsent(origin, caseworker, consentInput());
      const id = await sent(c.id, SHELTER);
      await world.settle();
      expect(await refusal(exportSubject(origin, caseworker, c.subjectRef))).toBe("ERR_FORBIDDEN");
      expect(await refusal(exportSubject(origin, supervisor, "has spaces"))).toBe("ERR_INVALID_INPUT");
      const doc = await exportSubject(origin, supervisor, c.subjectRef);
      expect(doc).toMatchObject({
        format: "refnet-subject-export/1",
        node: ORIGIN,
        originOrgId: ORIGIN,
        subjectRef: c.subjectRef,
        exportedBy: supervisor.username,
        consents: [{ id: c.id, status: "active", givenBy: "self", revocations: [] }],
        referrals: [{ id, direction: "outgoing", status: "delivered", subject: { givenName: "Zuwenaya" } }],
        erasures: [],
      });
      expect(doc.referrals[0]?.timeline.map((e) => e.kind)).toEqual(["created", "sent", "delivered"]);
      // At the shelter: a person of another origin is named with that origin.
      const shelterSupervisor = (await world.staff(shelter, "supervisor")).staff;
      expect((await exportSubject(shelter, shelterSupervisor, c.subjectRef)).referrals).toEqual([]);
      const there = await exportSubject(shelter, shelterSupervisor, c.subjectRef, ORIGIN);
      expect(there.referrals.map((r) => r.id)).toEqual([id]);
      const exports = await origin.db
        .selectFrom("audit_log")
        .select(["kind", "actor_id", "subject_ref"])
        .where("kind", "=", "export")
        .execute();
      expect(exports).toEqual([{ kind: "export", actor_id: supervisor.id, subject_ref: c.subjectRef }]);
    });

    it("erases the person here and, through revocation, at every recipient", async () => {
      const c = await recordConsent(origin, caseworker, consentInput());
      const id = await sent(c.id, SHELTER);
      await world.settle();
      const person = { originOrgId: ORIGIN, subjectRef: c.subjectRef };
      expect(origin.vault.hasKey(person)).toBe(true);

      expect(await refusal(eraseSubject(origin, caseworker, c.subjectRef, "person_request"))).toBe(
        "ERR_FORBIDDEN",
      );
      expect(
        await refusal(eraseSubject(origin, supervisor, c.subjectRef, "because" as "person_request")),
      ).toBe("ERR_INVALID_INPUT");
      const res = await eraseSubject(origin, supervisor, c.subjectRef, "person_request");
      expect(res).toMatchObject({
        originOrgId: ORIGIN,
        subjectRef: c.subjectRef,
        referrals: 1,
        consentsRevoked: 1,
      });
      expect(res.revocations[0]).toMatchObject({ cause: "subject_erased", scopes: null });
      expect(res.revocations[0]?.recipients.map((x) => [x.orgId, x.status])).toEqual([[SHELTER, "pending"]]);

      const here = await findReferral(origin.db, origin.vault, id);
      expect(here?.subject).toEqual({ ref: c.subjectRef });
      expect(here?.summary).toBeNull();
      expect(here?.erasure).toMatchObject({ reason: "subject_erased", all: true });
      expect(origin.vault.hasKey(person)).toBe(false);
      const c2 = await findConsent(origin.db, origin, c.id);
      expect(c2?.revokedAll).toBe(true);
      expect(c2?.erasedAt).toBe(res.erasedAt);

      await world.settle();
      expect((await findReferral(shelter.db, shelter.vault, id))?.subject).toEqual({ ref: c.subjectRef });
      const [rv] = await listRevocations(origin.db, c.id, world.clock.now());
      expect(rv?.recipients.map((x) => x.status)).toEqual(["erased"]);

      const after = await exportSubject(origin, supervisor, c.subjectRef);
      expect(after.referrals[0]?.subject).toEqual({ ref: c.subjectRef });
      expect(after.erasures).toMatchObject([
        { by: supervisor.username, reason: "person_request", referrals: 1 },
      ]);
      const erasure = await origin.db
        .selectFrom("audit_log")
        .select(["detail"])
        .where("kind", "=", "erasure")
        .where("subject_ref", "=", c.subjectRef)
        .execute();
      expect(erasure.map((e) => JSON.parse(e.detail))).toContainEqual(
        expect.objectContaining({ cause: "subject_erased", request: "person_request", keyDestroyed: true }),
      );

      // The shelter may erase a person it received, named with their origin.
      const shelterSupervisor = (await world.staff(shelter, "supervisor")).staff;
      const atShelter = await eraseSubject(
        shelter,
        shelterSupervisor,
        c.subjectRef,
        "no_longer_needed",
        ORIGIN,
      );
      expect(atShelter).toMatchObject({ originOrgId: ORIGIN, referrals: 1, consentsRevoked: 0 });
      expect(shelter.vault.hasKey(person)).toBe(false);
    });
  });
});
