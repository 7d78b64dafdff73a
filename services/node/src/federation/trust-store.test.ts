// The trust store's handling of candidate lists (docs/protocol.md §6.4) on a real node database: a
// newer list signed by the threshold is applied and survives a restart; a refused one leaves the list
// in force alone and is recorded, with the list as received, for the node's admins; an equal or older
// version stays quiet.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer } from "@refnet/dev-env";
import { TRUST_LIST_KEY } from "@refnet/protocol";
import {
  acceptTrustList,
  buildNextTrustList,
  canonicalTrustListJson,
  coSignTrustList,
  generateSigningKeyPair,
  type SignedTrustList,
  signTrustList,
} from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../context.ts";
import {
  createTestWorld,
  ORIGIN,
  ORIGIN_B,
  SHELTER,
  silentLogger,
  TEST_DATABASES,
  type TestWorld,
} from "../test-support.ts";
import { ensureBuckets } from "./nats-setup.ts";
import { TrustStore } from "./trust-store.ts";

describe.each(TEST_DATABASES)("TrustStore on $name", ({ postgresUrl }) => {
  let world: TestWorld;
  let ctx: AppContext;
  let store: TrustStore;

  beforeAll(async () => {
    world = await createTestWorld(postgresUrl ? { postgresUrl } : {});
    ctx = await world.node(ORIGIN);
    if (!(ctx.trust instanceof TrustStore)) throw new Error("the node should run a real TrustStore");
    store = ctx.trust;
  });
  afterAll(async () => {
    await world?.close();
  });

  const nowS = () => Math.floor(world.clock.now() / 1000);
  const refusals = () =>
    ctx.db.selectFrom("trust_refusal").selectAll().orderBy("received_at").orderBy("id").execute();

  /** The next version of the list in force, suspending SHELTER, signed by the given admins. */
  async function next(
    signers: number[],
    change: "suspend" | "restore" = "suspend",
  ): Promise<SignedTrustList> {
    const payload = await buildNextTrustList(
      store.current().payload,
      [{ kind: change, orgId: SHELTER }],
      nowS(),
    );
    const keys = world.trust.adminKeys;
    let signed = await signTrustList(payload, [keys[signers[0]!]!.privateJwk]);
    for (const i of signers.slice(1)) signed = await coSignTrustList(signed, keys[i]!.privateJwk);
    return signed;
  }

  it("refuses a list below the threshold, keeps its list, and records the list as received", async () => {
    const before = store.current();
    const bad = await next([0]);
    const text = canonicalTrustListJson(bad);
    world.clock.advance(1000);
    const res = await store.offer(text, "kv");
    expect(res).toMatchObject({ ok: false, code: "e.t.threshold" });
    expect(store.current()).toBe(before);
    const rows = await refusals();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      code: "e.t.threshold",
      version: before.version + 1,
      source: "kv",
      list: text,
      received_at: world.clock.now(),
    });
    expect(typeof rows[0]!.received_at).toBe("number");
    expect(store.lastRefused()).toMatchObject({ code: "e.t.threshold", version: before.version + 1 });

    // The same list seen again (say by a refresh) is not a new refusal.
    await store.offer(text, "refresh");
    expect(await refusals()).toHaveLength(1);
  });

  it("records a value that is not JSON, with no version", async () => {
    world.clock.advance(1000);
    const res = await store.offer("{ not json", "kv");
    expect(res).toMatchObject({ ok: false, code: "e.t.malformed" });
    const last = (await refusals()).at(-1)!;
    expect(last).toMatchObject({ code: "e.t.malformed", version: null, list: "{ not json" });
  });

  it("applies a list signed by the threshold, ignores it quietly when offered again", async () => {
    const good = await next([1, 2]);
    const from = store.current().version;
    const res = await store.offer(canonicalTrustListJson(good), "kv");
    expect(res.ok).toBe(true);
    expect(store.current().version).toBe(from + 1);
    expect(store.current().partner(SHELTER)?.status).toBe("suspended");
    const count = (await refusals()).length;
    // Equal version (the same list again) and older versions are no refusals (§6.4 rule 3).
    expect(await store.offer(canonicalTrustListJson(good), "kv")).toMatchObject({ code: "e.t.version" });
    expect(await store.offer(canonicalTrustListJson(world.trust.signed), "kv")).toMatchObject({
      code: "e.t.version",
    });
    expect(await refusals()).toHaveLength(count);
  });

  it("after a restart: the accepted list is in force and the last refusal is known", async () => {
    const reopened = await TrustStore.open({
      db: ctx.db,
      network: ctx.network,
      logger: silentLogger(),
      clock: world.clock,
    });
    expect(reopened.current().version).toBe(store.current().version);
    expect(reopened.lastRefused()).toMatchObject({ code: "e.t.malformed", version: null, source: "kv" });
    // The bucket's value, offered again by the watch after the restart, is not a second refusal.
    const count = (await refusals()).length;
    await reopened.offer("{ not json", "kv");
    expect(await refusals()).toHaveLength(count);
  });

  it("keeps only the newest refusals", async () => {
    const small = await TrustStore.open({
      db: ctx.db,
      network: ctx.network,
      logger: silentLogger(),
      clock: world.clock,
      maxRefusals: 3,
    });
    for (let i = 0; i < 5; i++) {
      world.clock.advance(1000);
      await small.offer(`not a list ${i}`, "kv");
    }
    const rows = await refusals();
    expect(rows.map((r) => r.list)).toEqual(["not a list 2", "not a list 3", "not a list 4"]);
  });
});

describe("TrustStore bridging skipped versions from the bucket history", () => {
  let world: TestWorld;
  let nats: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    world = await createTestWorld();
    nats = await NatsServer.start();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.cleanup();
    await world?.close();
  });

  it("applies an admin change it missed before a list signed only by the new admins", async () => {
    const ctx = await world.node(SHELTER);
    const store = ctx.trust as TrustStore;
    const v1 = store.current();
    const nowS = Math.floor(world.clock.now() / 1000);
    const old = world.trust.adminKeys;
    const fresh = await Promise.all([generateSigningKeyPair(), generateSigningKeyPair()]);

    // Version 2 hands the network to two new admins (signed by the old threshold and the new one)...
    const p2 = await buildNextTrustList(
      v1.payload,
      [
        { kind: "add-admin", admin: { id: "new-admin-1", jwk: fresh[0]!.publicJwk } },
        { kind: "add-admin", admin: { id: "new-admin-2", jwk: fresh[1]!.publicJwk } },
        ...v1.payload.admins.map((a) => ({ kind: "remove-admin" as const, id: a.id })),
      ],
      nowS,
    );
    let v2 = await signTrustList(p2, [old[0]!.privateJwk]);
    for (const k of [old[1]!, fresh[0]!, fresh[1]!]) v2 = await coSignTrustList(v2, k.privateJwk);
    // ... and version 3, signed by the new admins only, suspends an origin.
    const p3 = await buildNextTrustList(p2, [{ kind: "suspend", orgId: ORIGIN }], nowS);
    let v3 = await signTrustList(p3, [fresh[0]!.privateJwk]);
    v3 = await coSignTrustList(v3, fresh[1]!.privateJwk);

    const { trust: kv } = await ensureBuckets(nc, ctx.network);
    await kv.put(TRUST_LIST_KEY, canonicalTrustListJson(v2));
    await kv.put(TRUST_LIST_KEY, canonicalTrustListJson(v3));

    // Without the history the node could not judge version 3: none of its admins signed it.
    expect(await acceptTrustList(v1.payload, v3, nowS)).toMatchObject({ ok: false, code: "e.t.threshold" });

    // The watch delivers only the newest value (version 3); the store walks back through version 2.
    const applied = new Promise<number>((resolve) =>
      store.onChange((l) => {
        if (l.version === 3) resolve(l.version);
      }),
    );
    await store.watch(kv);
    expect(await applied).toBe(3);
    expect(store.current().partner(ORIGIN)?.status).toBe("suspended");
    expect(store.current().payload.admins.map((a) => a.id)).toEqual(["new-admin-1", "new-admin-2"]);
    expect(await ctx.db.selectFrom("trust_refusal").selectAll().execute()).toEqual([]);
    store.stopWatching();
  });

  it("still refuses a list that no history leads to", async () => {
    const ctx = await world.node(ORIGIN_B);
    const store = ctx.trust as TrustStore;
    const nowS = Math.floor(world.clock.now() / 1000);
    const strangers = await Promise.all([generateSigningKeyPair(), generateSigningKeyPair()]);
    // The bucket holds versions 2 and 3 of the previous test; a version 5 by strangers follows from none.
    const p5 = await buildNextTrustList(
      { ...store.current().payload, version: 4 },
      [{ kind: "suspend", orgId: SHELTER }],
      nowS,
    );
    let v5 = await signTrustList(p5, [strangers[0]!.privateJwk]);
    v5 = await coSignTrustList(v5, strangers[1]!.privateJwk);
    const { trust: kv } = await ensureBuckets(nc, ctx.network);
    await store.watch(kv);
    await kv.put(TRUST_LIST_KEY, canonicalTrustListJson(v5));
    const until = Date.now() + 10_000;
    while (
      Date.now() < until &&
      (await ctx.db.selectFrom("trust_refusal").selectAll().execute()).length === 0
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // It bridged through versions 2 and 3 of the history (they follow), then refused version 5.
    expect(store.current().version).toBe(3);
    const rows = await ctx.db.selectFrom("trust_refusal").selectAll().execute();
    expect(rows).toMatchObject([{ code: "e.t.threshold", version: 5, source: "kv" }]);
    store.stopWatching();
  });
});
