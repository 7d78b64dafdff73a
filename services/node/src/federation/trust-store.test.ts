// The trust store's handling of candidate lists (docs/protocol.md §6.4) on a real node database: a
// newer list signed by the threshold is applied and survives a restart; a refused one leaves the list
// in force alone and is recorded, with the list as received, for the node's admins; an equal or older
// version stays quiet.
import {
  buildNextTrustList,
  canonicalTrustListJson,
  coSignTrustList,
  type SignedTrustList,
  signTrustList,
} from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../context.ts";
import {
  createTestWorld,
  ORIGIN,
  SHELTER,
  silentLogger,
  TEST_DATABASES,
  type TestWorld,
} from "../test-support.ts";
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
