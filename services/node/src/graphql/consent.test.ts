// The consent API through fastify's inject on a real node (SQLite in a temp dir, a real signed trust
// list, real keys and outbox): recording consent, overrides and who may approve them, the disclosure
// preview, revocation, and the person's rights (export, erasure) with their role checks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../context.ts";
import { buildServer, type NodeServer } from "../server.ts";
import {
  createTestWorld,
  type GqlTestResponse,
  injectGql,
  ORIGIN,
  SHELTER,
  type TestWorld,
} from "../test-support.ts";

let world: TestWorld;
let origin: AppContext;
let app: NodeServer;
let caseworker: string;
let supervisor: string;
let supervisor2: string;
let auditor: string;

const gql = (query: string, variables: Record<string, unknown>, token: string) =>
  injectGql(app, query, variables, token);

const code = (r: GqlTestResponse) => r.errors?.[0]?.extensions?.code;
const inAYear = () => new Date(world.clock.now() + 365 * 86_400_000).toISOString();

const CONSENT_FIELDS = /* GraphQL */ `
  id subjectRef status givenBy method language textVersion scopes revokedScopes effectiveScopes
  purposes recipients recordedBy isOverride
  override { reason note requestedBy approvedBy }
  wire { id scopes isOverride override { reason approvedBy note } }
`;
const RECORD = `mutation R($input: RecordConsentInput!) { recordConsent(input: $input) { ${CONSENT_FIELDS} } }`;
const APPROVE = `mutation A($id: ID!) { approveOverride(consentId: $id) { ${CONSENT_FIELDS} } }`;
const DRAFT = /* GraphQL */ `
  mutation D($input: DraftReferralInput!) {
    draftReferral(input: $input) {
      id disclosedFields subject { ref givenName phone notes }
      consent { id scopes isOverride override { reason approvedBy note } }
      consentRecord { id status }
    }
  }
`;
const PREVIEW = /* GraphQL */ `
  query P($id: ID!) {
    disclosurePreview(referralId: $id) { referralId destinationOrgId fields sent blockedBy consent { id scopes } }
  }
`;

function consentInput(over: Record<string, unknown> = {}) {
  return {
    givenBy: "SELF",
    method: "WRITTEN",
    language: "en",
    textVersion: "consent-form-v3",
    scopes: ["IDENTITY", "CONTACT"],
    purposes: ["SHELTER"],
    recipients: [SHELTER],
    expiresAt: inAYear(),
    ...over,
  };
}

function draftInput(consentId: string) {
  return {
    destinationOrgId: SHELTER,
    urgency: "URGENT",
    services: ["SHELTER"],
    summary: "Adult woman needs a safe bed tonight",
    subject: {
      languages: ["en"],
      givenName: "Zuwenaya",
      phone: "+234 801 555 0199",
      notes: "Prefers a female caseworker",
    },
    consentId,
  };
}

beforeAll(async () => {
  world = await createTestWorld();
  origin = await world.node(ORIGIN);
  await world.node(SHELTER);
  app = await buildServer(origin);
  caseworker = (await world.staff(origin, "caseworker")).token;
  supervisor = (await world.staff(origin, "supervisor", "duty-supervisor")).token;
  supervisor2 = (await world.staff(origin, "supervisor", "night-supervisor")).token;
  auditor = (await world.staff(origin, "auditor")).token;
});
afterAll(async () => {
  await app?.close();
  await world?.close();
});

describe("recording consent", () => {
  it("records and reads back a consent, and lists the person's consents", async () => {
    const res = await gql(
      RECORD,
      { input: consentInput({ givenBy: "PARENT_OR_GUARDIAN", language: "pt-BR" }) },
      caseworker,
    );
    expect(res.errors).toBeUndefined();
    const c = res.data?.recordConsent;
    expect(c).toMatchObject({
      status: "ACTIVE",
      givenBy: "PARENT_OR_GUARDIAN",
      method: "WRITTEN",
      language: "pt-BR",
      scopes: ["IDENTITY", "CONTACT"],
      revokedScopes: [],
      effectiveScopes: ["IDENTITY", "CONTACT"],
      recordedBy: `caseworker-${ORIGIN}`,
      isOverride: false,
      override: null,
      wire: { id: c.id, scopes: ["IDENTITY", "CONTACT"], isOverride: false, override: null },
    });
    const one = await gql(`query($id: ID!) { consent(id: $id) { id status } }`, { id: c.id }, caseworker);
    expect(one.data?.consent).toEqual({ id: c.id, status: "ACTIVE" });
    const list = await gql(
      `query($s: String!) { consents(subjectRef: $s) { id } }`,
      { s: c.subjectRef },
      caseworker,
    );
    expect(list.data?.consents).toEqual([{ id: c.id }]);
    // The audit trail's readers read no one's consent.
    expect(code(await gql(`query($id: ID!) { consent(id: $id) { id } }`, { id: c.id }, auditor))).toBe(
      "ERR_FORBIDDEN",
    );
    expect(code(await gql(RECORD, { input: consentInput() }, auditor))).toBe("ERR_FORBIDDEN");
  });

  it("refuses a consent without its giver", async () => {
    expect(code(await gql(RECORD, { input: consentInput({ givenBy: null }) }, caseworker))).toBe(
      "ERR_INVALID_INPUT",
    );
  });
});

describe("override", () => {
  const overrideInput = () =>
    consentInput({ givenBy: null, override: { reason: "RISK_TO_LIFE", note: "Imminent danger tonight" } });

  it("awaits a supervisor other than the requester, then travels marked as an override", async () => {
    const rec = await gql(RECORD, { input: overrideInput() }, caseworker);
    const c = rec.data?.recordConsent;
    expect(c).toMatchObject({
      status: "AWAITING_APPROVAL",
      isOverride: true,
      givenBy: null,
      override: { reason: "RISK_TO_LIFE", requestedBy: `caseworker-${ORIGIN}`, approvedBy: null },
      wire: null,
    });
    expect(code(await gql(DRAFT, { input: draftInput(c.id) }, caseworker))).toBe("ERR_OVERRIDE_NOT_APPROVED");
    expect(code(await gql(APPROVE, { id: c.id }, caseworker))).toBe("ERR_FORBIDDEN");

    const own = (await gql(RECORD, { input: overrideInput() }, supervisor)).data?.recordConsent;
    expect(code(await gql(APPROVE, { id: own.id }, supervisor))).toBe("ERR_FORBIDDEN");

    const approved = await gql(APPROVE, { id: c.id }, supervisor);
    expect(approved.errors).toBeUndefined();
    expect(approved.data?.approveOverride).toMatchObject({
      status: "ACTIVE",
      override: { approvedBy: "duty-supervisor" },
      wire: {
        isOverride: true,
        override: { reason: "risk_to_life", approvedBy: "duty-supervisor", note: "Imminent danger tonight" },
      },
    });
    expect(code(await gql(APPROVE, { id: c.id }, supervisor2))).toBe("ERR_INVALID_STATE");

    const draft = await gql(DRAFT, { input: draftInput(c.id) }, caseworker);
    expect(draft.errors).toBeUndefined();
    expect(draft.data?.draftReferral.consent).toEqual({
      id: c.id,
      scopes: ["IDENTITY", "CONTACT"],
      isOverride: true,
      override: { reason: "risk_to_life", approvedBy: "duty-supervisor", note: "Imminent danger tonight" },
    });
    expect(draft.data?.draftReferral.consentRecord).toEqual({ id: c.id, status: "ACTIVE" });
  });
});

describe("preview and revocation", () => {
  it("previews exactly what sending discloses; after revocation, the draft shows what is left and cannot go", async () => {
    const c = (await gql(RECORD, { input: consentInput() }, caseworker)).data?.recordConsent;
    const draft = (await gql(DRAFT, { input: draftInput(c.id) }, caseworker)).data?.draftReferral;
    expect(draft.subject.notes).toBeNull();
    const before = await gql(PREVIEW, { id: draft.id }, caseworker);
    expect(before.data?.disclosurePreview).toEqual({
      referralId: draft.id,
      destinationOrgId: SHELTER,
      fields: draft.disclosedFields,
      sent: false,
      blockedBy: null,
      consent: { id: c.id, scopes: ["IDENTITY", "CONTACT"] },
    });
    expect(draft.disclosedFields).toEqual(["givenName", "languages", "phone", "ref"]);

    const partial = await gql(
      `mutation($id: ID!) { revokeConsent(id: $id, scopes: [CONTACT]) { all scopes cause complete recipients { orgId } } }`,
      { id: c.id },
      caseworker,
    );
    expect(partial.data?.revokeConsent).toEqual({
      all: false,
      scopes: ["CONTACT"],
      cause: "REVOKED",
      complete: true,
      recipients: [],
    });
    const mid = await gql(PREVIEW, { id: draft.id }, caseworker);
    expect(mid.data?.disclosurePreview).toMatchObject({
      fields: ["givenName", "languages", "ref"],
      blockedBy: null,
      consent: { scopes: ["IDENTITY"] },
    });
    const shown = await gql(
      `query($id: ID!) { referral(id: $id) { disclosedFields erasure { reason all scopes } } }`,
      { id: draft.id },
      caseworker,
    );
    expect(shown.data?.referral).toEqual({
      disclosedFields: ["givenName", "languages", "ref"],
      erasure: { reason: "CONSENT_REVOKED", all: false, scopes: ["CONTACT"] },
    });

    world.clock.advance(1000);
    await gql(`mutation($id: ID!) { revokeConsent(id: $id) { all } }`, { id: c.id }, caseworker);
    const after = await gql(PREVIEW, { id: draft.id }, caseworker);
    expect(after.data?.disclosurePreview.blockedBy).toBe("ERR_CONSENT_REVOKED");
    const send = await gql(
      `mutation($id: ID!) { sendReferral(id: $id) { id } }`,
      { id: draft.id },
      caseworker,
    );
    expect(code(send)).toBe("ERR_CONSENT_REVOKED");
    const status = await gql(
      `query($id: ID!) { consent(id: $id) { status revokedScopes effectiveScopes wire { id } revocations { all } } }`,
      { id: c.id },
      caseworker,
    );
    expect(status.data?.consent).toEqual({
      status: "REVOKED",
      revokedScopes: ["IDENTITY", "CONTACT"],
      effectiveScopes: [],
      wire: null,
      revocations: [{ all: true }, { all: false }],
    });
  });
});

describe("the person's rights", () => {
  it("exports and erases, for supervisors and admins only", async () => {
    const c = (await gql(RECORD, { input: consentInput() }, caseworker)).data?.recordConsent;
    const draft = (await gql(DRAFT, { input: draftInput(c.id) }, caseworker)).data?.draftReferral;
    const EXPORT = `query($s: String!) { exportSubject(subjectRef: $s) }`;
    const ERASE = `mutation($s: String!) {
      eraseSubject(subjectRef: $s, reason: PERSON_REQUEST) {
        originOrgId subjectRef erasedAt referrals consentsRevoked revocations { cause all }
      }
    }`;
    expect(code(await gql(EXPORT, { s: c.subjectRef }, caseworker))).toBe("ERR_FORBIDDEN");
    expect(code(await gql(EXPORT, { s: c.subjectRef }, auditor))).toBe("ERR_FORBIDDEN");
    const exported = await gql(EXPORT, { s: c.subjectRef }, supervisor);
    expect(exported.errors).toBeUndefined();
    expect(exported.data?.exportSubject).toMatchObject({
      format: "refnet-subject-export/1",
      subjectRef: c.subjectRef,
      consents: [{ id: c.id, status: "active" }],
      referrals: [{ id: draft.id, subject: { givenName: "Zuwenaya", phone: "+234 801 555 0199" } }],
    });

    expect(code(await gql(ERASE, { s: c.subjectRef }, caseworker))).toBe("ERR_FORBIDDEN");
    const erased = await gql(ERASE, { s: c.subjectRef }, supervisor);
    expect(erased.errors).toBeUndefined();
    expect(erased.data?.eraseSubject).toMatchObject({
      originOrgId: ORIGIN,
      subjectRef: c.subjectRef,
      referrals: 1,
      consentsRevoked: 1,
      revocations: [{ cause: "SUBJECT_ERASED", all: true }],
    });
    const r = await gql(
      `query($id: ID!) { referral(id: $id) { summary subject { ref givenName phone } erasure { reason all } } }`,
      { id: draft.id },
      caseworker,
    );
    expect(r.data?.referral).toEqual({
      summary: null,
      subject: { ref: c.subjectRef, givenName: null, phone: null },
      erasure: { reason: "SUBJECT_ERASED", all: true },
    });
    const kinds = await origin.db
      .selectFrom("audit_log")
      .select("kind")
      .where("subject_ref", "=", c.subjectRef)
      .orderBy("seq")
      .execute();
    expect(kinds.map((k) => k.kind)).toEqual(
      expect.arrayContaining(["consent.recorded", "export", "consent.revoked", "erasure"]),
    );
  });
});
