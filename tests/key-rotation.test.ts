// A partner rotates its own keys (docs/admin-guide.md §4) on five real nodes and a real nats-server,
// with referrals in flight both ways: offers sealed to its old encryption key wait in the broker while
// its node is down, and an acceptance it signed with its old signing key waits for a partner that is
// down too. It runs `refnet keys rotate`; the admins check the request, sign and publish the list;
// the nodes pick it up (two of them only on restart) and every referral arrives exactly once. After
// the overlap and the 14-day grace (the nodes' clock moved forward) the old keys are refused and
// retired.
import { createPrivateKey } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { EXIT, run as refnet } from "@refnet/cli";
import { TestNetwork } from "@refnet/dev-env";
import { inboxSubject, PROBLEM_CODES, sealEnvelope } from "@refnet/protocol";
import {
  canonicalTrustListJson,
  parseTrustListProposal,
  signTrustListProposal,
  type TrustListPayload,
} from "@refnet/trust";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCEPT,
  DRAFT,
  ORIGIN,
  PROGRESS,
  referralInput,
  SEND,
  SHELTER_A,
  SHELTER_B,
  statusOf,
} from "./helpers.ts";

const LEGAL = "legal-east";
const GAMMA = "shelter-gamma";
const ROTATING = SHELTER_A;
const ORGS = [
  { orgId: ORIGIN, name: "Safe Passage Initiative", country: "NG", roles: ["origin" as const] },
  { orgId: SHELTER_A, name: "Casa Alfa Shelter", country: "IT", roles: ["destination" as const] },
  { orgId: SHELTER_B, name: "Beta House", country: "ES", roles: ["destination" as const] },
  { orgId: LEGAL, name: "Legal Aid East", country: "RO", roles: ["origin" as const, "destination" as const] },
  { orgId: GAMMA, name: "Gamma Refuge", country: "GR", roles: ["destination" as const] },
];
const DAY_MS = 86_400_000;
const OVERLAP_S = 7 * 86_400;
const GRACE_S = 14 * 86_400 + 300;

/** The nodes' clock: real time plus an offset the test moves forward. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };

const OWN_KEYS = "{ ownKeys { use kid state } pendingKeyRotations { signingKid encryptionKid request } }";
const QUARANTINE = "{ quarantine(first: 50) { edges { node { code senderOrgId type } } } }";

const postgresUrl = process.env.REFNET_TEST_POSTGRES_URL;
const databases: { name: string; database: "sqlite" | { postgresUrl: string } }[] = [
  { name: "SQLite", database: "sqlite" },
];
if (postgresUrl) databases.push({ name: "PostgreSQL", database: { postgresUrl } });

describe.each(databases)("a partner rotates its keys on $name", ({ database }) => {
  let net: TestNetwork;
  let v2: TrustListPayload;
  let newKids: { sig: string; enc: string };
  const sentToRotating: string[] = [];
  let w1: string;
  let w2: string;

  beforeAll(async () => {
    clock.offset = 0;
    net = await TestNetwork.start({
      orgs: ORGS,
      database,
      trust: { lifetimeSeconds: 120 * 86_400 },
      nodeOverrides: () => ({ clock, keyMaintenanceIntervalMs: 200 }),
    });
  });
  afterAll(async () => {
    await net?.stop();
  });

  const oldKeys = () => net.trust.orgKeys[ROTATING]!;

  /** A referral from `from` to `to`, its dates taken from the nodes' clock. */
  async function send(from: string, to: string): Promise<string> {
    const input = referralInput(to);
    input.respondBy = new Date(clock.now() + 7 * DAY_MS).toISOString();
    input.consent.expiresAt = new Date(clock.now() + 365 * DAY_MS).toISOString();
    const draft = await net.gql<{ draftReferral: { id: string } }>(from, DRAFT, { input });
    const id = draft.data!.draftReferral.id;
    await net.gql(from, SEND, { id });
    return id;
  }

  async function waitStatus(id: string, status: string, orgs: string[], timeoutMs = 20_000) {
    await net.waitFor(
      async () => {
        for (const org of orgs) if ((await statusOf(net, org, id)) !== status) return false;
        return true;
      },
      { timeoutMs, intervalMs: 50, what: `referral ${id} ${status} on ${orgs.join(", ")}` },
    );
  }

  async function outboxRecipientKids(org: string, aud: string): Promise<Map<string, string>> {
    const rows = await net
      .node(org)
      .ctx!.db.selectFrom("outbox")
      .select(["thid", "type", "envelope"])
      .where("aud", "=", aud)
      .where("type", "=", "referral.offer")
      .execute();
    return new Map(rows.map((r) => [r.thid, decodeProtectedHeader(r.envelope).kid as string]));
  }

  async function quarantine(org: string) {
    const q = await net.gql<{
      quarantine: { edges: { node: { code: string; senderOrgId: string | null } }[] };
    }>(org, QUARANTINE);
    return q.data!.quarantine.edges.map((e) => e.node);
  }

  it("carries referrals both ways before the rotation", async () => {
    w1 = await send(ORIGIN, ROTATING);
    w2 = await send(LEGAL, ROTATING);
    await waitStatus(w1, "DELIVERED", [ORIGIN, ROTATING]);
    await waitStatus(w2, "DELIVERED", [LEGAL, ROTATING]);
  });

  it("leaves messages in flight both ways: an acceptance under the old signing key, offers to the old encryption key", async () => {
    // LEGAL is down: the shelter's acceptance, signed with its current key, waits in the broker.
    await net.stopNode(LEGAL);
    await net.gql(ROTATING, ACCEPT, { id: w2, note: "We have a bed" });
    await net.waitFor(
      async () =>
        (
          await net
            .node(ROTATING)
            .ctx!.db.selectFrom("outbox")
            .select("status")
            .where("thid", "=", w2)
            .where("type", "=", "referral.accept")
            .executeTakeFirst()
        )?.status === "sent",
      { timeoutMs: 10_000, intervalMs: 20, what: "the acceptance published" },
    );
    // The shelter goes down: three offers sealed to its current encryption key wait in the broker.
    await net.stopNode(ROTATING);
    for (let i = 0; i < 3; i++) sentToRotating.push(await send(ORIGIN, ROTATING));
    const kids = await outboxRecipientKids(ORIGIN, ROTATING);
    for (const id of sentToRotating) expect(kids.get(id)).toBe(oldKeys().enc.kid);
    // Published (the relay runs after the commit) and waiting: the acceptance and the three offers.
    await net.waitFor(async () => (await net.streamMessageCount()) >= 4, {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: "four messages waiting in the broker",
    });
  });

  it("`refnet keys rotate` on the shelter's machine: new keys pending, a request signed with the key in force", async () => {
    const node = net.node(ROTATING);
    let out = "";
    let err = "";
    const code = await refnet(["keys", "rotate", "--out", "rotation.jws", "--overlap", "7d"], {
      env: { ...node.env },
      cwd: net.rootDir,
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      now: () => Math.floor(clock.now() / 1000),
    });
    expect(code, err).toBe(EXIT.ok);
    expect(out).toMatch(/PENDING until the network admins list them/);
    const request = (await readFile(join(net.rootDir, "rotation.jws"), "utf8")).trim();
    const payload = JSON.parse(Buffer.from(request.split(".")[1]!, "base64url").toString("utf8"));
    newKids = { sig: payload.keys[0].kid, enc: payload.keys[1].kid };
    expect(decodeProtectedHeader(request)).toEqual({
      alg: "EdDSA",
      kid: oldKeys().sig.kid,
      typ: "refnet-key-rotation+jws",
    });
    let shown = "";
    await refnet(["keys", "show"], {
      env: { ...node.env },
      cwd: net.rootDir,
      out: (t) => {
        shown += t;
      },
      err: () => undefined,
    });
    expect(shown).toMatch(/sig\s+PENDING/);
    expect(shown).toMatch(/enc\s+PENDING/);
    expect(shown).toMatch(/sig\s+ACTIVE/);
  });

  it("the admins check the request, two of them sign, and the list is published", async () => {
    let out = "";
    let err = "";
    const io = {
      env: {},
      cwd: net.rootDir,
      out: (t: string) => {
        out += t;
      },
      err: (t: string) => {
        err += t;
      },
      now: () => Math.floor(clock.now() / 1000),
    };
    const propose = await refnet(
      [
        "trust",
        "propose",
        "--from",
        net.genesisFile,
        "--out",
        "v2-proposal.json",
        "--rotation-request",
        "rotation.jws",
        "--extend",
        "120d",
      ],
      io,
    );
    expect(propose, err).toBe(EXIT.ok);
    expect(out).toMatch(new RegExp(`rotation request of ${ROTATING}, .*: OK`));
    // Each admin adds a signature (what `refnet trust sign` does, without the passphrase prompts).
    const parsed = parseTrustListProposal(await readFile(join(net.rootDir, "v2-proposal.json"), "utf8"));
    if (!parsed.ok) throw new Error(parsed.detail);
    let signed = parsed.signed;
    for (const admin of [net.trust.adminKeys[0]!, net.trust.adminKeys[2]!])
      signed = await signTrustListProposal(signed, admin.privateJwk);
    v2 = parsed.payload;
    await writeFile(join(net.rootDir, "v2.json"), `${canonicalTrustListJson(signed)}\n`);
    out = "";
    const publish = await refnet(
      ["trust", "publish", "v2.json", "--nats", net.nats.url, "--network", net.network],
      io,
    );
    expect(publish, out + err).toBe(EXIT.ok);
    const rotating = v2.partners.find((p) => p.orgId === ROTATING)!;
    expect(rotating.keys).toHaveLength(4);
    // The running nodes apply it.
    for (const org of [ORIGIN, SHELTER_B, GAMMA])
      await net.waitFor(() => net.node(org).ctx?.trust.current().version === 2, {
        timeoutMs: 5_000,
        intervalMs: 10,
        what: `version 2 on ${org}`,
      });
  });

  it("senders encrypt to the new key at once, while the shelter is still down", async () => {
    for (let i = 0; i < 2; i++) sentToRotating.push(await send(ORIGIN, ROTATING));
    const kids = await outboxRecipientKids(ORIGIN, ROTATING);
    expect(sentToRotating.map((id) => kids.get(id))).toEqual([
      oldKeys().enc.kid,
      oldKeys().enc.kid,
      oldKeys().enc.kid,
      newKids.enc,
      newKids.enc,
    ]);
  });

  it("the shelter restarts: every referral arrives exactly once, and it switches to its new keys", async () => {
    await net.startNode(ROTATING);
    for (const id of sentToRotating) await waitStatus(id, "DELIVERED", [ORIGIN, ROTATING], 30_000);
    await net.waitFor(() => net.node(ROTATING).ctx?.trust.current().version === 2, {
      timeoutMs: 5_000,
      intervalMs: 10,
      what: "version 2 on the shelter",
    });
    // Exactly once: one inbox row per offer, one delivered event per referral, nothing refused.
    const ctx = net.node(ROTATING).ctx!;
    const offers = await ctx.db
      .selectFrom("inbox")
      .select(["thid"])
      .where("type", "=", "referral.offer")
      .where("iss", "=", ORIGIN)
      .execute();
    expect(offers.map((o) => o.thid).sort()).toEqual([w1, ...sentToRotating].sort());
    for (const id of sentToRotating) {
      const events = await net
        .node(ORIGIN)
        .ctx!.db.selectFrom("referral_event")
        .select("kind")
        .where("referral_id", "=", id)
        .where("kind", "=", "delivered")
        .execute();
      expect(events, id).toHaveLength(1);
    }
    expect(await quarantine(ROTATING)).toEqual([]);
    expect(await quarantine(ORIGIN)).toEqual([]);

    // It answers under its new signing key, which the partners know from version 2.
    await net.gql(ROTATING, ACCEPT, { id: sentToRotating[0], note: "Yes" });
    await net.gql(ROTATING, ACCEPT, { id: sentToRotating[4], note: "Yes" });
    await waitStatus(sentToRotating[0]!, "ACCEPTED", [ORIGIN, ROTATING]);
    await waitStatus(sentToRotating[4]!, "ACCEPTED", [ORIGIN, ROTATING]);
    await net.waitFor(
      async () => {
        const r = await net.gql<{
          ownKeys: { use: string; kid: string; state: string }[];
          pendingKeyRotations: unknown[];
        }>(ROTATING, OWN_KEYS);
        const states = Object.fromEntries(r.data!.ownKeys.map((k) => [k.kid, k.state]));
        return (
          r.data!.pendingKeyRotations.length === 0 &&
          states[newKids.sig] === "ACTIVE" &&
          states[newKids.enc] === "ACTIVE" &&
          states[oldKeys().sig.kid] === "RETIRING" &&
          states[oldKeys().enc.kid] === "RETIRING"
        );
      },
      { timeoutMs: 5_000, intervalMs: 50, what: "the shelter's keys: new ACTIVE, old RETIRING" },
    );
    expect(net.node(ROTATING).ctx!.ownKeys.signingKey()?.kid).toBe(newKids.sig);
    // Its key file no longer marks the new keys pending.
    expect(
      net
        .node(ROTATING)
        .ctx!.keys.keys()
        .filter((k) => k.pending),
    ).toEqual([]);
  });

  it("the partner that was down gets the old-key acceptance and a new-key update, starting from its old list", async () => {
    // While LEGAL is still down (and still holds version 1), the shelter reports arrival under its new key.
    await net.gql(ROTATING, PROGRESS, { id: w2, status: "ARRIVED" });
    await net.startNode(LEGAL);
    await waitStatus(w2, "ARRIVED", [LEGAL, ROTATING], 30_000);
    expect(net.node(LEGAL).ctx!.trust.current().version).toBe(2);
    expect(await quarantine(LEGAL)).toEqual([]);
    // Every message to the rotating partner left the broker: nothing was lost or left behind.
    await net.waitFor(async () => (await net.streamMessageCount()) === 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "an empty inbox stream",
    });
  });

  it("after the overlap the old signing key is refused, and after the grace the old encryption key too", async () => {
    const end = v2.partners.find((p) => p.orgId === ROTATING)!.keys.find((k) => k.use === "sig")!.notAfter!;
    expect(end).toBe(v2.issuedAt + OVERLAP_S);
    clock.offset = (end + 1) * 1000 - Date.now();
    // A fresh referral still flows, to and from the new keys.
    const after = await send(ORIGIN, ROTATING);
    await waitStatus(after, "DELIVERED", [ORIGIN, ROTATING]);
    const kids = await outboxRecipientKids(ORIGIN, ROTATING);
    expect(kids.get(after)).toBe(newKids.enc);

    // Someone with the old signing key signs now, and publishes straight to the origin's inbox.
    const nowS = Math.floor(clock.now() / 1000);
    const originEnc = net.trust.orgKeys[ORIGIN]!.enc;
    const originSigningKey = {
      kid: net.trust.orgKeys[ORIGIN]!.sig.kid,
      key: createPrivateKey({ key: { ...net.trust.orgKeys[ORIGIN]!.sig.privateJwk }, format: "jwk" }),
    };
    const nc = await connect({ servers: net.nats.url });
    try {
      const js = jetstream(nc);
      // A message sealed to the old encryption key before it ended, arriving after (a sender that had
      // not seen version 2 yet, a broker outage): the grace of docs/protocol.md §1.5 still opens it.
      const delayed = await sealEnvelope(
        {
          type: "message.receipt",
          aud: ROTATING,
          thid: sentToRotating[0]!,
          body: { ack: ["BBBBBBBBBBBBBBBBBBBBBB"] },
        },
        {
          iss: ORIGIN,
          signingKey: originSigningKey,
          recipientKey: { kid: oldKeys().enc.kid, key: oldKeys().enc.publicJwk },
          trustVersion: 1,
          nowSeconds: end - 60,
        },
      );
      await js.publish(inboxSubject(net.network, ROTATING), delayed.envelope);
      await net.waitFor(
        async () =>
          (await net
            .node(ROTATING)
            .ctx!.db.selectFrom("inbox")
            .select("jti")
            .where("iss", "=", ORIGIN)
            .where("jti", "=", delayed.claims.jti)
            .executeTakeFirst()) !== undefined,
        { timeoutMs: 10_000, intervalMs: 50, what: "the shelter opens a late message to its old key" },
      );
      expect(await quarantine(ROTATING)).toEqual([]);
      const stale = await sealEnvelope(
        { type: "referral.update", aud: ORIGIN, thid: sentToRotating[0]!, body: { status: "arrived" } },
        {
          iss: ROTATING,
          signingKey: {
            kid: oldKeys().sig.kid,
            key: createPrivateKey({ key: { ...oldKeys().sig.privateJwk }, format: "jwk" }),
          },
          recipientKey: { kid: originEnc.kid, key: originEnc.publicJwk },
          trustVersion: 2,
          nowSeconds: nowS,
        },
      );
      await js.publish(inboxSubject(net.network, ORIGIN), stale.envelope);
      await net.waitFor(
        async () => (await quarantine(ORIGIN)).some((q) => q.code === PROBLEM_CODES.trustKeyNotValid),
        { timeoutMs: 10_000, intervalMs: 50, what: "the origin refuses the old signing key" },
      );
      expect(await statusOf(net, ORIGIN, sentToRotating[0]!)).toBe("ACCEPTED");

      // Past notAfter + 14 days + 300 s, a message sealed to the old encryption key no longer opens.
      clock.offset = (end + GRACE_S) * 1000 - Date.now();
      const late = await sealEnvelope(
        {
          type: "message.receipt",
          aud: ROTATING,
          thid: sentToRotating[0]!,
          body: { ack: ["AAAAAAAAAAAAAAAAAAAAAA"] },
        },
        {
          iss: ORIGIN,
          signingKey: originSigningKey,
          recipientKey: { kid: oldKeys().enc.kid, key: oldKeys().enc.publicJwk },
          trustVersion: 2,
          nowSeconds: Math.floor(clock.now() / 1000),
        },
      );
      await js.publish(inboxSubject(net.network, ROTATING), late.envelope);
    } finally {
      await nc.close();
    }
    await net.waitFor(
      async () => (await quarantine(ROTATING)).some((q) => q.code === PROBLEM_CODES.envelopeUnknownKey),
      { timeoutMs: 10_000, intervalMs: 50, what: "the shelter refuses its old encryption key" },
    );
    // And the node retires the old keys, destroying their private halves.
    await net.waitFor(
      async () => {
        const r = await net.gql<{ ownKeys: { kid: string; state: string }[] }>(ROTATING, OWN_KEYS);
        const states = Object.fromEntries(r.data!.ownKeys.map((k) => [k.kid, k.state]));
        return states[oldKeys().sig.kid] === "RETIRED" && states[oldKeys().enc.kid] === "RETIRED";
      },
      { timeoutMs: 5_000, intervalMs: 50, what: "old keys RETIRED" },
    );
    const store = net.node(ROTATING).ctx!.keys;
    await net.waitFor(() => store.keys().filter((k) => k.retiredAt !== undefined).length === 2, {
      timeoutMs: 5_000,
      intervalMs: 50,
      what: "old keys marked retired in the key file",
    });
    expect(store.signingKeyByKid(oldKeys().sig.kid)).toBeUndefined();
    expect(await store.decryptionKey(oldKeys().enc.kid)).toBeUndefined();
    // The new keys carry on: a referral after the grace arrives.
    const last = await send(ORIGIN, ROTATING);
    await waitStatus(last, "DELIVERED", [ORIGIN, ROTATING]);
  });
});
