// The audit trail through GraphQL: every read of a person's fields is recorded (who, which referral,
// which fields) before they are returned; the auditor reads the trail and its verification and nothing
// about people; a caseworker cannot read the trail. A real node (SQLite), real keys and trust list.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../context.ts";
import { buildServer, type NodeServer } from "../server.ts";
import { createTestWorld, injectGql, ORIGIN, SHELTER, type TestWorld } from "../test-support.ts";

let world: TestWorld;
let origin: AppContext;
let app: NodeServer;
let caseworker: { token: string; id: string };
let admin: string;
let auditor: string;
let supervisor: string;

const gql = (query: string, variables: Record<string, unknown>, token: string) =>
  injectGql(app, query, variables, token);

const inAYear = () => new Date(world.clock.now() + 365 * 86_400_000).toISOString();
const input = () => ({
  destinationOrgId: SHELTER,
  urgency: "URGENT",
  services: ["SHELTER"],
  subject: {
    languages: ["en"],
    ageBand: "AGE_26_59",
    givenName: "Zuwenaya",
    familyName: "Okonkwo-Marlowe",
    phone: "+234 801 555 0199",
  },
  consent: {
    scopes: ["IDENTITY", "CONTACT"],
    purposes: ["SHELTER"],
    recipients: [SHELTER],
    expiresAt: inAYear(),
    method: "WRITTEN",
    language: "en",
    textVersion: "v3",
  },
});

const AUDIT_LOG = /* GraphQL */ `
  query Log($filter: AuditFilter, $first: Int, $after: String) {
    auditLog(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          seq at kind subjectRef consentId referralId partnerOrgId detail prevHash hash
          actor { type id username }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

async function logOf(filter: Record<string, unknown>, token = auditor) {
  const res = await gql(AUDIT_LOG, { filter, first: 100 }, token);
  expect(res.errors).toBeUndefined();
  // biome-ignore lint/suspicious/noExplicitAny: read ad hoc
  return res.data!.auditLog.edges.map((e: any) => e.node);
}

const referralIds: string[] = [];

beforeAll(async () => {
  world = await createTestWorld();
  origin = await world.node(ORIGIN);
  app = await buildServer(origin);
  const cw = await world.staff(origin, "caseworker");
  caseworker = { token: cw.token, id: cw.staff.id };
  admin = (await world.staff(origin, "admin")).token;
  auditor = (await world.staff(origin, "auditor")).token;
  supervisor = (await world.staff(origin, "supervisor")).token;
  // Drafted and sent through the API, selecting no subject field: no read yet.
  for (let i = 0; i < 3; i++) {
    const d = await gql(
      "mutation($input: DraftReferralInput!) { draftReferral(input: $input) { id } }",
      { input: input() },
      caseworker.token,
    );
    expect(d.errors).toBeUndefined();
    const id = d.data!.draftReferral.id as string;
    const s = await gql("mutation($id: ID!) { sendReferral(id: $id) { status } }", { id }, caseworker.token);
    expect(s.errors).toBeUndefined();
    referralIds.push(id);
  }
});
afterAll(async () => {
  await app?.close();
  await world?.close();
});

describe("reads of a person's data", () => {
  it("records which staff member read which fields of whom, once per referral and request", async () => {
    const id = referralIds[0]!;
    const res = await gql(
      /* GraphQL */ `
        query($id: ID!, $withPhone: Boolean!) {
          referral(id: $id) {
            id
            subject { ref givenName ...Contact __typename email @skip(if: true) }
            again: subject { givenName ref ...Contact }
          }
        }
        fragment Contact on Subject { phone @include(if: $withPhone) familyName }
      `,
      { id, withPhone: true },
      caseworker.token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.referral.subject.givenName).toBe("Zuwenaya");
    const reads = await logOf({ kind: "READ", referralId: id });
    expect(reads).toHaveLength(1);
    const r = reads[0];
    expect(r.actor).toEqual({ type: "STAFF", id: caseworker.id, username: `caseworker-${ORIGIN}` });
    expect(r.referralId).toBe(id);
    expect(r.partnerOrgId).toBe(SHELTER);
    expect(r.subjectRef).toMatch(/^subj_/);
    expect(r.detail).toEqual({
      fields: ["familyName", "givenName", "phone", "ref"],
      returned: ["familyName", "givenName", "phone", "ref"],
    });
  });

  it("records every referral of a list, in one transaction, before returning any field", async () => {
    const before = (await logOf({ kind: "READ" })).length;
    const res = await gql(
      "{ referrals(first: 10) { edges { node { id subject { ageBand notes } } } } }",
      {},
      caseworker.token,
    );
    expect(res.errors).toBeUndefined();
    const reads = await logOf({ kind: "READ" });
    expect(reads.length - before).toBe(referralIds.length);
    const fresh = reads.slice(0, referralIds.length);
    expect(new Set(fresh.map((e: { referralId: string }) => e.referralId))).toEqual(new Set(referralIds));
    for (const e of fresh) expect(e.detail).toEqual({ fields: ["ageBand", "notes"], returned: ["ageBand"] });
    // One transaction: one `at` for all of them.
    expect(new Set(fresh.map((e: { at: string }) => e.at)).size).toBe(1);
  });

  it("records free text about the person (summary, timeline notes) as read, field by field", async () => {
    const id = referralIds[1]!;
    const res = await gql(
      "query($id: ID!) { referral(id: $id) { id summary timeline { kind note } } }",
      { id },
      caseworker.token,
    );
    expect(res.errors).toBeUndefined();
    const hasSummary = res.data!.referral.summary !== null;
    const hasNotes = res.data!.referral.timeline.some((e: { note: string | null }) => e.note !== null);
    const reads = await logOf({ kind: "READ", referralId: id });
    const details = reads.map((e: { detail: unknown }) => e.detail);
    expect(details).toContainEqual({
      fields: ["referral.summary"],
      returned: hasSummary ? ["referral.summary"] : [],
    });
    expect(details).toContainEqual({
      fields: ["timeline.note"],
      returned: hasNotes ? ["timeline.note"] : [],
    });
    // A timeline without its notes is no read of free text.
    const before = reads.length;
    await gql("query($id: ID!) { referral(id: $id) { timeline { kind at } } }", { id }, caseworker.token);
    expect((await logOf({ kind: "READ", referralId: id })).length).toBe(before);
  });

  it("writes nothing when no subject field is asked for", async () => {
    const before = (await logOf({ kind: "READ" })).length;
    const res = await gql(
      "{ referrals(first: 10) { edges { node { id status disclosedFields } } } }",
      {},
      caseworker.token,
    );
    expect(res.errors).toBeUndefined();
    expect((await logOf({ kind: "READ" })).length).toBe(before);
  });

  it("returns no field when the read cannot be recorded", async () => {
    const head = await origin.db.selectFrom("audit_head").selectAll().executeTakeFirstOrThrow();
    await origin.db.deleteFrom("audit_head").execute();
    try {
      const res = await gql(
        "query($id: ID!) { referral(id: $id) { id subject { givenName } } }",
        { id: referralIds[1] },
        caseworker.token,
      );
      expect(res.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(res)).not.toContain("Zuwenaya");
    } finally {
      await origin.db.insertInto("audit_head").values(head).execute();
    }
  });
});

describe("the auditor", () => {
  it("reads the trail: disclosures and reads, filtered and paged", async () => {
    const disclosures = await logOf({ kind: "DISCLOSURE" });
    expect(disclosures.map((e: { referralId: string }) => e.referralId).sort()).toEqual(
      [...referralIds].sort(),
    );
    for (const d of disclosures) {
      expect(d.kind).toBe("DISCLOSURE");
      expect(d.detail.messageType).toBe("referral.offer");
      expect(d.detail.fields).toEqual(["ageBand", "familyName", "givenName", "languages", "phone", "ref"]);
      expect(d.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    const subjectRef = disclosures[0].subjectRef as string;
    const bySubject = await logOf({ subjectRef });
    expect(bySubject.length).toBeGreaterThanOrEqual(1);
    for (const e of bySubject) expect(e.subjectRef).toBe(subjectRef);

    // Pages, newest first, by cursor.
    const all = await logOf({});
    const seqs = all.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const first = await gql(AUDIT_LOG, { first: 2 }, auditor);
    const second = await gql(
      AUDIT_LOG,
      { first: 2, after: first.data!.auditLog.pageInfo.endCursor },
      auditor,
    );
    expect(first.data!.auditLog.pageInfo.hasNextPage).toBe(true);
    expect(
      [...first.data!.auditLog.edges, ...second.data!.auditLog.edges].map(
        (e: { node: { seq: number } }) => e.node.seq,
      ),
    ).toEqual(seqs.slice(0, 4));

    // A time window: nothing before the epoch of this test world, everything after.
    expect(await logOf({ until: "2000-01-01T00:00:00Z" })).toEqual([]);
    expect((await logOf({ since: "2000-01-01T00:00:00Z" })).length).toBe(all.length);
    const bad = await gql(AUDIT_LOG, { after: "nonsense!" }, auditor);
    expect(bad.errors?.[0]?.extensions?.code).toBe("ERR_INVALID_INPUT");
  });

  it("checks the trail as `refnet audit verify` does", async () => {
    const q = /* GraphQL */ `{
      auditVerification {
        ok entries checkpoints checkpointsVerified headSeq headHash keySources notes problemCount
        firstProblem { seq kind detail }
        latestCheckpoint { seq hash kid keySource jws }
      }
    }`;
    await origin.audit.checkpointNow();
    const res = await gql(q, {}, auditor);
    expect(res.errors).toBeUndefined();
    const v = res.data!.auditVerification;
    expect(v).toMatchObject({ ok: true, problemCount: 0, firstProblem: null });
    expect(v.entries).toBe((await logOf({})).length);
    expect(v.headSeq).toBe(v.entries);
    expect(v.latestCheckpoint.seq).toBe(v.entries);
    expect(v.keySources).toEqual(["key file", "trust list v1"]);

    const seq = 2;
    await origin.db
      .updateTable("audit_log")
      .set({ partner_org_id: "shelter-beta" })
      .where("seq", "=", seq)
      .execute();
    const broken = (await gql(q, {}, admin)).data!.auditVerification;
    expect(broken.ok).toBe(false);
    expect(broken.firstProblem).toMatchObject({ seq, kind: "CHANGED" });
    await origin.db
      .updateTable("audit_log")
      .set({ partner_org_id: SHELTER })
      .where("seq", "=", seq)
      .execute();
    expect((await gql(q, {}, auditor)).data!.auditVerification.ok).toBe(true);
  });

  it("is refused everything about people", async () => {
    for (const q of [
      "{ referrals(first: 5) { edges { node { id } } } }",
      `{ referral(id: "${referralIds[0]}") { id subject { givenName } } }`,
    ]) {
      const res = await gql(q, {}, auditor);
      expect(res.errors?.[0]?.extensions?.code).toBe("ERR_FORBIDDEN");
      expect(JSON.stringify(res)).not.toContain("Zuwenaya");
    }
    const draft = await gql(
      "mutation($input: DraftReferralInput!) { draftReferral(input: $input) { id } }",
      { input: input() },
      auditor,
    );
    expect(draft.errors?.[0]?.extensions?.code).toBe("ERR_FORBIDDEN");
    const me = await gql("{ me { role } }", {}, auditor);
    expect(me.data!.me.role).toBe("AUDITOR");
  });

  it("is the only one besides admins who reads the trail: caseworkers and supervisors are refused", async () => {
    for (const token of [caseworker.token, supervisor]) {
      for (const q of ["{ auditLog { edges { node { seq } } } }", "{ auditVerification { ok } }"]) {
        const res = await gql(q, {}, token);
        expect(res.errors?.[0]?.extensions?.code).toBe("ERR_FORBIDDEN");
        expect(res.data ?? null).toBeNull();
      }
    }
    const ad = await gql("{ auditLog(first: 1) { edges { node { seq } } } }", {}, admin);
    expect(ad.errors).toBeUndefined();
    expect(ad.data!.auditLog.edges).toHaveLength(1);
  });
});
