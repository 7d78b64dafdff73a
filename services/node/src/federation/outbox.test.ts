// The enqueuer's two halves: a message sealed before the transaction is stored as sealed only while
// the trust list, the recipient's key and this node's signing key it was sealed with are still those
// in force; otherwise store() seals it again (or refuses), exactly as enqueue() would at that moment.
import { randomUUID } from "node:crypto";
import { createTestNetworkTrust, TrustList } from "@refnet/trust";
import { importJWK } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateToLatest, type OpenDatabase, openDatabase } from "../db/index.ts";
import { NETWORK, ORIGIN, SHELTER, TEST_ORGS, TestClock } from "../test-support.ts";
import { OutboxEnqueuer } from "./outbox.ts";

describe("OutboxEnqueuer seal/store", () => {
  let db: OpenDatabase;
  let clock: TestClock;
  let list: TrustList;
  let enqueuer: OutboxEnqueuer;
  let expiresAtMs: number;

  beforeEach(async () => {
    clock = new TestClock(Date.now());
    const fx = await createTestNetworkTrust({ network: NETWORK, orgs: TEST_ORGS.slice(0, 2) });
    expiresAtMs = fx.payload.expiresAt * 1000;
    list = await TrustList.create(fx.payload, fx.signed);
    const signing = {
      kid: fx.orgKeys[ORIGIN]!.sig.kid,
      key: (await importJWK(fx.orgKeys[ORIGIN]!.sig.privateJwk, "EdDSA")) as CryptoKey,
    };
    db = openDatabase({ database: { kind: "sqlite", path: ":memory:" } });
    await migrateToLatest(db.db);
    enqueuer = new OutboxEnqueuer({
      orgId: ORIGIN,
      network: NETWORK,
      keys: { signingKey: () => signing },
      trust: {
        current: () => list,
        isExpired: (now = clock.now()) => list.isExpired(Math.floor(now / 1000)),
      },
      clock,
    });
  });
  afterEach(async () => {
    await db.close();
  });

  const accept = { type: "referral.accept", aud: SHELTER, thid: randomUUID(), body: {} } as const;
  const stored = () => db.db.selectFrom("outbox").select(["jti", "envelope"]).execute();

  it("stores the envelope sealed beforehand, unchanged", async () => {
    const sealed = await enqueuer.seal(accept);
    const claims = await db.db.transaction().execute((trx) => enqueuer.store(trx, sealed));
    expect(claims.jti).toBe(sealed.claims.jti);
    expect(await stored()).toEqual([{ jti: sealed.claims.jti, envelope: sealed.envelope }]);
  });

  it("seals again when another trust list came into force in between", async () => {
    const sealed = await enqueuer.seal(accept);
    list = await TrustList.create(list.payload, list.signed);
    const claims = await db.db.transaction().execute((trx) => enqueuer.store(trx, sealed));
    expect(claims.jti).not.toBe(sealed.claims.jti);
    const rows = await stored();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.jti).toBe(claims.jti);
    expect(rows[0]!.envelope).not.toBe(sealed.envelope);
  });

  it("refuses, storing nothing, when the list expired in between", async () => {
    const sealed = await enqueuer.seal(accept);
    clock.t = expiresAtMs + 1000;
    await expect(db.db.transaction().execute((trx) => enqueuer.store(trx, sealed))).rejects.toMatchObject({
      code: "ERR_TRUST_EXPIRED",
    });
    expect(await stored()).toEqual([]);
  });
});
