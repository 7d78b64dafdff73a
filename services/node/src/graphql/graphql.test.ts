// The GraphQL API through fastify's inject: a real node (SQLite in a temp dir, a real signed trust
// list, real keys and outbox), staff tokens, errors and their codes, pagination, filters, limits.

import { readFileSync } from "node:fs";
import { buildSchema, type GraphQLEnumType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../context.ts";
import { buildServer, type NodeServer } from "../server.ts";
import {
  createTestWorld,
  type GqlTestResponse,
  injectGql,
  ORIGIN,
  SHELTER,
  SHELTER_B,
  type TestWorld,
} from "../test-support.ts";
import * as enums from "./enums.ts";
import { SCHEMA_PATH } from "./yoga.ts";

let world: TestWorld;
let origin: AppContext;
let app: NodeServer;
let caseworker: string;
let admin: string;
let disabled: string;

function gql(
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = caseworker,
  target: NodeServer = app,
): Promise<GqlTestResponse> {
  return injectGql(target, query, variables, token);
}

const inAWeek = () => new Date(world.clock.now() + 7 * 86_400_000).toISOString();
const inAYear = () => new Date(world.clock.now() + 365 * 86_400_000).toISOString();

function input(destination = SHELTER, extra: Record<string, unknown> = {}) {
  return {
    destinationOrgId: destination,
    urgency: "URGENT",
    services: ["SHELTER", "MEDICAL"],
    summary: "Adult woman needs a safe bed",
    respondBy: inAWeek(),
    subject: {
      languages: ["en", "yo"],
      ageBand: "AGE_26_59",
      givenName: "Zuwenaya",
      familyName: "Okonkwo-Marlowe",
      phone: "+234 801 555 0199",
      health: { conditions: ["asthma"] },
      notes: "Prefers a female caseworker",
    },
    consent: {
      scopes: ["IDENTITY", "CONTACT", "HEALTH"],
      purposes: ["SHELTER", "MEDICAL"],
      recipients: [destination],
      expiresAt: inAYear(),
      method: "WRITTEN",
      language: "en",
      textVersion: "consent-form-v3",
    },
    ...extra,
  };
}

const DRAFT = /* GraphQL */ `
  mutation Draft($input: DraftReferralInput!) {
    draftReferral(input: $input) {
      id status direction disclosedFields urgency services respondBy
      subject { ref languages ageBand givenName phone health notes }
      consent { id subjectRef scopes purposes recipients method expiresAt }
      partner { orgId name country roles status keyFingerprints }
      timeline { kind status actorOrgId actorStaff }
    }
  }
`;

beforeAll(async () => {
  world = await createTestWorld();
  origin = await world.node(ORIGIN);
  app = await buildServer(origin);
  caseworker = (await world.staff(origin, "caseworker")).token;
  admin = (await world.staff(origin, "admin")).token;
  const d = await world.staff(origin, "supervisor", "leaver");
  disabled = d.token;
  await origin.db.updateTable("staff").set({ disabled: 1 }).where("username", "=", "leaver").execute();
});
afterAll(async () => {
  await app?.close();
  await world?.close();
});

describe("authentication", () => {
  it("refuses a request without a token with 401 and ERR_UNAUTHENTICATED, before parsing it", async () => {
    const res = await gql("{ me { username } }", {}, null);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(res.errors?.[0]?.extensions?.code).toBe("ERR_UNAUTHENTICATED");
    expect(res.data ?? null).toBeNull();
    // Not even a syntax error is revealed to a stranger.
    const broken = await gql("{ this is not graphql", {}, null);
    expect(broken.status).toBe(401);
    expect(broken.errors?.[0]?.extensions?.code).toBe("ERR_UNAUTHENTICATED");
  });

  it("refuses a bad or disabled token the same way", async () => {
    for (const token of [`rn_${"x".repeat(43)}`, "nonsense", disabled]) {
      const res = await gql("{ me { username } }", {}, token);
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe("ERR_UNAUTHENTICATED");
    }
  });

  it("knows who the token belongs to", async () => {
    const res = await gql("{ me { username role displayName } }");
    expect(res.errors).toBeUndefined();
    expect(res.data?.me).toEqual({ username: `caseworker-${ORIGIN}`, role: "CASEWORKER", displayName: null });
  });

  it("shows the quarantine to admins only", async () => {
    const q = "{ quarantine(first: 5) { edges { node { id code } } pageInfo { hasNextPage } } }";
    const cw = await gql(q);
    expect(cw.errors?.[0]?.extensions?.code).toBe("ERR_FORBIDDEN");
    const ad = await gql(q, {}, admin);
    expect(ad.errors).toBeUndefined();
    expect(ad.data?.quarantine).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
  });
});

describe("organization and partners", () => {
  it("names this organization from the trust list", async () => {
    const res = await gql("{ organization { orgId name country roles network } }");
    expect(res.data?.organization).toEqual({
      orgId: ORIGIN,
      name: "Safe Passage Initiative",
      country: "NG",
      roles: ["ORIGIN"],
      network: "test-net",
    });
  });

  it("lists the other partners, narrowed by role and country", async () => {
    const all = await gql("{ partners { orgId roles status keyFingerprints } }");
    const ids = all.data?.partners.map((p: { orgId: string }) => p.orgId);
    expect(ids).not.toContain(ORIGIN);
    expect(ids).toEqual(expect.arrayContaining([SHELTER, SHELTER_B]));
    for (const p of all.data?.partners ?? []) {
      expect(p.status).toBe("ACTIVE");
      expect(p.keyFingerprints.length).toBeGreaterThanOrEqual(2);
      for (const k of p.keyFingerprints) expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    const dest = await gql('{ partners(role: DESTINATION, country: "it") { orgId } }');
    expect(dest.data?.partners).toEqual([{ orgId: SHELTER }]);
  });
});

describe("trust list and refusals (admins only)", () => {
  const TRUST = /* GraphQL */ `{
    trustList {
      version network issuedAt expiresAt expired threshold digest
      admins { id kid fingerprint }
      partners { orgId name country roles status keys { use kid fingerprint notBefore notAfter validNow } }
    }
  }`;
  const REFUSALS = /* GraphQL */ `query R($first: Int, $after: String) {
    trustRefusals(first: $first, after: $after) {
      edges { cursor node { id receivedAt version code detail source list } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

  const OWN_KEYS =
    "{ ownKeys { use kid fingerprint state listed notBefore notAfter keptUntil retiredAt } pendingKeyRotations { signingKid } }";

  it("refuses them to staff below admin", async () => {
    for (const q of [TRUST, REFUSALS, OWN_KEYS]) {
      const res = await gql(q, {}, caseworker);
      expect(res.errors?.[0]?.extensions?.code).toBe("ERR_FORBIDDEN");
      expect(res.data ?? null).toBeNull();
    }
  });

  it("shows the list in force, every partner and key, to an admin", async () => {
    const res = await gql(TRUST, {}, admin);
    expect(res.errors).toBeUndefined();
    const t = res.data?.trustList;
    const list = origin.trust.current();
    expect(t).toMatchObject({
      version: 1,
      network: "test-net",
      expired: false,
      threshold: 2,
      digest: list.digest,
      expiresAt: new Date(list.expiresAt * 1000).toISOString(),
    });
    expect(t.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(t.admins).toHaveLength(3);
    for (const a of t.admins) expect(a.fingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    // Unlike `partners`, this node itself is in it too.
    expect(t.partners.map((p: { orgId: string }) => p.orgId)).toEqual(
      expect.arrayContaining([ORIGIN, SHELTER]),
    );
    for (const p of t.partners) {
      expect(p.status).toBe("ACTIVE");
      expect(p.keys.map((k: { use: string }) => k.use).sort()).toEqual(["ENC", "SIG"]);
      for (const k of p.keys) expect(k).toMatchObject({ notAfter: null, validNow: true });
    }
  });

  it("shows the node's own keys with their state to an admin, public facts only", async () => {
    const res = await gql(OWN_KEYS, {}, admin);
    expect(res.errors).toBeUndefined();
    const keys = world.trust.orgKeys[ORIGIN]!;
    const notBefore = new Date(origin.trust.current().keyById(keys.sig.kid)!.notBefore * 1000).toISOString();
    expect(res.data?.ownKeys).toEqual(
      (["sig", "enc"] as const).map((use) => ({
        use: use.toUpperCase(),
        kid: keys[use].kid,
        fingerprint: expect.stringMatching(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/),
        state: "ACTIVE",
        listed: true,
        notBefore,
        notAfter: null,
        keptUntil: null,
        retiredAt: null,
      })),
    );
    expect(res.data?.pendingKeyRotations).toEqual([]);
  });

  it("pages refused lists newest first, and health names the latest", async () => {
    const store = origin.trust as unknown as { offer(text: string, source: string): Promise<unknown> };
    for (const text of ["first bad list", "second bad list", "third bad list"]) {
      world.clock.advance(1000);
      await store.offer(text, "kv");
    }
    const p1 = await gql(REFUSALS, { first: 2 }, admin);
    expect(p1.errors).toBeUndefined();
    const page1 = p1.data?.trustRefusals;
    expect(page1.edges.map((e: { node: { list: string } }) => e.node.list)).toEqual([
      "third bad list",
      "second bad list",
    ]);
    expect(page1.edges[0].node).toMatchObject({ code: "e.t.malformed", version: null, source: "kv" });
    expect(page1.edges[0].node.receivedAt).toBe(new Date(world.clock.now()).toISOString());
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const p2 = await gql(REFUSALS, { first: 2, after: page1.pageInfo.endCursor }, admin);
    expect(p2.data?.trustRefusals.edges.map((e: { node: { list: string } }) => e.node.list)).toEqual([
      "first bad list",
    ]);
    const health = await gql("{ health { trust { version lastRefusal { code version at } } } }");
    expect(health.data?.health.trust).toEqual({
      version: 1,
      lastRefusal: { code: "e.t.malformed", version: null, at: new Date(world.clock.now()).toISOString() },
    });
  });
});

describe("referrals", () => {
  it("drafts with the consent deciding which fields are kept, enums mapped both ways", async () => {
    const res = await gql(DRAFT, { input: input() });
    expect(res.errors).toBeUndefined();
    const r = res.data?.draftReferral;
    expect(r).toMatchObject({
      status: "DRAFT",
      direction: "OUTGOING",
      urgency: "URGENT",
      services: ["SHELTER", "MEDICAL"],
      subject: {
        languages: ["en", "yo"],
        ageBand: "AGE_26_59",
        givenName: "Zuwenaya",
        phone: "+234 801 555 0199",
        health: { conditions: ["asthma"] },
        notes: null,
      },
      consent: {
        scopes: ["IDENTITY", "CONTACT", "HEALTH"],
        purposes: ["SHELTER", "MEDICAL"],
        recipients: [SHELTER],
        method: "WRITTEN",
      },
      partner: {
        orgId: SHELTER,
        name: "Casa Alfa Shelter",
        country: "IT",
        roles: ["DESTINATION"],
        status: "ACTIVE",
      },
      timeline: [
        { kind: "created", status: "DRAFT", actorOrgId: ORIGIN, actorStaff: `caseworker-${ORIGIN}` },
      ],
    });
    expect(r.disclosedFields).toEqual([
      "ageBand",
      "familyName",
      "givenName",
      "health",
      "languages",
      "phone",
      "ref",
    ]);
    expect(r.subject.ref).toBe(r.consent.subjectRef);
    expect(r.respondBy).toMatch(/Z$/);
  });

  it("sends a draft and reads it back with its timeline", async () => {
    const d = await gql(DRAFT, { input: input() });
    const id = d.data?.draftReferral.id as string;
    const s = await gql("mutation($id: ID!) { sendReferral(id: $id) { id status } }", { id });
    expect(s.data?.sendReferral).toEqual({ id, status: "SENT" });
    const r = await gql("query($id: ID!) { referral(id: $id) { status timeline { kind status } } }", { id });
    expect(r.data?.referral).toEqual({
      status: "SENT",
      timeline: [
        { kind: "created", status: "DRAFT" },
        { kind: "sent", status: "SENT" },
      ],
    });
    expect((await gql('{ referral(id: "AAAAAAAAAAAAAAAAAAAAAA") { id } }')).data?.referral).toBeNull();
  });

  it("maps refusals to stable codes", async () => {
    const purpose = await gql(DRAFT, { input: input(SHELTER, { services: ["LEGAL_AID"] }) });
    expect(purpose.errors?.[0]?.extensions?.code).toBe("ERR_CONSENT_PURPOSE");
    const base = input();
    const recipient = await gql(DRAFT, {
      input: { ...base, consent: { ...base.consent, recipients: [SHELTER_B] } },
    });
    expect(recipient.errors?.[0]?.extensions?.code).toBe("ERR_CONSENT_RECIPIENT");
    const notFound = await gql('mutation { sendReferral(id: "AAAAAAAAAAAAAAAAAAAAAA") { id } }');
    expect(notFound.errors?.[0]?.extensions?.code).toBe("ERR_NOT_FOUND");
    const wrongSide = await gql(DRAFT, { input: input() });
    const id = wrongSide.data?.draftReferral.id;
    const accept = await gql("mutation($id: ID!) { acceptReferral(id: $id) { id } }", { id });
    expect(accept.errors?.[0]?.extensions?.code).toBe("ERR_INVALID_STATE");
    const badDate = await gql(DRAFT, { input: input(SHELTER, { respondBy: "next tuesday" }) });
    expect(badDate.errors?.[0]?.message).toMatch(/ISO 8601/);
  });

  it("never echoes a person's data in an error", async () => {
    const base = input();
    const res = await gql(DRAFT, {
      input: { ...base, subject: { ...base.subject, givenName: "Z".repeat(300) } },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe("ERR_INVALID_INPUT");
    expect(JSON.stringify(res)).not.toContain("ZZZZZ");
  });
});

describe("GraphQL's own input errors", () => {
  it("keep the variable, the path and the reason, not the value", async () => {
    const base = input();
    const unknownField = await gql(DRAFT, {
      input: { ...base, subject: { ...base.subject, fullName: "Zuwenaya Okonkwo-Marlowe" } },
    });
    const m1 = unknownField.errors?.[0]?.message ?? "";
    expect(m1).toContain('Variable "$input" got an invalid value');
    expect(m1).toContain('Field "fullName" is not defined by type "SubjectInput"');
    expect(JSON.stringify(unknownField)).not.toContain("Zuwenaya");
    expect(JSON.stringify(unknownField)).not.toContain("+234");

    const badEnum = await gql(DRAFT, {
      input: { ...base, subject: { ...base.subject, ageBand: "Zuwenaya" } },
    });
    expect(badEnum.errors?.[0]?.message).toContain('at "input.subject.ageBand"');
    expect(JSON.stringify(badEnum)).not.toContain("Zuwenaya");

    const badType = await gql(DRAFT, {
      input: { ...base, subject: { ...base.subject, phone: 2348015550199 } },
    });
    expect(badType.errors?.[0]?.message).toMatch(/String cannot represent a non string value\./);
    expect(JSON.stringify(badType)).not.toContain("2348015550199");
  });
});

describe("pagination and filters", () => {
  let world2: TestWorld;
  let node: AppContext;
  let server: NodeServer;
  let token: string;
  const ids: string[] = [];

  beforeAll(async () => {
    world2 = await createTestWorld();
    node = await world2.node(ORIGIN);
    server = await buildServer(node);
    token = (await world2.staff(node)).token;
    const q = (query: string, variables: Record<string, unknown>) => gql(query, variables, token, server);
    // Seven referrals one minute apart: four to SHELTER (two sent), three EMERGENCY to SHELTER_B.
    for (let i = 0; i < 7; i++) {
      world2.clock.advance(60_000);
      const toB = i >= 4;
      const base = input(toB ? SHELTER_B : SHELTER);
      base.respondBy = new Date(world2.clock.now() + 86_400_000).toISOString();
      base.consent.expiresAt = new Date(world2.clock.now() + 365 * 86_400_000).toISOString();
      const res = await q(DRAFT, {
        input: {
          ...base,
          urgency: toB ? "EMERGENCY" : "URGENT",
          services: toB ? ["MEDICAL"] : ["SHELTER"],
        },
      });
      expect(res.errors).toBeUndefined();
      ids.push(res.data?.draftReferral.id);
      if (i < 2)
        await q("mutation($id: ID!) { sendReferral(id: $id) { id } }", { id: res.data?.draftReferral.id });
    }
  });
  afterAll(async () => {
    await server?.close();
    await world2?.close();
  });

  const LIST = /* GraphQL */ `
    query List($filter: ReferralFilter, $first: Int, $after: String) {
      referrals(filter: $filter, first: $first, after: $after) {
        edges { cursor node { id status urgency services destinationOrgId } }
        pageInfo { hasNextPage endCursor }
      }
    }
  `;

  it("pages newest first with opaque cursors, without gaps or repeats", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res = await gql(LIST, { first: 3, after }, token, server);
      expect(res.errors).toBeUndefined();
      const conn = res.data?.referrals;
      seen.push(...conn.edges.map((e: { node: { id: string } }) => e.node.id));
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
      expect(after).toBe(conn.edges.at(-1).cursor);
      expect(after).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("filters by status, partner, urgency, service and direction", async () => {
    const count = async (filter: Record<string, unknown>) => {
      const res = await gql(LIST, { filter, first: 50 }, token, server);
      expect(res.errors).toBeUndefined();
      return res.data?.referrals.edges.map((e: { node: { id: string } }) => e.node.id).sort();
    };
    expect(await count({ status: ["SENT"] })).toEqual(ids.slice(0, 2).sort());
    expect(await count({ status: ["DRAFT", "SENT"] })).toHaveLength(7);
    expect(await count({ partnerOrgId: SHELTER_B })).toEqual(ids.slice(4).sort());
    expect(await count({ urgency: "EMERGENCY" })).toEqual(ids.slice(4).sort());
    expect(await count({ service: "SHELTER" })).toEqual(ids.slice(0, 4).sort());
    expect(await count({ service: "LEGAL_AID" })).toEqual([]);
    expect(await count({ direction: "INCOMING" })).toEqual([]);
    expect(await count({ direction: "OUTGOING", partnerOrgId: SHELTER, status: ["DRAFT"] })).toEqual(
      ids.slice(2, 4).sort(),
    );
  });

  it("refuses a forged cursor and an oversized page", async () => {
    const forged = await gql(LIST, { after: "not-a-cursor!" }, token, server);
    expect(forged.errors?.[0]?.extensions?.code).toBe("ERR_INVALID_INPUT");
    const huge = await gql(LIST, { first: 1000 }, token, server);
    expect(huge.errors?.[0]?.extensions?.code).toBe("ERR_INVALID_INPUT");
  });
});

describe("query limits (graphql-armor)", () => {
  let world3: TestWorld;
  let limited: NodeServer;
  let token: string;
  beforeAll(async () => {
    world3 = await createTestWorld();
    const node = await world3.node(
      ORIGIN,
      {},
      { REFNET_GRAPHQL_MAX_DEPTH: "4", REFNET_GRAPHQL_MAX_COST: "300" },
    );
    limited = await buildServer(node);
    token = (await world3.staff(node)).token;
  });
  afterAll(async () => {
    await limited?.close();
    await world3?.close();
  });

  const refusedWith = async (query: string, pattern: RegExp, target = () => limited, tk = () => token) => {
    const res = await gql(query, {}, tk(), target());
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.message).toMatch(pattern);
  };

  it("refuses a query deeper than the limit", async () => {
    await refusedWith(
      "{ referrals { edges { node { subject { documents { type } } } } } }",
      /depth limit of 4 exceeded/i,
    );
    const ok = await gql("{ referrals { edges { node { id } } } }", {}, token, limited);
    expect(ok.errors).toBeUndefined();
  });

  it("refuses a query costlier than the limit", async () => {
    await refusedWith(
      "{ referrals(first: 100) { edges { node { id status subject { ref } } } } }",
      /cost limit of 300 exceeded/i,
    );
  });

  it("refuses too many aliases, directives or tokens", async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: me { username }`).join(" ");
    await refusedWith(`{ ${aliases} }`, /aliases limit of 15 exceeded/i);
    const directives = Array.from({ length: 60 }, () => "@include(if: true)").join(" ");
    await refusedWith(`{ me ${directives} { username } }`, /directives limit of 50 exceeded/i);
    const tokens = Array.from({ length: 2100 }, () => "username").join(" ");
    await refusedWith(`{ me { ${tokens} } }`, /token limit of 2000 exceeded/i);
  });

  it("applies the default limits (depth 12, cost 5000) on a default node", async () => {
    const costly = /* GraphQL */ `{ referrals(first: 100) { edges { node {
      id status urgency services summary
      subject { ref givenName familyName phone } consent { id scopes }
      timeline { kind status at note } } } } }`;
    await refusedWith(
      costly,
      /cost limit of 5000 exceeded/i,
      () => app,
      () => caseworker,
    );
  });

  it("does not suggest field names to a caller who guesses", async () => {
    const res = await gql("{ me { usernam } }", {}, token, limited);
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});

describe("enum mapping", () => {
  it("covers every value of every enum in schema.graphql, both ways", () => {
    const schema = buildSchema(readFileSync(SCHEMA_PATH, "utf8"));
    const maps: [string, enums.EnumMap<string, string>][] = [
      ["Role", enums.roleEnum],
      ["Direction", enums.directionEnum],
      ["ReferralStatus", enums.statusEnum],
      ["Urgency", enums.urgencyEnum],
      ["Service", enums.serviceEnum],
      ["ConsentScope", enums.scopeEnum],
      ["ConsentMethod", enums.methodEnum],
      ["DeclineReason", enums.declineReasonEnum],
      ["ProgressStatus", enums.progressEnum],
      ["Outcome", enums.outcomeEnum],
      ["AgeBand", enums.ageBandEnum],
      ["PartnerStatus", enums.partnerStatusEnum],
      ["PartnerRole", enums.partnerRoleEnum],
      ["ConsentGiver", enums.consentGiverEnum],
      ["OverrideReason", enums.overrideReasonEnum],
      ["ConsentStatus", enums.consentStatusEnum],
      ["RevocationCause", enums.revocationCauseEnum],
      ["ErasureStatus", enums.erasureStatusEnum],
      ["ErasureReason", enums.erasureReasonEnum],
      ["SubjectErasureReason", enums.subjectErasureReasonEnum],
    ];
    for (const [name, map] of maps) {
      const values = (schema.getType(name) as GraphQLEnumType).getValues().map((v) => v.name);
      expect([...map.gqlValues].sort()).toEqual([...values].sort());
      for (const v of values) expect(map.toGql(map.toWire(v))).toBe(v);
    }
    expect(enums.ageBandEnum.toWire("AGE_0_11")).toBe("0-11");
    expect(enums.ageBandEnum.toWire("AGE_60_PLUS")).toBe("60+");
    expect(enums.statusEnum.toGql("in_progress")).toBe("IN_PROGRESS");
  });
});

describe("HTTP", () => {
  it("answers /healthz while the process lives, /readyz 503 with reasons when NATS is away", async () => {
    const live = await app.inject({ method: "GET", url: "/healthz" });
    expect(live.statusCode).toBe(200);
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    const body = JSON.parse(ready.body);
    expect(body).toMatchObject({ ready: false, database: true, nats: false, trust: { expired: false } });
    expect(body.reasons).toEqual(["nats: not connected"]);
  });

  it("reports health through GraphQL", async () => {
    const res = await gql(
      "{ health { ready database nats outboxPending quarantined trust { version expired expiresAt } } }",
    );
    expect(res.data?.health).toMatchObject({
      ready: false,
      database: true,
      nats: false,
      trust: { version: 1, expired: false },
    });
    expect(res.data?.health.outboxPending).toBeGreaterThan(0);
  });

  it("serves GraphiQL when configured, and marks answers not cacheable", async () => {
    const page = await app.inject({ method: "GET", url: "/graphql", headers: { accept: "text/html" } });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    const res = await gql("{ me { username } }");
    expect(res.headers["cache-control"]).toBe("no-store");

    const prod = await createTestWorld();
    try {
      const node = await prod.node(ORIGIN, {}, { REFNET_GRAPHIQL: "false" });
      const server = await buildServer(node);
      const noPage = await server.inject({
        method: "GET",
        url: "/graphql",
        headers: { accept: "text/html" },
      });
      expect(noPage.headers["content-type"] ?? "").not.toMatch(/text\/html/);
      await server.close();
    } finally {
      await prod.close();
    }
  });

  it("refuses an oversized body before reading it all", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json", authorization: `Bearer ${caseworker}` },
      payload: JSON.stringify({
        query: "{ me { username } }",
        variables: { x: "a".repeat(2 * 1024 * 1024) },
      }),
    });
    expect(res.statusCode).toBe(413);
  });

  it("refuses a mutation over GET", async () => {
    const res = await app.inject({
      method: "GET",
      url: `/graphql?query=${encodeURIComponent('mutation { sendReferral(id: "x") { id } }')}`,
      headers: { authorization: `Bearer ${caseworker}`, accept: "application/graphql-response+json" },
    });
    expect(res.statusCode).toBe(405);
  });
});
