// The production broker topology (infra/nats/README.md), generated from the trust list: a hub with a
// JetStream domain and one NATS user per organisation, one leaf nats-server per organisation, each node
// on its own leaf. Referrals travel, trust list changes published on the hub reach every node, and
// whatever connects to one organisation's leaf has only that organisation's rights on the hub.
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { HUB_JS_DOMAIN, TestNetwork } from "@refnet/dev-env";
import { inboxConsumerName, inboxStreamName, TRUST_LIST_KEY, trustBucketName } from "@refnet/protocol";
import {
  buildNextTrustList,
  canonicalTrustListJson,
  coSignTrustList,
  natsInboxPrefix,
  signTrustList,
} from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCEPT,
  DRAFT,
  NETWORK_ORGS,
  ORIGIN,
  referralInput,
  SHELTER_A,
  SHELTER_B,
  sendReferral,
  waitForStatus,
} from "./helpers.ts";

describe("a network on a hub and one leaf node per organisation", () => {
  let net: TestNetwork;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    net = await TestNetwork.start({ orgs: NETWORK_ORGS, broker: "hub-leaf" });
  }, 120_000);
  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await net?.stop();
  });

  async function onLeafOf(orgId: string): Promise<NatsConnection> {
    // Replies come back under the organisation's own prefix, the only one its hub user may receive.
    const nc = await connect({
      servers: net.natsLeaves.get(orgId)!.url,
      reconnect: false,
      timeout: 3000,
      inboxPrefix: natsInboxPrefix(orgId),
    });
    open.push(nc);
    return nc;
  }

  it("runs every node on its own leaf, against the hub's JetStream domain", () => {
    expect([...net.natsLeaves.keys()].sort()).toEqual(net.orgIds.slice().sort());
    for (const n of net.nodes()) {
      expect(n.env.REFNET_NATS_URL).toBe(net.natsLeaves.get(n.orgId)!.url);
      expect(n.env.REFNET_NATS_JS_DOMAIN).toBe(HUB_JS_DOMAIN);
    }
  });

  it("carries a referral from the origin's leaf to the shelter's and back", async () => {
    const id = await sendReferral(net, SHELTER_A);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
    await net.gql(SHELTER_A, ACCEPT, { id, note: "We have a bed" });
    await waitForStatus(net, id, "ACCEPTED", [ORIGIN, SHELTER_A]);
    // Work-queue retention on the hub: nothing is left once both sides have stored their messages.
    await net.waitFor(async () => (await net.streamMessageCount()) === 0, {
      timeoutMs: 10_000,
      what: "an empty inbox stream",
    });
  });

  it("brings a trust list published on the hub to every node through its leaf", async () => {
    const payload = await buildNextTrustList(
      net.trust.payload,
      [{ kind: "suspend", orgId: SHELTER_B }],
      Math.floor(Date.now() / 1000),
    );
    let signed = await signTrustList(payload, [net.trust.adminKeys[0]!.privateJwk]);
    signed = await coSignTrustList(signed, net.trust.adminKeys[1]!.privateJwk);
    const admin = await connect({
      servers: net.nats.url,
      user: net.natsAdmin!.user,
      pass: net.natsAdmin!.pass,
      reconnect: false,
    });
    open.push(admin);
    const kv = await new Kvm(admin).open(trustBucketName(net.network));
    await kv.put(TRUST_LIST_KEY, canonicalTrustListJson(signed));
    for (const orgId of net.orgIds) {
      await net.waitFor(() => net.node(orgId).ctx?.trust.current().version === 2, {
        timeoutMs: 5_000,
        what: `trust list version 2 on ${orgId}`,
      });
    }
    const refused = await net.gql(ORIGIN, DRAFT, { input: referralInput(SHELTER_B) }, { allowErrors: true });
    expect(refused.errors?.[0]?.extensions?.code).toBe("ERR_PARTNER_UNAVAILABLE");
  });

  it("gives a client of one organisation's leaf no way into another's inbox or the trust list", async () => {
    const nc = await onLeafOf(ORIGIN);
    const js = jetstream(nc, { domain: HUB_JS_DOMAIN, timeout: 2000 });
    // Its own consumer is reachable (this is what its node uses)...
    const own = await js.consumers.get(inboxStreamName(net.network), inboxConsumerName(ORIGIN));
    expect((await own.info()).name).toBe(inboxConsumerName(ORIGIN));
    expect(await own.next({ expires: 1000 })).toBeNull();
    // ... another organisation's is not, nor a write to the trust list. The hub drops a request its
    // user may not publish, so the client sees no responder (nats.js reports an API request with no
    // responder as "jetstream is not enabled"), or a permissions error, or nothing before its timeout.
    const denied = /permission|timeout|no responders|jetstream is not enabled/i;
    await expect(
      js.consumers
        .get(inboxStreamName(net.network), inboxConsumerName(SHELTER_A))
        .then((c) => c.next({ expires: 1000 })),
    ).rejects.toThrow(denied);
    const kv = await new Kvm(js).open(trustBucketName(net.network));
    await expect(kv.put(TRUST_LIST_KEY, "{}")).rejects.toThrow(denied);
    expect(net.node(SHELTER_A).ctx?.trust.current().version).toBe(2);
  });
});
