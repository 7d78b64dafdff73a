// Network admins revoke, suspend and restore partners (docs/protocol.md §6), on five real nodes and a
// real nats-server: a new list signed by two of the three admins reaches every node through the KV
// bucket within a second, after which nobody sends to the revoked partner and every node refuses what
// it signs, even when it still holds its keys and publishes straight to a partner's inbox. A list
// below the threshold is refused by every node, which keeps running on the list in force.
import { createPrivateKey } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { EXIT, run as refnet } from "@refnet/cli";
import { TestNetwork } from "@refnet/dev-env";
import { inboxSubject, sealEnvelope, TRUST_LIST_KEY, trustBucketName } from "@refnet/protocol";
import {
  buildNextTrustList,
  canonicalTrustListJson,
  coSignTrustList,
  type SignedTrustList,
  signTrustList,
  type TrustListChange,
  type TrustListPayload,
} from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCEPT,
  DRAFT,
  ORIGIN,
  referralInput,
  SHELTER_A,
  SHELTER_B,
  sendReferral,
  statusOf,
  waitForStatus,
} from "./helpers.ts";

const LEGAL = "legal-east";
const REVOKED = "shelter-gamma";
const ORGS = [
  { orgId: ORIGIN, name: "Safe Passage Initiative", country: "NG", roles: ["origin" as const] },
  { orgId: SHELTER_A, name: "Casa Alfa Shelter", country: "IT", roles: ["destination" as const] },
  { orgId: SHELTER_B, name: "Beta House", country: "ES", roles: ["destination" as const] },
  { orgId: LEGAL, name: "Legal Aid East", country: "RO", roles: ["origin" as const, "destination" as const] },
  { orgId: REVOKED, name: "Gamma Refuge", country: "GR", roles: ["destination" as const] },
];
/** Every node must apply a new list within this long of the KV write. */
const APPLY_BUDGET_MS = 1000;

const TRUST_VERSION = "{ trustList { version partners { orgId status } } }";
const REFUSALS = /* GraphQL */ `{
  trustRefusals(first: 5) { edges { node { version code source list } } }
  health { ready trust { version lastRefusal { code version } } }
}`;
const QUARANTINE = "{ quarantine(first: 20) { edges { node { code senderOrgId type } } } }";

const postgresUrl = process.env.REFNET_TEST_POSTGRES_URL;
const databases: { name: string; database: "sqlite" | { postgresUrl: string } }[] = [
  { name: "SQLite", database: "sqlite" },
];
if (postgresUrl) databases.push({ name: "PostgreSQL", database: { postgresUrl } });

describe.each(databases)("revoking, suspending and restoring partners on $name", ({ database }) => {
  let net: TestNetwork;
  /** The admins' own copy of the list in force (what `refnet trust propose --from` starts from). */
  let inForce: { payload: TrustListPayload; signed: SignedTrustList };

  beforeAll(async () => {
    net = await TestNetwork.start({ orgs: ORGS, database });
    inForce = { payload: net.trust.payload, signed: net.trust.signed };
  });
  afterAll(async () => {
    await net?.stop();
  });

  const nowS = () => Math.floor(Date.now() / 1000);

  /** Builds the next version with `changes` and has the given admins sign it, one after the other. */
  async function propose(changes: TrustListChange[], admins: number[]): Promise<SignedTrustList> {
    const payload = await buildNextTrustList(inForce.payload, changes, nowS());
    const keys = net.trust.adminKeys;
    let signed = await signTrustList(payload, [keys[admins[0]!]!.privateJwk]);
    for (const i of admins.slice(1)) signed = await coSignTrustList(signed, keys[i]!.privateJwk);
    return signed;
  }

  /**
   * Runs `refnet trust publish` in this process and returns the moment (performance.now()) it was about
   * to write the bucket: it prints "writing version" right before the compare-and-set put.
   */
  async function publish(
    signed: SignedTrustList,
    name: string,
  ): Promise<{ code: number; putAt: number; out: string }> {
    const file = join(net.rootDir, `${name}.json`);
    await writeFile(file, `${JSON.stringify(signed, null, 2)}\n`);
    let putAt = Number.NaN;
    let out = "";
    const code = await refnet(["trust", "publish", file, "--nats", net.nats.url, "--network", net.network], {
      env: {},
      cwd: net.rootDir,
      out: (text) => {
        if (text.startsWith("writing version")) putAt = performance.now();
        out += text;
      },
      err: (text) => {
        out += text;
      },
    });
    return { code, putAt, out };
  }

  /**
   * Publishes `signed` and waits until every in-process node has it in force. Returns each node's delay
   * after the write, measured on the nodes' own trust state (polled every 2 ms, same process).
   */
  async function publishAndMeasure(signed: SignedTrustList, name: string): Promise<Map<string, number>> {
    const version = (
      JSON.parse(Buffer.from(signed.payload, "base64url").toString("utf8")) as { version: number }
    ).version;
    const applied = new Map<string, number>();
    let done = false;
    const poll = (async () => {
      while (!done) {
        for (const node of net.nodes()) {
          if (!applied.has(node.orgId) && node.ctx?.trust.current().version === version) {
            applied.set(node.orgId, performance.now());
          }
        }
        if (applied.size === net.orgIds.length) return;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const res = await publish(signed, name);
    expect(res.code, res.out).toBe(EXIT.ok);
    expect(Number.isFinite(res.putAt)).toBe(true);
    try {
      await net.waitFor(() => applied.size === net.orgIds.length, {
        timeoutMs: 10_000,
        intervalMs: 5,
        what: `version ${version} on every node`,
      });
    } finally {
      done = true;
      await poll;
    }
    inForce = {
      payload: JSON.parse(Buffer.from(signed.payload, "base64url").toString("utf8")) as TrustListPayload,
      signed,
    };
    return new Map([...applied].map(([org, t]) => [org, Math.max(0, t - res.putAt)]));
  }

  function report(what: string, delays: Map<string, number>): number {
    const worst = Math.max(...delays.values());
    const per = [...delays].map(([org, ms]) => `${org} ${ms.toFixed(1)}`).join(", ");
    console.log(
      `${what} applied on ${delays.size}/${net.orgIds.length} nodes in ${worst.toFixed(1)} ms (${per})`,
    );
    return worst;
  }

  let pendingAtRevoked: string;

  it("carries referrals between active partners", async () => {
    const id = await sendReferral(net, SHELTER_A);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
    await net.gql(SHELTER_A, ACCEPT, { id, note: "We have a bed" });
    await waitForStatus(net, id, "ACCEPTED", [ORIGIN, SHELTER_A]);
    // One referral reaches the partner about to be revoked and is still open there.
    pendingAtRevoked = await sendReferral(net, REVOKED);
    await waitForStatus(net, pendingAtRevoked, "DELIVERED", [ORIGIN, REVOKED]);
  });

  it("applies a revocation on every node within a second of the KV write", async () => {
    const next = await propose([{ kind: "revoke", orgId: REVOKED }], [0, 2]);
    const delays = await publishAndMeasure(next, "v2-revoke");
    const worst = report(`revocation of ${REVOKED} (version 2)`, delays);
    expect(delays.size).toBe(5);
    expect(worst).toBeLessThan(APPLY_BUDGET_MS);
    // Every node's admin sees the new list, the revoked partner in it as REVOKED.
    for (const org of net.orgIds) {
      const res = await net.gql<{
        trustList: { version: number; partners: { orgId: string; status: string }[] };
      }>(org, TRUST_VERSION);
      expect(res.data?.trustList.version).toBe(2);
      expect(res.data?.trustList.partners.find((p) => p.orgId === REVOKED)?.status).toBe("REVOKED");
    }
  });

  it("sends nothing to the revoked partner", async () => {
    for (const org of [ORIGIN, LEGAL]) {
      const partners = await net.gql<{ partners: { orgId: string }[] }>(org, "{ partners { orgId } }");
      expect(partners.data?.partners.map((p) => p.orgId)).not.toContain(REVOKED);
      const draft = await net.gql(org, DRAFT, { input: referralInput(REVOKED) }, { allowErrors: true });
      expect(draft.errors?.[0]?.extensions?.code).toBe("ERR_PARTNER_UNAVAILABLE");
    }
    // The open referral cannot be withdrawn towards it either: the message would go to a revoked org.
    const withdraw = await net.gql(
      ORIGIN,
      `mutation W($id: ID!) { withdrawReferral(id: $id, reason: "partner revoked") { id status } }`,
      { id: pendingAtRevoked },
      { allowErrors: true },
    );
    expect(withdraw.errors?.[0]?.extensions?.code).toBe("ERR_PARTNER_UNAVAILABLE");
    // And the revoked organisation's own node, run honestly, stops sending: its staff see why.
    const accept = await net.gql(REVOKED, ACCEPT, { id: pendingAtRevoked }, { allowErrors: true });
    expect(accept.errors?.[0]?.extensions?.code).toBe("ERR_SELF_INACTIVE");
    expect(await statusOf(net, REVOKED, pendingAtRevoked)).toBe("DELIVERED");
  });

  it("refuses on every node what the revoked partner signs, even published straight to an inbox", async () => {
    // The revoked organization turns hostile: it still holds its private keys and writes sealed,
    // correctly signed messages to the other nodes' inboxes itself, bypassing its node.
    const keys = net.trust.orgKeys[REVOKED]!;
    const signingKey = {
      kid: keys.sig.kid,
      key: createPrivateKey({ key: keys.sig.privateJwk, format: "jwk" }),
    };
    const others = net.orgIds.filter((o) => o !== REVOKED);
    // What each node had ever queued for it (the origin's offer, sent before the revocation).
    const toRevoked = (org: string) =>
      net
        .node(org)
        .ctx!.db.selectFrom("outbox")
        .select("jti")
        .where("aud", "=", REVOKED)
        .execute()
        .then((rows) => rows.map((r) => r.jti).sort());
    const before = new Map<string, string[]>();
    for (const org of others) before.set(org, await toRevoked(org));
    const nc = await connect({ servers: net.nats.url });
    try {
      const js = jetstream(nc);
      for (const org of others) {
        const recipient = net.trust.orgKeys[org]!.enc;
        const { envelope } = await sealEnvelope(
          { type: "referral.accept", aud: org, thid: pendingAtRevoked, body: { note: "accepted" } },
          {
            iss: REVOKED,
            signingKey,
            recipientKey: { kid: recipient.kid, key: recipient.publicJwk },
            trustVersion: 2,
            nowSeconds: nowS(),
          },
        );
        await js.publish(inboxSubject(net.network, org), envelope);
      }
    } finally {
      await nc.close();
    }
    for (const org of others) {
      await net.waitFor(
        async () => {
          const q = await net.gql<{ quarantine: { edges: { node: { code: string } }[] } }>(org, QUARANTINE);
          return q.data?.quarantine.edges.some((e) => e.node.code === "e.p.trust.signer-inactive");
        },
        { timeoutMs: 10_000, intervalMs: 50, what: `${org} quarantines the revoked partner's message` },
      );
      // No answer goes back to it: not a receipt, not a problem report.
      expect(await toRevoked(org)).toEqual(before.get(org));
    }
    // The origin's referral did not move: the forged acceptance changed nothing.
    const origin = await net.gql<{ referral: { status: string } }>(
      ORIGIN,
      "query G($id: ID!) { referral(id: $id) { status } }",
      { id: pendingAtRevoked },
    );
    expect(origin.data?.referral.status).toBe("DELIVERED");
  });

  it("suspends a partner, and a later list restores it: referrals flow again", async () => {
    const suspend = await propose([{ kind: "suspend", orgId: SHELTER_B }], [1, 2]);
    report(`suspension of ${SHELTER_B} (version 3)`, await publishAndMeasure(suspend, "v3-suspend"));
    const refused = await net.gql(ORIGIN, DRAFT, { input: referralInput(SHELTER_B) }, { allowErrors: true });
    expect(refused.errors?.[0]?.extensions?.code).toBe("ERR_PARTNER_UNAVAILABLE");

    const restore = await propose([{ kind: "restore", orgId: SHELTER_B }], [0, 1]);
    const delays = await publishAndMeasure(restore, "v4-restore");
    expect(report(`restoration of ${SHELTER_B} (version 4)`, delays)).toBeLessThan(APPLY_BUDGET_MS);
    const id = await sendReferral(net, SHELTER_B);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_B]);
    await net.gql(SHELTER_B, ACCEPT, { id, note: "Back in the network" });
    await waitForStatus(net, id, "ACCEPTED", [ORIGIN, SHELTER_B]);
  });

  it("refuses a list signed by one admin only: every node keeps its list and tells its admins", async () => {
    const bad = await propose([{ kind: "suspend", orgId: SHELTER_A }], [0]);
    // The admins' tool refuses to publish it...
    const res = await publish(bad, "v5-one-signature");
    expect(res.code).toBe(EXIT.failed);
    expect(res.out).toMatch(/e\.t\.threshold/);
    // ...so someone with write access to the bucket puts it there by hand.
    const text = canonicalTrustListJson(bad);
    const nc = await connect({ servers: net.nats.url });
    try {
      const kv = await new Kvm(nc).open(trustBucketName(net.network));
      await kv.put(TRUST_LIST_KEY, text);
    } finally {
      await nc.close();
    }
    for (const org of net.orgIds) {
      await net.waitFor(
        async () => {
          const r = await net.gql<{ trustRefusals: { edges: { node: { code: string } }[] } }>(org, REFUSALS);
          return r.data?.trustRefusals.edges.length === 1;
        },
        { timeoutMs: 5_000, intervalMs: 20, what: `${org} records the refusal` },
      );
      const r = await net.gql<{
        trustRefusals: { edges: { node: { version: number; code: string; source: string; list: string } }[] };
        health: {
          ready: boolean;
          trust: { version: number; lastRefusal: { code: string; version: number } };
        };
      }>(org, REFUSALS);
      expect(r.data?.trustRefusals.edges[0]?.node).toEqual({
        version: 5,
        code: "e.t.threshold",
        source: "kv",
        list: text,
      });
      expect(r.data?.health).toEqual({
        ready: true,
        trust: { version: 4, lastRefusal: { code: "e.t.threshold", version: 5 } },
      });
      expect(net.node(org).ctx?.trust.current().version).toBe(4);
    }
    // The network carries on under version 4: SHELTER_A is still active and reachable.
    const id = await sendReferral(net, SHELTER_A);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
  });
});
