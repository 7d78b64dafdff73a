// Which key a node signs and decrypts with over a rotation, with a fixed clock: the pure rules first,
// then real nodes (SQLite, real key files, real trust lists signed by the admins, the real outbox
// enqueuer and inbox consumer) through a whole rotation, from the request to the retirement.

import { createPrivateKey } from "node:crypto";
import {
  inboxSubject,
  type MessageType,
  type OutgoingMessage,
  PROBLEM_CODES,
  sealEnvelope,
} from "@refnet/protocol";
import {
  buildNextTrustList,
  coSignTrustList,
  createTestNetworkTrust,
  generateOrgKeys,
  type KeyPairJwk,
  type SignedTrustList,
  signTrustList,
  TrustList,
  type TrustListChange,
  type TrustListPayload,
  verifyKeyRotationRequest,
} from "@refnet/trust";
import { decodeProtectedHeader } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Staff } from "./auth.ts";
import type { AppContext } from "./context.ts";
import { draftReferral, sendReferral } from "./domain/referrals.ts";
import type { Federation } from "./federation/index.ts";
import type { TrustStore } from "./federation/trust-store.ts";
import { openNodeKeyStore, requestKeyRotation } from "./key-rotation.ts";
import type { KeyFile, StoredKeyInfo } from "./keys.ts";
import {
  applyAssessment,
  assessOwnKeys,
  DECRYPTION_GRACE_SECONDS,
  inForceForDecryption,
  OwnKeys,
  signingKidInForce,
} from "./own-keys.ts";
import {
  createTestWorld,
  draftInput,
  NETWORK,
  ORIGIN,
  SHELTER,
  silentLogger,
  type TestWorld,
} from "./test-support.ts";

const DAY = 86_400;
const T0 = 1_800_000_000;
const ORG = "shelter-gr";

async function signed(payload: TrustListPayload, admins: KeyPairJwk[]): Promise<TrustList> {
  const s = await signTrustList(
    payload,
    admins.map((a) => a.privateJwk),
  );
  return TrustList.create(payload, s);
}

function info(use: "sig" | "enc", pair: KeyPairJwk, createdAt: number, extra: Partial<StoredKeyInfo> = {}) {
  return { use, kid: pair.kid, jwk: pair.publicJwk, createdAt, pending: false, ...extra } as StoredKeyInfo;
}

describe("the rules, with a fixed clock", () => {
  let net: Awaited<ReturnType<typeof createTestNetworkTrust>>;
  let fresh: { sig: KeyPairJwk; enc: KeyPairJwk };
  let v1: TrustList;
  let v2: TrustList;
  let keys: StoredKeyInfo[];
  const ROTATED = T0 + 10 * DAY;
  const OVERLAP = 7 * DAY;

  beforeEach(async () => {
    net = await createTestNetworkTrust({
      network: "rules-net",
      orgs: [{ orgId: ORG, name: "Shelter", country: "GR", roles: ["destination"] }],
      nowSeconds: T0,
      lifetimeSeconds: 365 * DAY,
    });
    fresh = await generateOrgKeys();
    v1 = await signed(net.payload, net.adminKeys);
    const rotate: TrustListChange = {
      kind: "rotate-keys",
      orgId: ORG,
      keys: [
        { use: "sig", jwk: fresh.sig.publicJwk },
        { use: "enc", jwk: fresh.enc.publicJwk },
      ],
      overlapSeconds: OVERLAP,
    };
    v2 = await signed(await buildNextTrustList(net.payload, [rotate], ROTATED), net.adminKeys);
    const old = net.orgKeys[ORG]!;
    keys = [
      info("sig", old.sig, T0 * 1000),
      info("enc", old.enc, T0 * 1000),
      info("sig", fresh.sig, ROTATED * 1000 - 5000, { pending: true }),
      info("enc", fresh.enc, ROTATED * 1000 - 5000, { pending: true }),
    ];
  });

  const states = (list: TrustList, t: number) =>
    Object.fromEntries(assessOwnKeys(keys, list, ORG, t).views.map((v) => [v.kid, v.state]));

  it("never signs with a pending key: the old key until the list lists the new one, then the new one", () => {
    const old = net.orgKeys[ORG]!;
    expect(signingKidInForce(keys, v1, ORG, ROTATED)).toBe(old.sig.kid);
    expect(states(v1, ROTATED)).toEqual({
      [old.sig.kid]: "active",
      [old.enc.kid]: "active",
      [fresh.sig.kid]: "pending",
      [fresh.enc.kid]: "pending",
    });
    // The list with the new keys arrives: the switch is immediate.
    expect(signingKidInForce(keys, v2, ORG, ROTATED)).toBe(fresh.sig.kid);
    expect(states(v2, ROTATED)).toEqual({
      [old.sig.kid]: "retiring",
      [old.enc.kid]: "retiring",
      [fresh.sig.kid]: "active",
      [fresh.enc.kid]: "active",
    });
    const a = assessOwnKeys(keys, v2, ORG, ROTATED);
    expect(a.listedPending.sort()).toEqual([fresh.sig.kid, fresh.enc.kid].sort());
    expect(a.due).toEqual([]);
    expect(a.unheld).toEqual([]);
    // A list naming a key the node does not hold is reported, and the node keeps signing with its own.
    const without = keys.filter((k) => k.kid !== fresh.sig.kid);
    expect(signingKidInForce(without, v2, ORG, ROTATED)).toBe(old.sig.kid);
    expect(assessOwnKeys(without, v2, ORG, ROTATED).unheld).toEqual([fresh.sig.kid]);
    // After the overlap, with the new key missing, there is nothing to sign with.
    expect(signingKidInForce(without, v2, ORG, ROTATED + OVERLAP)).toBeUndefined();
  });

  it("decrypts with the old key until notAfter + 14 days + 300 s, then retires it", () => {
    const old = net.orgKeys[ORG]!;
    const oldEnc = v2.keyById(old.enc.kid)!;
    const end = ROTATED + OVERLAP;
    expect(oldEnc.notAfter).toBe(end);
    expect(DECRYPTION_GRACE_SECONDS).toBe(14 * DAY + 300);
    for (const [t, inForce] of [
      [ROTATED, true],
      [end, true],
      [end + DECRYPTION_GRACE_SECONDS - 1, true],
      [end + DECRYPTION_GRACE_SECONDS, false],
    ] as const)
      expect(inForceForDecryption(oldEnc, t), `t = end + ${t - end}`).toBe(inForce);
    // The new key: from notBefore − 300 (a sender's clock may run ahead).
    const newEnc = v2.keyById(fresh.enc.kid)!;
    expect(inForceForDecryption(newEnc, ROTATED - 300)).toBe(true);
    expect(inForceForDecryption(newEnc, ROTATED - 301)).toBe(false);

    expect(states(v2, end)).toMatchObject({ [old.sig.kid]: "retiring", [old.enc.kid]: "retiring" });
    expect(assessOwnKeys(keys, v2, ORG, end + DECRYPTION_GRACE_SECONDS - 1).due).toEqual([]);
    const late = assessOwnKeys(keys, v2, ORG, end + DECRYPTION_GRACE_SECONDS);
    expect(late.due.sort()).toEqual([old.sig.kid, old.enc.kid].sort());
    expect(late.signingKid).toBe(fresh.sig.kid);
  });

  it("switches at a notBefore the admins set in the future, not before", async () => {
    const later = ROTATED + DAY;
    const rotate: TrustListChange = {
      kind: "rotate-keys",
      orgId: ORG,
      keys: [
        { use: "sig", jwk: fresh.sig.publicJwk },
        { use: "enc", jwk: fresh.enc.publicJwk },
      ],
      overlapSeconds: OVERLAP,
      notBefore: later,
    };
    const v2b = await signed(await buildNextTrustList(net.payload, [rotate], ROTATED), net.adminKeys);
    const old = net.orgKeys[ORG]!;
    expect(signingKidInForce(keys, v2b, ORG, later - 1)).toBe(old.sig.kid);
    expect(states(v2b, later - 1)[fresh.sig.kid]).toBe("pending");
    expect(signingKidInForce(keys, v2b, ORG, later)).toBe(fresh.sig.kid);
    // Senders, with the same rule, switch at the same second.
    expect(v2b.encryptionKeyFor(ORG, later - 1)?.kid).toBe(old.enc.kid);
    expect(v2b.encryptionKeyFor(ORG, later)?.kid).toBe(fresh.enc.kid);
  });

  it("retires a key the list moved past without listing it (an abandoned request)", async () => {
    const abandoned = await generateOrgKeys();
    const withAbandoned = [
      ...keys,
      info("sig", abandoned.sig, ROTATED * 1000 - 9000, { pending: true }),
      info("enc", abandoned.enc, ROTATED * 1000 - 9000, { pending: true }),
    ];
    expect(assessOwnKeys(withAbandoned, v1, ORG, ROTATED).due).toEqual([]);
    const a = assessOwnKeys(withAbandoned, v2, ORG, ROTATED);
    expect(a.due.sort()).toEqual([abandoned.sig.kid, abandoned.enc.kid].sort());
  });

  it("applies an assessment: flags cleared, private halves destroyed, the last key of a use kept", () => {
    const old = net.orgKeys[ORG]!;
    const file: KeyFile = {
      v: 1,
      orgId: ORG,
      keys: [
        { use: "sig" as const, ...old.sig, createdAt: 1 },
        { use: "enc" as const, ...old.enc, createdAt: 1 },
        { use: "sig" as const, ...fresh.sig, createdAt: 2, pending: true },
        { use: "enc" as const, ...fresh.enc, createdAt: 2, pending: true },
      ],
      rotation: {
        requestedAt: 2,
        request: "x.y.z",
        sigKid: fresh.sig.kid,
        encKid: fresh.enc.kid,
        signedWith: old.sig.kid,
        overlapSeconds: OVERLAP,
      },
    };
    const res = applyAssessment(
      file,
      { due: [old.sig.kid, old.enc.kid], listedPending: [fresh.sig.kid, fresh.enc.kid] },
      99,
    );
    expect(res).toEqual({
      retired: [old.sig.kid, old.enc.kid],
      activated: [fresh.sig.kid, fresh.enc.kid],
      kept: [],
      rotationDone: true,
    });
    expect(file.rotation).toBeUndefined();
    expect(file.keys.map((k) => [k.kid, "privateJwk" in k, k.retiredAt, k.pending])).toEqual([
      [old.sig.kid, false, 99, undefined],
      [old.enc.kid, false, 99, undefined],
      [fresh.sig.kid, true, undefined, undefined],
      [fresh.enc.kid, true, undefined, undefined],
    ]);
    // Retiring the only key of a use would leave a file the node cannot start from: it is kept.
    const alone: KeyFile = { v: 1, orgId: ORG, keys: [{ use: "sig", ...old.sig, createdAt: 1 }] };
    expect(applyAssessment(alone, { due: [old.sig.kid], listedPending: [] }, 5).kept).toEqual([old.sig.kid]);
    expect(alone.keys[0]!.privateJwk).toBeDefined();
  });
});

describe("a rotation on real nodes", () => {
  let world: TestWorld;
  let origin: AppContext;
  let shelter: AppContext;
  let caseworker: Staff;
  let seq = 1000;

  beforeEach(async () => {
    world = await createTestWorld();
    origin = await world.node(ORIGIN);
    shelter = await world.node(SHELTER);
    caseworker = (await world.staff(origin)).staff;
  });
  afterEach(async () => {
    await world.close();
  });

  const nowS = () => Math.floor(world.clock.now() / 1000);

  /** What the admins do with a request: verify it, build the next version, two of them sign it. */
  async function admit(request: string, base: TrustListPayload, extra: TrustListChange[] = []) {
    const res = await verifyKeyRotationRequest(request, base, nowS());
    if (!res.ok) throw new Error(`${res.code}: ${res.detail}`);
    const payload = await buildNextTrustList(
      base,
      [
        {
          kind: "rotate-keys",
          orgId: res.request.orgId,
          keys: res.request.keys,
          overlapSeconds: res.request.overlap,
        },
        { kind: "expires", expiresAt: nowS() + 90 * DAY },
        ...extra,
      ],
      nowS(),
    );
    const [a, b] = world.trust.adminKeys;
    const list: SignedTrustList = await coSignTrustList(
      await signTrustList(payload, [a!.privateJwk]),
      b!.privateJwk,
    );
    return { payload, text: JSON.stringify(list) };
  }

  async function offer(ctx: AppContext, text: string) {
    const res = await (ctx.trust as TrustStore).offer(text, "test");
    expect(res.ok).toBe(true);
  }

  async function process(to: AppContext, envelope: string) {
    seq += 1;
    return (to.federation as Federation<unknown>).inbox.process(
      Buffer.from(envelope, "utf8"),
      inboxSubject(NETWORK, to.orgId),
      seq,
    );
  }

  /** A message sealed by `from` with a chosen key and time, as a misbehaving or delayed sender would. */
  async function sealAs<T extends MessageType>(
    msg: OutgoingMessage<T>,
    opts: {
      iss: string;
      sig: KeyPairJwk;
      recipient: { kid: string; jwk: unknown };
      iat: number;
      tlv: number;
    },
  ) {
    return sealEnvelope(msg, {
      iss: opts.iss,
      signingKey: {
        kid: opts.sig.kid,
        key: createPrivateKey({ key: { ...opts.sig.privateJwk }, format: "jwk" }),
      },
      recipientKey: { kid: opts.recipient.kid, key: opts.recipient.jwk as never },
      trustVersion: opts.tlv,
      nowSeconds: opts.iat,
    });
  }

  async function outboxKids(ctx: AppContext): Promise<string[]> {
    const rows = await ctx.db.selectFrom("outbox").select(["envelope", "seq"]).orderBy("seq").execute();
    return rows.map((r) => decodeProtectedHeader(r.envelope).kid as string);
  }

  it("keeps the old keys until the list lists the new ones, opens what was sealed to either, then retires the old", async () => {
    const old = world.trust.orgKeys[SHELTER]!;
    const v1 = shelter.trust.current();
    // A referral sealed to the shelter's current key, still on its way.
    const r1 = await draftReferral(origin, caseworker, draftInput(world.clock));
    await sendReferral(origin, caseworker, r1.id);

    // The shelter asks for new keys: they are pending, and nothing changes in what it uses.
    const { record } = await requestKeyRotation(shelter.keys, {
      network: NETWORK,
      list: v1,
      overlapSeconds: 7 * DAY,
      nowMs: world.clock.now(),
      replace: false,
    });
    expect(shelter.ownKeys.signingKey()?.kid).toBe(old.sig.kid);
    expect(await shelter.ownKeys.decryptionKey(record.encKid)).toBeUndefined();
    const pendingViews = await shelter.ownKeys.views();
    expect(
      pendingViews
        .filter((v) => v.state === "pending")
        .map((v) => v.kid)
        .sort(),
    ).toEqual([record.sigKid, record.encKid].sort());
    expect((await shelter.ownKeys.pendingRotation())?.request).toBe(record.request);
    // A second request while this one is pending is refused.
    await expect(
      requestKeyRotation(shelter.keys, {
        network: NETWORK,
        list: v1,
        overlapSeconds: DAY,
        nowMs: world.clock.now(),
        replace: false,
      }),
    ).rejects.toMatchObject({ code: "ERR_KEYS" });

    // The admins publish version 2; the origin has it first and seals the next referral to the new key.
    world.clock.advance(3_600_000);
    const v2 = await admit(record.request, v1.payload);
    await offer(origin, v2.text);
    const r2 = await draftReferral(origin, caseworker, draftInput(world.clock));
    await sendReferral(origin, caseworker, r2.id);
    expect(await outboxKids(origin)).toEqual([old.enc.kid, record.encKid]);

    // Then the shelter: it switches its signing key and opens both referrals.
    await offer(shelter, v2.text);
    await shelter.ownKeys.maintain();
    expect(shelter.ownKeys.signingKey()?.kid).toBe(record.sigKid);
    expect(await shelter.ownKeys.pendingRotation()).toBeUndefined();
    expect(Object.fromEntries((await shelter.ownKeys.views()).map((v) => [v.kid, v.state]))).toEqual({
      [old.sig.kid]: "retiring",
      [old.enc.kid]: "retiring",
      [record.sigKid]: "active",
      [record.encKid]: "active",
    });
    expect(shelter.keys.keys().filter((k) => k.pending)).toEqual([]);
    await world.settle();
    for (const id of [r1.id, r2.id]) {
      const row = await shelter.db
        .selectFrom("referral")
        .select("status")
        .where("id", "=", id)
        .executeTakeFirst();
      expect(row?.status).toBe("delivered");
    }
    // Its receipts went out under the new signing key, and the origin accepted them.
    const originRow = await origin.db
      .selectFrom("referral")
      .select("status")
      .where("id", "=", r1.id)
      .executeTakeFirst();
    expect(originRow?.status).toBe("delivered");
    expect(await shelter.db.selectFrom("quarantine").select("code").execute()).toEqual([]);

    // The old signing key verifies only what was signed inside its validity.
    const endOfOld = v2.payload.partners.find((p) => p.orgId === SHELTER)!.keys[0]!.notAfter!;
    world.clock.t = endOfOld * 1000;
    const originEnc = world.trust.orgKeys[ORIGIN]!.enc;
    const receipt = (ack: string) => ({
      type: "message.receipt" as const,
      aud: ORIGIN,
      thid: r1.id,
      body: { ack: [ack] },
    });
    const inside = await sealAs(receipt("aaaaaaaaaaaaaaaaaaaaaa"), {
      iss: SHELTER,
      sig: old.sig,
      recipient: { kid: originEnc.kid, jwk: originEnc.publicJwk },
      iat: endOfOld - 1,
      tlv: 2,
    });
    expect(await process(origin, inside.envelope)).toMatchObject({ kind: "stored" });
    const outside = await sealAs(receipt("bbbbbbbbbbbbbbbbbbbbbb"), {
      iss: SHELTER,
      sig: old.sig,
      recipient: { kid: originEnc.kid, jwk: originEnc.publicJwk },
      iat: endOfOld,
      tlv: 2,
    });
    expect(await process(origin, outside.envelope)).toEqual({
      kind: "refused",
      code: PROBLEM_CODES.trustKeyNotValid,
      verified: false,
    });

    // A message sealed to the old encryption key just before it ended still opens during the grace.
    const late = await sealAs(
      { type: "message.receipt", aud: SHELTER, thid: r1.id, body: { ack: ["cccccccccccccccccccccc"] } },
      {
        iss: ORIGIN,
        sig: world.trust.orgKeys[ORIGIN]!.sig,
        recipient: { kid: old.enc.kid, jwk: old.enc.publicJwk },
        iat: endOfOld - 1,
        tlv: 2,
      },
    );
    world.clock.t = (endOfOld + 13 * DAY) * 1000;
    expect(await process(shelter, late.envelope)).toMatchObject({ kind: "stored" });
    expect(await shelter.ownKeys.decryptionKey(old.enc.kid)).toBeDefined();

    // At notAfter + 14 days + 300 s the old keys are of no use: refused at step 2, then retired.
    world.clock.t = (endOfOld + DECRYPTION_GRACE_SECONDS) * 1000;
    expect(await shelter.ownKeys.decryptionKey(old.enc.kid)).toBeUndefined();
    const again = await sealAs(
      { type: "message.receipt", aud: SHELTER, thid: r1.id, body: { ack: ["dddddddddddddddddddddd"] } },
      {
        iss: ORIGIN,
        sig: world.trust.orgKeys[ORIGIN]!.sig,
        recipient: { kid: old.enc.kid, jwk: old.enc.publicJwk },
        iat: nowS(),
        tlv: 2,
      },
    );
    expect(await process(shelter, again.envelope)).toMatchObject({
      kind: "refused",
      code: PROBLEM_CODES.envelopeUnknownKey,
    });
    const done = await shelter.ownKeys.maintain();
    expect(done.retired.sort()).toEqual([old.sig.kid, old.enc.kid].sort());
    const reread = await openNodeKeyStore(shelter.config);
    expect(
      reread
        .keys()
        .filter((k) => k.retiredAt !== undefined)
        .map((k) => k.kid)
        .sort(),
    ).toEqual([old.sig.kid, old.enc.kid].sort());
    expect(await reread.decryptionKey(old.enc.kid)).toBeUndefined();
    expect(reread.signingKeyByKid(old.sig.kid)).toBeUndefined();
    expect(shelter.ownKeys.signingKey()?.kid).toBe(record.sigKid);
  });

  it("picks up keys another process added to the key file, and fetches the list a sender already has", async () => {
    const v1 = shelter.trust.current();
    // `refnet keys rotate` runs beside the node: its own KeyStore, the same file.
    const cli = await openNodeKeyStore(shelter.config);
    const { record } = await requestKeyRotation(cli, {
      network: NETWORK,
      list: v1,
      overlapSeconds: DAY,
      nowMs: world.clock.now(),
      replace: false,
    });
    const v2 = await admit(record.request, v1.payload);
    // The node's trust state can fetch version 2 on demand, as it would from the KV bucket.
    let fetched = 0;
    const store = shelter.trust as TrustStore;
    const own = new OwnKeys({
      orgId: SHELTER,
      store: shelter.keys,
      trust: {
        current: () => store.current(),
        isExpired: (ms) => store.isExpired(ms),
        refresh: async () => {
          fetched += 1;
          return (await store.offer(v2.text, "refresh")).ok;
        },
      },
      clock: world.clock,
      logger: silentLogger(),
    });
    // A sender with version 2 encrypted to the new key: the node fetches the list, re-reads its key
    // file (the key was added by the other process), and decrypts.
    expect(shelter.keys.signingKeyByKid(record.sigKid)).toBeUndefined();
    expect(await own.decryptionKey(record.encKid)).toBeDefined();
    expect(fetched).toBe(1);
    expect(shelter.trust.current().version).toBe(2);
    expect(own.signingKey()?.kid).toBe(record.sigKid);
    // A kid that is none of its keys triggers nothing.
    expect(await own.decryptionKey(world.trust.orgKeys[ORIGIN]!.enc.kid)).toBeUndefined();
    expect(fetched).toBe(1);
    await own.stop();
  });

  it("two processes editing the key file at once lose neither edit (lock, then re-read)", async () => {
    const node = shelter.keys;
    const cli = await openNodeKeyStore(shelter.config);
    const before = node.keys().map((k) => k.createdAt);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? node : cli).update((file) => {
          file.keys[i % 2]!.createdAt += 1;
          return true;
        }),
      ),
    );
    const after = (await openNodeKeyStore(shelter.config)).keys().map((k) => k.createdAt);
    expect(after).toEqual([before[0]! + 3, before[1]! + 3]);
  });

  it("replaces a pending rotation only when told to, retiring the abandoned keys", async () => {
    const v1 = shelter.trust.current();
    const first = await requestKeyRotation(shelter.keys, {
      network: NETWORK,
      list: v1,
      overlapSeconds: DAY,
      nowMs: world.clock.now(),
      replace: false,
    });
    const second = await requestKeyRotation(shelter.keys, {
      network: NETWORK,
      list: v1,
      overlapSeconds: DAY,
      nowMs: world.clock.now(),
      replace: true,
    });
    expect(second.replaced.sort()).toEqual([first.record.sigKid, first.record.encKid].sort());
    expect(shelter.keys.rotation()?.sigKid).toBe(second.record.sigKid);
    // The abandoned request can no longer become keys this node uses: its private halves are gone.
    expect(shelter.keys.signingKeyByKid(first.record.sigKid)).toBeUndefined();
    // And a request made for another network is refused before anything is written.
    await expect(
      requestKeyRotation(shelter.keys, {
        network: "other-net",
        list: v1,
        overlapSeconds: DAY,
        nowMs: world.clock.now(),
        replace: true,
      }),
    ).rejects.toMatchObject({ code: "ERR_KEYS" });
    expect(shelter.keys.rotation()?.sigKid).toBe(second.record.sigKid);
  });
});
