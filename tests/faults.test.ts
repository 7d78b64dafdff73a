// Faults a real network meets: a shelter offline for days, a broker restarted mid-flight, a node
// killed between storing a message and acknowledging it. Nothing may be lost, nothing doubled.
import { TestNetwork } from "@refnet/dev-env";
import { afterEach, describe, expect, it } from "vitest";
import { NETWORK_ORGS, ORIGIN, SHELTER_A, sendReferral, statusOf, waitForStatus } from "./helpers.ts";

const TWO_ORGS = NETWORK_ORGS.slice(0, 2);

async function incomingCount(net: TestNetwork, orgId: string): Promise<number> {
  const db = net.node(orgId).ctx!.db;
  const row = await db
    .selectFrom("referral")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("direction", "=", "incoming")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function offersStored(net: TestNetwork, orgId: string): Promise<number> {
  const db = net.node(orgId).ctx!.db;
  const row = await db
    .selectFrom("inbox")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("type", "=", "referral.offer")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function deliveredEvents(net: TestNetwork, orgId: string, ids: string[]): Promise<Map<string, number>> {
  const db = net.node(orgId).ctx!.db;
  const rows = await db
    .selectFrom("referral_event")
    .select(["referral_id"])
    .where("kind", "=", "delivered")
    .where("referral_id", "in", ids)
    .execute();
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.referral_id, (m.get(r.referral_id) ?? 0) + 1);
  return m;
}

describe("faults", () => {
  let net: TestNetwork | undefined;
  afterEach(async () => {
    await net?.stop();
    net = undefined;
  });

  it("a shelter that was down receives every referral, once, when it comes back", async () => {
    net = await TestNetwork.start({ orgs: TWO_ORGS });
    await net.stopNode(SHELTER_A);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await sendReferral(net, SHELTER_A));
    // Published and waiting on the broker as ciphertext; nothing is delivered yet.
    await net.waitFor(async () => (await net!.streamMessageCount()) === 12, {
      timeoutMs: 10_000,
      what: "12 in stream",
    });
    for (const id of ids) expect(await statusOf(net, ORIGIN, id)).toBe("SENT");

    await net.startNode(SHELTER_A);
    for (const id of ids) await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
    expect(await incomingCount(net, SHELTER_A)).toBe(12);
    expect(await offersStored(net, SHELTER_A)).toBe(12);
    const delivered = await deliveredEvents(net, ORIGIN, ids);
    for (const id of ids) expect(delivered.get(id)).toBe(1);
    await net.waitFor(async () => (await net!.streamMessageCount()) === 0, { what: "stream drained" });
  });

  it("a NATS restart mid-flight loses nothing and doubles nothing", async () => {
    net = await TestNetwork.start({ orgs: TWO_ORGS });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await sendReferral(net, SHELTER_A));
    const restarting = net.restartNats();
    // Caseworkers keep working while the broker is away: these wait in the outboxes.
    for (let i = 0; i < 8; i++) ids.push(await sendReferral(net, SHELTER_A));
    await restarting;
    for (let i = 0; i < 8; i++) ids.push(await sendReferral(net, SHELTER_A));

    for (const id of ids) await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A], 30_000);
    expect(await incomingCount(net, SHELTER_A)).toBe(24);
    expect(await offersStored(net, SHELTER_A)).toBe(24);
    const delivered = await deliveredEvents(net, ORIGIN, ids);
    for (const id of ids) expect(delivered.get(id)).toBe(1);
  });

  it("a node killed between storing and acknowledging does not store the redelivery twice", async () => {
    let crashes = 0;
    net = await TestNetwork.start({
      orgs: TWO_ORGS,
      nodeOverrides: (orgId) =>
        orgId === SHELTER_A
          ? {
              federationOptions: {
                ackWaitMs: 1500,
                faults: {
                  afterStoreBeforeAck: () => {
                    if (crashes > 0) return undefined;
                    crashes++;
                    return "crash";
                  },
                },
              },
            }
          : undefined,
    });
    const id = await sendReferral(net, SHELTER_A);
    await net.waitFor(() => crashes === 1, { timeoutMs: 10_000, what: "the injected crash" });
    // The offer is stored at the shelter but JetStream still holds it unacknowledged.
    expect(await offersStored(net, SHELTER_A)).toBe(1);
    expect(await net.streamMessageCount()).toBeGreaterThan(0);

    await net.killNode(SHELTER_A);
    await net.startNode(SHELTER_A);
    // JetStream redelivers after the ack wait; the node recognises (iss, jti), stores nothing, acks.
    await net.waitFor(async () => (await net!.streamMessageCount()) === 0, {
      timeoutMs: 20_000,
      what: "redelivery acknowledged",
    });
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
    expect(await offersStored(net, SHELTER_A)).toBe(1);
    expect(await incomingCount(net, SHELTER_A)).toBe(1);
    const db = net.node(SHELTER_A).ctx!.db;
    const quarantined = await db.selectFrom("quarantine").selectAll().execute();
    expect(quarantined).toEqual([]);
    const delivered = await deliveredEvents(net, ORIGIN, [id]);
    expect(delivered.get(id)).toBe(1);
  });
});
