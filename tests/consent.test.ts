// Consent across borders, on real nodes and a real nats-server (docs/consent.md, docs/protocol.md §5):
// what a narrow consent lets through, forged offers that break it (sealed with the origin's real keys,
// past its own checks) refused with their §5.4 codes and quarantined, a revocation that reaches two
// shelters while one of them is offline, erasure you can check through each shelter's GraphQL, and
// the expiry sweep. On SQLite, and on PostgreSQL when REFNET_TEST_POSTGRES_URL is set.
import { createPrivateKey } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { TestNetwork } from "@refnet/dev-env";
import { createStaff } from "@refnet/node";
import {
  type Consent,
  inboxSubject,
  MSG_JWE_ALG,
  MSG_JWE_ENC,
  MSG_JWE_TYP,
  MSG_JWS_ALG,
  MSG_JWS_TYP,
  newMessageId,
  newReferralId,
  sealEnvelope,
} from "@refnet/protocol";
import { CompactEncrypt, CompactSign, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NETWORK_ORGS, ORIGIN, PERSON, SEND, SHELTER_A, SHELTER_B, waitForStatus } from "./helpers.ts";

const postgresUrl = process.env.REFNET_TEST_POSTGRES_URL;
const databases: { name: string; database: "sqlite" | { postgresUrl: string } }[] = [
  { name: "SQLite", database: "sqlite" },
];
if (postgresUrl) databases.push({ name: "PostgreSQL", database: { postgresUrl } });
else if (process.env.CI === "true") throw new Error("REFNET_TEST_POSTGRES_URL must be set in CI");

const RECORD = /* GraphQL */ `
  mutation R($input: RecordConsentInput!) { recordConsent(input: $input) { id subjectRef } }
`;
const DRAFT = /* GraphQL */ `
  mutation D($input: DraftReferralInput!) { draftReferral(input: $input) { id disclosedFields } }
`;
const PREVIEW = /* GraphQL */ `
  query P($id: ID!) { disclosurePreview(referralId: $id) { fields blockedBy } }
`;
const REVOKE = /* GraphQL */ `
  mutation V($id: ID!) { revokeConsent(id: $id) { id all recipients { orgId status } } }
`;
const REVOCATIONS = /* GraphQL */ `
  query S($id: ID!) {
    consent(id: $id) { status revocations { complete recipients { orgId status erasedAt referralIds } } }
  }
`;
const AT_SHELTER = /* GraphQL */ `
  query G($id: ID!) {
    referral(id: $id) {
      status summary disclosedFields
      subject { ref languages ageBand givenName familyName phone email currentLocation health notes documents { number } }
      consent { id scopes isOverride }
      erasure { reason all scopes }
    }
  }
`;
const QUARANTINE = "{ quarantine(first: 50) { edges { node { code senderOrgId type messageId } } } }";

interface ShelterView {
  status: string;
  summary: string | null;
  disclosedFields: string[];
  subject: Record<string, unknown>;
  consent: { id: string; scopes: string[]; isOverride: boolean };
  erasure: { reason: string; all: boolean; scopes: string[] } | null;
}
interface Recipients {
  consent: {
    status: string;
    revocations: {
      complete: boolean;
      recipients: { orgId: string; status: string; erasedAt: string | null; referralIds: string[] }[];
    }[];
  };
}

const nowS = () => Math.floor(Date.now() / 1000);

/** A person's full record, as a caseworker would type it. */
const fullSubject = {
  languages: ["en", "yo"],
  ageBand: "AGE_26_59",
  givenName: PERSON.givenName,
  familyName: PERSON.familyName,
  documents: [{ type: "passport", number: PERSON.passport }],
  phone: PERSON.phone,
  email: PERSON.email,
  currentLocation: PERSON.location,
  health: { conditions: ["asthma"] },
  notes: PERSON.notes,
};

describe.each(databases)("consent across borders on $name", ({ database }) => {
  let net: TestNetwork;

  beforeAll(async () => {
    // The shelters sweep for expired consents every 200 ms, so the expiry scenario stays short.
    net = await TestNetwork.start({
      orgs: NETWORK_ORGS,
      database,
      nodeOverrides: (orgId) => (orgId === ORIGIN ? undefined : { sweepIntervalMs: 200 }),
    });
  });
  afterAll(async () => {
    await net?.stop();
  });

  async function recordConsent(
    over: Record<string, unknown> = {},
  ): Promise<{ id: string; subjectRef: string }> {
    const res = await net.gql<{ recordConsent: { id: string; subjectRef: string } }>(ORIGIN, RECORD, {
      input: {
        givenBy: "SELF",
        method: "VERBAL",
        language: "yo",
        textVersion: "consent-form-v3",
        scopes: ["IDENTITY", "CONTACT", "HEALTH"],
        purposes: ["SHELTER", "MEDICAL"],
        recipients: [SHELTER_A, SHELTER_B],
        expiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
        ...over,
      },
    });
    return res.data!.recordConsent;
  }

  async function draft(
    consentId: string,
    destination: string,
  ): Promise<{ id: string; disclosedFields: string[] }> {
    const res = await net.gql<{ draftReferral: { id: string; disclosedFields: string[] } }>(ORIGIN, DRAFT, {
      input: {
        destinationOrgId: destination,
        urgency: "URGENT",
        services: ["SHELTER"],
        summary: "Adult woman needs a safe bed tonight",
        subject: fullSubject,
        consentId,
      },
    });
    return res.data!.draftReferral;
  }

  async function sendUnder(consentId: string, destination: string): Promise<string> {
    const d = await draft(consentId, destination);
    await net.gql(ORIGIN, SEND, { id: d.id });
    return d.id;
  }

  async function atShelter(org: string, id: string): Promise<ShelterView | null> {
    const res = await net.gql<{ referral: ShelterView | null }>(org, AT_SHELTER, { id });
    return res.data?.referral ?? null;
  }

  async function recipientsOf(consentId: string) {
    const res = await net.gql<Recipients>(ORIGIN, REVOCATIONS, { id: consentId });
    return res.data!.consent.revocations[0]?.recipients ?? [];
  }

  /** Writes an envelope straight to a shelter's inbox, bypassing every node. */
  async function publish(to: string, envelope: string): Promise<void> {
    const nc = await connect({ servers: net.nats.url });
    try {
      await jetstream(nc).publish(inboxSubject(net.network, to), envelope);
    } finally {
      await nc.close();
    }
  }

  /**
   * An offer signed with the origin's real signing key and encrypted to the shelter's real key, built
   * with jose directly: our sealer refuses to sign what breaks the consent, a hostile or broken node
   * does not.
   */
  async function forgeOffer(
    to: string,
    consent: Consent,
    body: { services: string[]; subject: Record<string, unknown> },
  ): Promise<{ thid: string; jti: string; envelope: string }> {
    const keys = net.trust.orgKeys[ORIGIN]!;
    const recipient = net.trust.orgKeys[to]!.enc;
    const thid = newReferralId();
    const jti = newMessageId();
    const iat = nowS();
    const claims = {
      v: 1,
      jti,
      type: "referral.offer",
      iss: ORIGIN,
      aud: to,
      rkid: recipient.kid,
      iat,
      exp: iat + 3600,
      thid,
      tlv: net.trust.payload.version,
      consent,
      body: { referral: { id: thid, urgency: "urgent", services: body.services }, subject: body.subject },
    };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: MSG_JWS_ALG, kid: keys.sig.kid, typ: MSG_JWS_TYP })
      .sign(createPrivateKey({ key: keys.sig.privateJwk, format: "jwk" }));
    const envelope = await new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({
        alg: MSG_JWE_ALG,
        enc: MSG_JWE_ENC,
        kid: recipient.kid,
        cty: MSG_JWS_TYP,
        typ: MSG_JWE_TYP,
      })
      .encrypt(await importJWK(recipient.publicJwk, MSG_JWE_ALG));
    return { thid, jti, envelope };
  }

  function wireConsent(id: string, subjectRef: string, over: Partial<Consent> = {}): Consent {
    return {
      id,
      subjectRef,
      scopes: ["contact"],
      purposes: ["shelter"],
      recipients: [SHELTER_A],
      grantedAt: nowS() - 3600,
      expiresAt: nowS() + 86_400,
      method: "verbal",
      language: "yo",
      textVersion: "consent-form-v3",
      ...over,
    };
  }

  async function quarantineAt(org: string) {
    const q = await net.gql<{
      quarantine: {
        edges: { node: { code: string; senderOrgId: string | null; messageId: string | null } }[];
      };
    }>(org, QUARANTINE);
    return q.data!.quarantine.edges.map((e) => e.node);
  }

  it("sends under a narrow consent exactly the fields it allows, as the preview said", async () => {
    const c = await recordConsent({ scopes: ["CONTACT"], recipients: [SHELTER_A] });
    const d = await draft(c.id, SHELTER_A);
    const preview = await net.gql<{ disclosurePreview: { fields: string[]; blockedBy: string | null } }>(
      ORIGIN,
      PREVIEW,
      { id: d.id },
    );
    expect(preview.data?.disclosurePreview).toEqual({
      fields: ["ageBand", "currentLocation", "email", "languages", "phone", "ref"],
      blockedBy: null,
    });
    expect(d.disclosedFields).toEqual(preview.data?.disclosurePreview.fields);
    await net.gql(ORIGIN, SEND, { id: d.id });
    await waitForStatus(net, d.id, "DELIVERED", [ORIGIN, SHELTER_A]);

    const r = await atShelter(SHELTER_A, d.id);
    expect(r?.disclosedFields).toEqual(preview.data?.disclosurePreview.fields);
    expect(r?.subject).toMatchObject({
      ref: c.subjectRef,
      phone: PERSON.phone,
      email: PERSON.email,
      currentLocation: PERSON.location,
      givenName: null,
      familyName: null,
      documents: null,
      health: null,
      notes: null,
    });
    expect(r?.consent).toEqual({ id: c.id, scopes: ["CONTACT"], isOverride: false });
  });

  it("shares under an override only once another supervisor approved it, marked as such at the shelter", async () => {
    const db = net.node(ORIGIN).ctx!.db;
    const caseworker = (await createStaff(db, { username: "amina", role: "caseworker" })).token;
    const supervisor = (await createStaff(db, { username: "duty-supervisor", role: "supervisor" })).token;
    const grounds = "Credible threat from the recruiter tonight";
    const rec = await net.gql<{ recordConsent: { id: string; subjectRef: string } }>(
      ORIGIN,
      RECORD,
      {
        input: {
          method: "VERBAL",
          language: "en",
          textVersion: "override-notice-v1",
          scopes: ["IDENTITY"],
          purposes: ["SHELTER"],
          recipients: [SHELTER_A],
          expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
          override: { reason: "RISK_TO_LIFE", note: grounds },
        },
      },
      { token: caseworker },
    );
    const id = rec.data!.recordConsent.id;
    const early = await net.gql(
      ORIGIN,
      DRAFT,
      {
        input: {
          destinationOrgId: SHELTER_A,
          urgency: "EMERGENCY",
          services: ["SHELTER"],
          subject: fullSubject,
          consentId: id,
        },
      },
      { token: caseworker, allowErrors: true },
    );
    expect(early.errors?.[0]?.extensions?.code).toBe("ERR_OVERRIDE_NOT_APPROVED");
    const APPROVE = "mutation($id: ID!) { approveOverride(consentId: $id) { status } }";
    const self = await net.gql(ORIGIN, APPROVE, { id }, { token: caseworker, allowErrors: true });
    expect(self.errors?.[0]?.extensions?.code).toBe("ERR_FORBIDDEN");
    const ok = await net.gql<{ approveOverride: { status: string } }>(
      ORIGIN,
      APPROVE,
      { id },
      { token: supervisor },
    );
    expect(ok.data?.approveOverride.status).toBe("ACTIVE");

    const d = await net.gql<{ draftReferral: { id: string } }>(
      ORIGIN,
      DRAFT,
      {
        input: {
          destinationOrgId: SHELTER_A,
          urgency: "EMERGENCY",
          services: ["SHELTER"],
          subject: fullSubject,
          consentId: id,
        },
      },
      { token: caseworker },
    );
    const referralId = d.data!.draftReferral.id;
    await net.gql(ORIGIN, SEND, { id: referralId }, { token: caseworker });
    await waitForStatus(net, referralId, "DELIVERED", [ORIGIN, SHELTER_A]);
    const there = await net.gql<{
      referral: {
        consent: { isOverride: boolean; override: { reason: string; approvedBy: string; note: string } };
      };
    }>(
      SHELTER_A,
      "query($id: ID!) { referral(id: $id) { consent { isOverride override { reason approvedBy note } } } }",
      {
        id: referralId,
      },
    );
    expect(there.data?.referral.consent).toEqual({
      isOverride: true,
      override: { reason: "risk_to_life", approvedBy: "duty-supervisor", note: grounds },
    });
  });

  it("refuses and quarantines forged offers that break the consent, each with its §5.4 code", async () => {
    const c = await recordConsent({ scopes: ["CONTACT"], recipients: [SHELTER_A] });
    const base = wireConsent(c.id, c.subjectRef);
    const subject = { ref: c.subjectRef, phone: PERSON.phone };
    const forged = {
      "e.p.consent.out-of-scope": await forgeOffer(SHELTER_A, base, {
        services: ["shelter"],
        subject: { ...subject, givenName: PERSON.givenName },
      }),
      "e.p.consent.recipient": await forgeOffer(
        SHELTER_A,
        { ...base, recipients: [SHELTER_B] },
        {
          services: ["shelter"],
          subject,
        },
      ),
      "e.p.consent.purpose": await forgeOffer(SHELTER_A, base, {
        services: ["shelter", "legal_aid"],
        subject,
      }),
    };
    // Sealed by our own sealer while the consent was in force (as early as the origin's key allows);
    // the consent expired one second later, and the offer arrives after that.
    const sealedAt = net.trust.payload.partners
      .find((p) => p.orgId === ORIGIN)!
      .keys.find((k) => k.use === "sig")!.notBefore;
    await net.waitFor(() => nowS() > sealedAt + 1, { timeoutMs: 5_000, what: "the consent to expire" });
    const keys = net.trust.orgKeys[ORIGIN]!;
    const shelterKey = net.trust.orgKeys[SHELTER_A]!.enc;
    const lateThid = newReferralId();
    const late = await sealEnvelope(
      {
        type: "referral.offer",
        aud: SHELTER_A,
        thid: lateThid,
        consent: { ...base, grantedAt: sealedAt - 60, expiresAt: sealedAt + 1 },
        body: { referral: { id: lateThid, urgency: "urgent", services: ["shelter"] }, subject },
      },
      {
        iss: ORIGIN,
        signingKey: { kid: keys.sig.kid, key: createPrivateKey({ key: keys.sig.privateJwk, format: "jwk" }) },
        recipientKey: { kid: shelterKey.kid, key: shelterKey.publicJwk },
        trustVersion: net.trust.payload.version,
        nowSeconds: sealedAt,
      },
    );
    const all = {
      ...forged,
      "e.p.consent.expired": { thid: lateThid, jti: late.claims.jti, envelope: late.envelope },
    };
    for (const f of Object.values(all)) await publish(SHELTER_A, f.envelope);

    await net.waitFor(
      async () => {
        const q = await quarantineAt(SHELTER_A);
        return Object.values(all).every((f) => q.some((x) => x.messageId === f.jti));
      },
      { timeoutMs: 15_000, intervalMs: 50, what: "four forged offers quarantined" },
    );
    const q = await quarantineAt(SHELTER_A);
    for (const [code, f] of Object.entries(all)) {
      expect(q.find((x) => x.messageId === f.jti)).toMatchObject({ code, senderOrgId: ORIGIN });
      // Nothing of it was stored as a referral.
      expect(await atShelter(SHELTER_A, f.thid)).toBeNull();
    }
    // The envelope that arrived under an expired consent is not kept; the others are, as ciphertext.
    const rows = await net
      .node(SHELTER_A)
      .ctx!.db.selectFrom("quarantine")
      .select(["jti", "envelope", "consent_id"])
      .where("consent_id", "=", c.id)
      .execute();
    expect(rows.find((x) => x.jti === late.claims.jti)?.envelope).toBe("");
    expect(rows.find((x) => x.jti === forged["e.p.consent.purpose"].jti)?.envelope).not.toBe("");
    // The signature verified, so the origin is told why (docs/protocol.md §2.9).
    await net.waitFor(
      async () => {
        const reports = await net
          .node(ORIGIN)
          .ctx!.db.selectFrom("inbox")
          .select("thid")
          .where("type", "=", "problem.report")
          .where(
            "thid",
            "in",
            Object.values(all).map((f) => f.thid),
          )
          .execute();
        return reports.length === 4;
      },
      { timeoutMs: 15_000, intervalMs: 50, what: "four problem reports at the origin" },
    );
  });

  it("revokes across borders: both shelters erase, the offline one when it returns, and refuse what follows", async () => {
    const c = await recordConsent();
    const toA = await sendUnder(c.id, SHELTER_A);
    const toB = await sendUnder(c.id, SHELTER_B);
    await waitForStatus(net, toA, "DELIVERED", [ORIGIN, SHELTER_A]);
    await waitForStatus(net, toB, "DELIVERED", [ORIGIN, SHELTER_B]);
    expect((await atShelter(SHELTER_A, toA))?.subject.givenName).toBe(PERSON.givenName);
    expect((await atShelter(SHELTER_B, toB))?.subject.phone).toBe(PERSON.phone);
    // A forged offer under the same consent sits in shelter A's quarantine (its key opens it).
    const stray = await forgeOffer(SHELTER_A, wireConsent(c.id, c.subjectRef, { scopes: [] }), {
      services: ["shelter"],
      subject: { ref: c.subjectRef, givenName: PERSON.givenName },
    });
    await publish(SHELTER_A, stray.envelope);
    await net.waitFor(async () => (await quarantineAt(SHELTER_A)).some((x) => x.messageId === stray.jti), {
      timeoutMs: 10_000,
      what: "stray offer quarantined",
    });

    await net.stopNode(SHELTER_B);
    const revoked = await net.gql<{
      revokeConsent: { all: boolean; recipients: { orgId: string; status: string }[] };
    }>(ORIGIN, REVOKE, { id: c.id });
    expect(revoked.data?.revokeConsent).toEqual({
      id: expect.any(String),
      all: true,
      recipients: [
        { orgId: SHELTER_A, status: "PENDING" },
        { orgId: SHELTER_B, status: "PENDING" },
      ],
    });

    // Shelter A is up: it erases and answers; B stays pending while it is offline.
    await net.waitFor(
      async () => (await recipientsOf(c.id)).find((x) => x.orgId === SHELTER_A)?.status === "ERASED",
      { timeoutMs: 15_000, intervalMs: 50, what: "shelter A's erasure receipt" },
    );
    const whileOffline = await recipientsOf(c.id);
    expect(whileOffline).toEqual([
      { orgId: SHELTER_A, status: "ERASED", erasedAt: expect.any(String), referralIds: [toA] },
      { orgId: SHELTER_B, status: "PENDING", erasedAt: null, referralIds: [toB] },
    ]);

    const a = await atShelter(SHELTER_A, toA);
    expect(a?.subject).toEqual({
      ref: c.subjectRef,
      languages: [],
      ageBand: null,
      givenName: null,
      familyName: null,
      phone: null,
      email: null,
      currentLocation: null,
      health: null,
      notes: null,
      documents: null,
    });
    expect(a?.summary).toBeNull();
    expect(a?.erasure).toEqual({ reason: "CONSENT_REVOKED", all: true, scopes: expect.any(Array) });
    expect(a?.status).toBe("DELIVERED");
    // Gone, not hidden: the shelter's full export of the person holds none of it either.
    const exported = await net.gql<{ exportSubject: unknown }>(
      SHELTER_A,
      `query($s: String!, $o: String) { exportSubject(subjectRef: $s, originOrgId: $o) }`,
      { s: c.subjectRef, o: ORIGIN },
    );
    const text = JSON.stringify(exported.data?.exportSubject);
    for (const secret of Object.values(PERSON)) expect(text).not.toContain(secret);
    expect(text).toContain(toA);
    const quarantined = await net
      .node(SHELTER_A)
      .ctx!.db.selectFrom("quarantine")
      .select("envelope")
      .where("jti", "=", stray.jti)
      .executeTakeFirstOrThrow();
    expect(quarantined.envelope).toBe("");

    // Shelter B comes back: the revoke was waiting for it in the stream.
    await net.startNode(SHELTER_B);
    await net.waitFor(async () => (await recipientsOf(c.id)).every((x) => x.status === "ERASED"), {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: "shelter B's erasure receipt",
    });
    const b = await atShelter(SHELTER_B, toB);
    expect(b?.subject.givenName).toBeNull();
    expect(b?.subject.phone).toBeNull();
    expect(b?.erasure?.reason).toBe("CONSENT_REVOKED");
    const status = await net.gql<Recipients>(ORIGIN, REVOCATIONS, { id: c.id });
    expect(status.data?.consent.status).toBe("REVOKED");
    expect(status.data?.consent.revocations[0]?.complete).toBe(true);

    // The origin sends nothing more under it...
    const more = await net.gql(
      ORIGIN,
      DRAFT,
      {
        input: {
          destinationOrgId: SHELTER_A,
          urgency: "URGENT",
          services: ["SHELTER"],
          subject: fullSubject,
          consentId: c.id,
        },
      },
      { allowErrors: true },
    );
    expect(more.errors?.[0]?.extensions?.code).toBe("ERR_CONSENT_REVOKED");
    // ...and whatever still comes under it is refused (sealed by our own sealer: the consent's time is
    // still good, only the revocation stands in the way).
    const keys = net.trust.orgKeys[ORIGIN]!;
    const shelterKey = net.trust.orgKeys[SHELTER_A]!.enc;
    const thid = newReferralId();
    const after = await sealEnvelope(
      {
        type: "referral.offer",
        aud: SHELTER_A,
        thid,
        consent: wireConsent(c.id, c.subjectRef),
        body: {
          referral: { id: thid, urgency: "urgent", services: ["shelter"] },
          subject: { ref: c.subjectRef, phone: PERSON.phone },
        },
      },
      {
        iss: ORIGIN,
        signingKey: { kid: keys.sig.kid, key: createPrivateKey({ key: keys.sig.privateJwk, format: "jwk" }) },
        recipientKey: { kid: shelterKey.kid, key: shelterKey.publicJwk },
        trustVersion: net.trust.payload.version,
        nowSeconds: nowS(),
      },
    );
    await publish(SHELTER_A, after.envelope);
    await net.waitFor(
      async () =>
        (await quarantineAt(SHELTER_A)).some(
          (x) => x.messageId === after.claims.jti && x.code === "e.p.consent.revoked",
        ),
      { timeoutMs: 10_000, intervalMs: 50, what: "later offer refused as revoked" },
    );
    expect(await atShelter(SHELTER_A, thid)).toBeNull();
  });

  it("erases at the shelter once the consent expires, by the shelter's own sweep", async () => {
    const c = await recordConsent({
      recipients: [SHELTER_A],
      grantedAt: new Date(Date.now() - 60_000).toISOString(),
      expiresAt: new Date(Date.now() + 6_000).toISOString(),
    });
    const id = await sendUnder(c.id, SHELTER_A);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
    expect((await atShelter(SHELTER_A, id))?.subject.givenName).toBe(PERSON.givenName);
    await net.waitFor(async () => (await atShelter(SHELTER_A, id))?.erasure?.reason === "CONSENT_EXPIRED", {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: "expiry erasure at the shelter",
    });
    const r = await atShelter(SHELTER_A, id);
    expect(r?.subject.givenName).toBeNull();
    expect(r?.subject.phone).toBeNull();
    expect(r?.subject.health).toBeNull();
    expect(r?.erasure).toMatchObject({ reason: "CONSENT_EXPIRED", all: true });
    // The origin's own record is its own: it keeps it.
    const origin = await net.gql<{ referral: { subject: { givenName: string | null } } }>(
      ORIGIN,
      "query($id: ID!) { referral(id: $id) { subject { givenName } } }",
      { id },
    );
    expect(origin.data?.referral.subject.givenName).toBe(PERSON.givenName);
  });
});
