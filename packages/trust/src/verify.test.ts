// Conformance of trust list acceptance (docs/protocol.md §6), in the spirit of the TUF conformance
// suite: every attack on the update path has a test that shows it refused, with its reason code.
import { beforeAll, describe, expect, it } from "vitest";
import { trustListDigest } from "./digest.ts";
import type { TestNetworkTrust } from "./fixtures.ts";
import { generateSigningKeyPair, type KeyPairJwk, publicJwkOf } from "./keys.ts";
import { TRUST_PROBLEM_CODES } from "./problems.ts";
import { TRUST_JWS_TYP } from "./schema.ts";
import { coSignTrustList, signTrustList } from "./sign.ts";
import {
  DAY,
  decodeJson,
  encodeJson,
  NOW,
  nextPayload,
  privates,
  rawSignature,
  rawSignList,
  testNetwork,
} from "./test-support.ts";
import type { TrustList } from "./trust-list.ts";
import type { SignedTrustList, TrustListPayload } from "./types.ts";
import {
  type AcceptResult,
  acceptTrustList,
  countValidSignatures,
  restoreTrustList,
  verifyGenesis,
} from "./verify.ts";

let net: TestNetworkTrust;
let A1: KeyPairJwk;
let A2: KeyPairJwk;
let A3: KeyPairJwk;
let outsider: KeyPairJwk;
let newAdmins: KeyPairJwk[];

beforeAll(async () => {
  net = await testNetwork();
  [A1, A2, A3] = net.adminKeys as [KeyPairJwk, KeyPairJwk, KeyPairJwk];
  outsider = await generateSigningKeyPair();
  newAdmins = await Promise.all([
    generateSigningKeyPair(),
    generateSigningKeyPair(),
    generateSigningKeyPair(),
  ]);
});

function expectRefused(result: AcceptResult, code: string): string {
  expect(result.ok, result.ok ? "accepted" : result.detail).toBe(false);
  if (result.ok) throw new Error("unreachable");
  expect(result.code).toBe(code);
  return result.detail;
}

function expectAccepted(result: AcceptResult): TrustList {
  if (!result.ok) throw new Error(`refused ${result.code}: ${result.detail}`);
  return result.list;
}

const adminsOf = (keys: KeyPairJwk[], prefix = "admin") =>
  keys.map((k, i) => ({ id: `${prefix}-${i + 1}`, jwk: publicJwkOf(k.publicJwk) }));

describe("happy path", () => {
  it("accepts the genesis list pinned by admin keys, then version 2 signed by 2 of 3 admins", async () => {
    const genesis = expectAccepted(
      await verifyGenesis(
        net.signed,
        { adminJwks: net.adminKeys.map((k) => k.publicJwk), threshold: 2 },
        NOW,
      ),
    );
    expect(genesis.version).toBe(1);
    expect(genesis.network).toBe("refnet-test");

    const v2 = await signTrustList(nextPayload(net.payload), privates([A1, A3]));
    const list = expectAccepted(await acceptTrustList(genesis, v2, NOW + 10));
    expect(list.version).toBe(2);
    expect(list.payload).toEqual(nextPayload(net.payload));
    expect(list.digest).toBe(trustListDigest(v2));
  });

  it("accepts the list as text, and a chain 1 → 2 → 3", async () => {
    const v2 = await signTrustList(nextPayload(net.payload), privates([A1, A2]));
    const l2 = expectAccepted(await acceptTrustList(net.payload, JSON.stringify(v2, null, 2), NOW));
    const v3 = await signTrustList(nextPayload(l2.payload), privates([A2, A3]));
    expect(expectAccepted(await acceptTrustList(l2, v3, NOW)).version).toBe(3);
  });

  it("accepts a list that skips versions (N+5 over N)", async () => {
    const v6 = await signTrustList(nextPayload(net.payload, { version: 6 }), privates([A1, A2]));
    expect(expectAccepted(await acceptTrustList(net.payload, v6, NOW)).version).toBe(6);
  });

  it("accepts a list that was signed by one admin and co-signed by another", async () => {
    const one = await signTrustList(nextPayload(net.payload), privates([A2]));
    expectRefused(await acceptTrustList(net.payload, one, NOW), TRUST_PROBLEM_CODES.threshold);
    const two = await coSignTrustList(one, A3.privateJwk);
    expectAccepted(await acceptTrustList(net.payload, two, NOW));
  });
});

describe("threshold counts distinct admin keys", () => {
  it("counts one key listed under several admin ids once", async () => {
    const aliased: TrustListPayload = {
      ...structuredClone(net.payload),
      admins: [
        { id: "amina", jwk: publicJwkOf(A1.publicJwk) },
        { id: "amina-backup", jwk: publicJwkOf(A1.publicJwk) },
        { id: "bea", jwk: publicJwkOf(A2.publicJwk) },
        { id: "chen", jwk: publicJwkOf(A3.publicJwk) },
      ],
    };
    const current = expectAccepted(await restoreTrustList(await signTrustList(aliased, privates([A1, A2]))));
    const candidate = await signTrustList(nextPayload(aliased), privates([A1]));
    const counted = await countValidSignatures(candidate, aliased.admins);
    expect(counted).toMatchObject({ count: 1, signers: [A1.kid] });
    expectRefused(await acceptTrustList(current, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("counts the same admin signing twice once (identical, and distinct valid signatures)", async () => {
    const once = await signTrustList(nextPayload(net.payload), privates([A1]));
    const duplicated: SignedTrustList = { ...once, signatures: [once.signatures[0]!, once.signatures[0]!] };
    expectRefused(await acceptTrustList(net.payload, duplicated, NOW), TRUST_PROBLEM_CODES.threshold);

    // A second, different but valid signature by the same key: same members in another order.
    const reordered = await rawSignature(once.payload, A1.privateJwk, {
      typ: TRUST_JWS_TYP,
      kid: A1.kid,
      alg: "EdDSA",
    });
    expect(reordered.protected).not.toBe(once.signatures[0]!.protected);
    const twice: SignedTrustList = { ...once, signatures: [once.signatures[0]!, reordered] };
    const counted = await countValidSignatures(twice, net.payload.admins);
    expect(counted.count).toBe(1);
    expect(counted.problems).toEqual([`signature 1: key ${A1.kid} already counted`]);
    expectRefused(await acceptTrustList(net.payload, twice, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("refuses a list below threshold", async () => {
    const candidate = await signTrustList(nextPayload(net.payload), privates([A2]));
    const detail = expectRefused(
      await acceptTrustList(net.payload, candidate, NOW),
      TRUST_PROBLEM_CODES.threshold,
    );
    expect(detail).toContain("1 of 2");
  });

  it("does not count a signature by a key that is not an admin of the list in force", async () => {
    const candidate = await signTrustList(nextPayload(net.payload), privates([A1, outsider]));
    const counted = await countValidSignatures(candidate, net.payload.admins);
    expect(counted.count).toBe(1);
    expect(counted.problems).toEqual([`signature 1: kid ${outsider.kid} names no admin key`]);
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("does not count a partner's signing key, which is not an admin key", async () => {
    const org = net.orgKeys["ngo-es"]!.sig;
    const candidate = await signTrustList(nextPayload(net.payload), [A1.privateJwk, org.privateJwk]);
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("does not count an outsider's signature that claims an admin's kid", async () => {
    const payload = (await signTrustList(nextPayload(net.payload), privates([A1]))).payload;
    const forged = await rawSignature(payload, outsider.privateJwk, {
      alg: "EdDSA",
      kid: A2.kid,
      typ: TRUST_JWS_TYP,
    });
    const candidate: SignedTrustList = {
      payload,
      signatures: [(await signTrustList(nextPayload(net.payload), privates([A1]))).signatures[0]!, forged],
    };
    const counted = await countValidSignatures(candidate, net.payload.admins);
    expect(counted.count).toBe(1);
    expect(counted.problems).toEqual([`signature 1: signature by ${A2.kid} does not verify`]);
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("verifies every signature on its own: one good signature does not carry a bad one", async () => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1, A2]));
    const bad = { ...good.signatures[1]!, signature: good.signatures[0]!.signature };
    const candidate: SignedTrustList = { ...good, signatures: [good.signatures[0]!, bad] };
    const counted = await countValidSignatures(candidate, net.payload.admins);
    expect(counted.count).toBe(1);
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });
});

describe("rollback, freeze and mix-and-match", () => {
  it("refuses an equal version and a lower one", async () => {
    const same = await signTrustList(nextPayload(net.payload, { version: 1 }), privates([A1, A2]));
    expectRefused(await acceptTrustList(net.payload, same, NOW), TRUST_PROBLEM_CODES.version);

    const v5 = expectAccepted(
      await acceptTrustList(
        net.payload,
        await signTrustList(nextPayload(net.payload, { version: 5 }), privates([A1, A2])),
        NOW,
      ),
    );
    const v3 = await signTrustList(nextPayload(net.payload, { version: 3 }), privates([A1, A2, A3]));
    expectRefused(await acceptTrustList(v5, v3, NOW), TRUST_PROBLEM_CODES.version);
    // Replaying the very list in force is a rollback too.
    expectRefused(await acceptTrustList(v5, v5.signed, NOW), TRUST_PROBLEM_CODES.version);
  });

  it("refuses an expired list; expiry is exclusive", async () => {
    const at = (expiresAt: number) =>
      signTrustList(nextPayload(net.payload, { issuedAt: NOW - DAY, expiresAt }), privates([A1, A2]));
    expectRefused(await acceptTrustList(net.payload, await at(NOW - 1), NOW), TRUST_PROBLEM_CODES.expired);
    expectRefused(await acceptTrustList(net.payload, await at(NOW), NOW), TRUST_PROBLEM_CODES.expired);
    expectAccepted(await acceptTrustList(net.payload, await at(NOW + 1), NOW));
  });

  it("accepts a fresh list over an expired one (a frozen node recovers)", async () => {
    const current = expectAccepted(await restoreTrustList(net.signed));
    const later = net.payload.expiresAt + DAY;
    expect(current.isExpired(later)).toBe(true);
    const fresh = await signTrustList(
      nextPayload(net.payload, { issuedAt: later, expiresAt: later + 30 * DAY }),
      privates([A1, A2]),
    );
    expectAccepted(await acceptTrustList(current, fresh, later));
  });

  it("refuses another network's list, even signed by the same admins", async () => {
    const other = await signTrustList(
      nextPayload(net.payload, { network: "other-net" }),
      privates([A1, A2, A3]),
    );
    expectRefused(await acceptTrustList(net.payload, other, NOW), TRUST_PROBLEM_CODES.network);
  });
});

describe("admin and threshold changes", () => {
  it("refuses a new admin set signed only by the old admins", async () => {
    const candidate = await signTrustList(
      nextPayload(net.payload, { admins: adminsOf(newAdmins, "new") }),
      privates([A1, A2, A3]),
    );
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.newAdminsThreshold);
  });

  it("refuses a new admin set signed only by the new admins", async () => {
    const candidate = await signTrustList(
      nextPayload(net.payload, { admins: adminsOf(newAdmins, "new") }),
      privates(newAdmins),
    );
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("accepts a new admin set signed by threshold of the old and threshold of the new", async () => {
    const payload = nextPayload(net.payload, { admins: adminsOf(newAdmins, "new") });
    const candidate = await signTrustList(payload, privates([A1, A3, newAdmins[0]!, newAdmins[2]!]));
    const list = expectAccepted(await acceptTrustList(net.payload, candidate, NOW));
    expect(list.admins().map((a) => a.kid)).toEqual(newAdmins.map((k) => k.kid));
    // From now on the old admins alone cannot move the list.
    const v3 = await signTrustList(nextPayload(payload), privates([A1, A2, A3]));
    expectRefused(await acceptTrustList(list, v3, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("treats a rotated key under an unchanged admin id as an admin change", async () => {
    const admins = adminsOf([A1, A2, newAdmins[0]!]);
    const oldOnly = await signTrustList(nextPayload(net.payload, { admins }), privates([A1, A3]));
    // A1 counts for the new set too, but one of 2.
    expectRefused(await acceptTrustList(net.payload, oldOnly, NOW), TRUST_PROBLEM_CODES.newAdminsThreshold);
    const withNew = await coSignTrustList(oldOnly, newAdmins[0]!.privateJwk);
    expectAccepted(await acceptTrustList(net.payload, withNew, NOW));
  });

  it("does not treat renaming or reordering admins (same keys) as an admin change", async () => {
    const admins = adminsOf([A3, A1, A2], "renamed");
    const candidate = await signTrustList(nextPayload(net.payload, { admins }), privates([A1, A2]));
    expectAccepted(await acceptTrustList(net.payload, candidate, NOW));
  });

  it("requires the new threshold when the threshold is raised", async () => {
    const payload = nextPayload(net.payload, { threshold: 3 });
    const two = await signTrustList(payload, privates([A1, A2]));
    const detail = expectRefused(
      await acceptTrustList(net.payload, two, NOW),
      TRUST_PROBLEM_CODES.newAdminsThreshold,
    );
    expect(detail).toContain("2 of 3");
    expectAccepted(await acceptTrustList(net.payload, await coSignTrustList(two, A3.privateJwk), NOW));
  });

  it("still requires the old threshold when the threshold is lowered", async () => {
    const payload = nextPayload(net.payload, { threshold: 1 });
    expectRefused(
      await acceptTrustList(net.payload, await signTrustList(payload, privates([A1])), NOW),
      TRUST_PROBLEM_CODES.threshold,
    );
    expectAccepted(await acceptTrustList(net.payload, await signTrustList(payload, privates([A1, A2])), NOW));
  });
});

describe("tampering", () => {
  it("refuses a payload with one byte changed", async () => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1, A2, A3]));
    const bytes = Buffer.from(good.payload, "base64url");
    const at = bytes.indexOf("Shelter Athens");
    expect(at).toBeGreaterThan(0);
    bytes[at + 8] = "B".charCodeAt(0); // "Shelter Bthens": still valid JSON, still a valid payload
    const tampered: SignedTrustList = { ...good, payload: bytes.toString("base64url") };
    expectRefused(await acceptTrustList(net.payload, tampered, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("refuses a payload whose version was raised after signing", async () => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1, A2, A3]));
    const value = decodeJson(good.payload);
    const tampered: SignedTrustList = { ...good, payload: encodeJson({ ...value, version: 99 }) };
    expectRefused(await acceptTrustList(net.payload, tampered, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("refuses a non-canonical spelling of the signed payload", async () => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1, A2]));
    // Padding makes another spelling of the same bytes.
    const padded: SignedTrustList = { ...good, payload: `${good.payload}==` };
    expectRefused(await acceptTrustList(net.payload, padded, NOW), TRUST_PROBLEM_CODES.malformed);
  });

  it("refuses tampered protected headers", async () => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1, A2]));
    const first = good.signatures[0]!;
    const second = good.signatures[1]!;
    const rewrite = (changes: Record<string, unknown>) => ({
      ...second,
      protected: encodeJson({ ...decodeJson(second.protected), ...changes }),
    });
    for (const [changes, reason] of [
      [{ typ: "refnet-msg+jws" }, `typ must be ${TRUST_JWS_TYP}`],
      [{ kid: A3.kid }, `signature by ${A3.kid} does not verify`],
      [{ alg: "ES256" }, "alg must be EdDSA"],
      [{ cty: "json" }, "header carries a member other than alg, kid, typ"],
    ] as const) {
      const candidate: SignedTrustList = { ...good, signatures: [first, rewrite(changes)] };
      const counted = await countValidSignatures(candidate, net.payload.admins);
      expect(counted.count).toBe(1);
      expect(counted.problems).toEqual([`signature 1: ${reason}`]);
      expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
    }
  });

  it("refuses a changed signature byte", async () => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1, A2]));
    const sig = Buffer.from(good.signatures[1]!.signature, "base64url");
    sig[10] = sig[10]! ^ 1;
    const candidate: SignedTrustList = {
      ...good,
      signatures: [good.signatures[0]!, { ...good.signatures[1]!, signature: sig.toString("base64url") }],
    };
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it.each([
    ["jwk", (k: KeyPairJwk) => ({ jwk: publicJwkOf(k.publicJwk) })],
    ["jku", () => ({ jku: "https://attacker.example/keys.json" })],
    ["x5u", () => ({ x5u: "https://attacker.example/cert.pem" })],
    ["x5c", () => ({ x5c: ["MIIB"] })],
    ["crit", () => ({ crit: ["b64"], b64: true })],
  ])("refuses a signature whose header carries %s, even a valid one by an admin", async (member, extra) => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1]));
    const withMember = await rawSignature(good.payload, A2.privateJwk, {
      alg: "EdDSA",
      kid: A2.kid,
      typ: TRUST_JWS_TYP,
      ...extra(A2),
    });
    const candidate: SignedTrustList = { ...good, signatures: [good.signatures[0]!, withMember] };
    const counted = await countValidSignatures(candidate, net.payload.admins);
    expect(counted.count).toBe(1);
    expect(counted.problems).toEqual([`signature 1: header member ${member} is refused`]);
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("refuses an unprotected header", async () => {
    const good = await signTrustList(nextPayload(net.payload), privates([A1, A2]));
    const candidate = {
      ...good,
      signatures: [good.signatures[0]!, { ...good.signatures[1]!, header: { kid: A2.kid } }],
    } as SignedTrustList;
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.malformed);
    expect((await countValidSignatures(candidate, net.payload.admins)).count).toBe(1);
  });
});

describe("payloads that are well signed but must still be refused", () => {
  it("refuses a JWK whose kid member is not its thumbprint", async () => {
    const payload = nextPayload(net.payload);
    payload.partners[0]!.keys[0]!.jwk = { ...payload.partners[0]!.keys[0]!.jwk, kid: A1.kid };
    const candidate = await rawSignList(payload, [A1, A2]);
    const detail = expectRefused(
      await acceptTrustList(net.payload, candidate, NOW),
      TRUST_PROBLEM_CODES.keys,
    );
    expect(detail).toBe("partners.0.keys.0.jwk.kid is not the key's RFC 7638 thumbprint");
  });

  it("refuses private key material anywhere, without echoing it", async () => {
    const payload = nextPayload(net.payload);
    payload.partners[1]!.keys[1]!.jwk = net.orgKeys["shelter-gr"]!.enc.privateJwk;
    const candidate = await rawSignList(payload, [A1, A2]);
    const detail = expectRefused(
      await acceptTrustList(net.payload, candidate, NOW),
      TRUST_PROBLEM_CODES.privateKey,
    );
    expect(detail).toBe("private key material at partners.1.keys.1.jwk.d");
    expect(detail).not.toContain(String(net.orgKeys["shelter-gr"]!.enc.privateJwk.d));
  });

  it("refuses a schema violation signed by every admin", async () => {
    const candidate = await rawSignList({ ...nextPayload(net.payload), threshold: 4 }, [A1, A2, A3]);
    expectRefused(await acceptTrustList(net.payload, candidate, NOW), TRUST_PROBLEM_CODES.malformed);
  });
});

describe("malformed input never throws", () => {
  const inputs: [string, unknown][] = [
    ["empty text", ""],
    ["truncated JSON", '{"payload":"ab'],
    ["null", "null"],
    ["an array", "[]"],
    ["a number", "42"],
    ["payload not a string", '{"payload":1,"signatures":[{"protected":"a","signature":"b"}]}'],
    ["no signatures", '{"payload":"e30","signatures":[]}'],
    ["an extra member", '{"payload":"e30","signatures":[{"protected":"a","signature":"b"}],"x":1}'],
    ["payload not base64url", '{"payload":"e30+","signatures":[{"protected":"a","signature":"b"}]}'],
    [
      "payload not JSON",
      `{"payload":"${Buffer.from("not json").toString("base64url")}","signatures":[{"protected":"a","signature":"b"}]}`,
    ],
    [
      "payload a JSON array",
      `{"payload":"${encodeJson([1])}","signatures":[{"protected":"a","signature":"b"}]}`,
    ],
    [
      "payload with a BOM",
      `{"payload":"${Buffer.from("\uFEFF{}").toString("base64url")}","signatures":[{"protected":"a","signature":"b"}]}`,
    ],
    [
      "payload invalid UTF-8",
      `{"payload":"${Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url")}","signatures":[{"protected":"a","signature":"b"}]}`,
    ],
    ["an object of the wrong shape", { payload: "e30" }],
    ["null object", null],
    ["too large", `{"payload":"${"A".repeat(1024 * 1024)}","signatures":[]}`],
  ];
  it.each(inputs)("refuses %s as malformed", async (_name, input) => {
    const result = await acceptTrustList(net.payload, input as string, NOW);
    expectRefused(result, TRUST_PROBLEM_CODES.malformed);
    const genesis = await verifyGenesis(input as string, { sha256: "0".repeat(64) }, NOW);
    expectRefused(genesis, TRUST_PROBLEM_CODES.malformed);
  });

  it("counts nothing, and does not throw, for garbage signatures and admins", async () => {
    const garbage = {
      payload: "e30",
      signatures: [null, 1, "x", { protected: 1, signature: 2 }, { protected: "!!", signature: "a" }],
    } as unknown as SignedTrustList;
    const counted = await countValidSignatures(garbage, [{ id: "x", jwk: { kty: "RSA" } }, null] as never);
    expect(counted.count).toBe(0);
    expect(counted.problems).toHaveLength(7);
    expect((await countValidSignatures(null as never, null as never)).count).toBe(0);
  });
});

describe("genesis", () => {
  it("accepts the list whose digest is pinned, as an object or as text in any layout", async () => {
    const digest = trustListDigest(net.signed);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expectAccepted(await verifyGenesis(net.signed, { sha256: digest }, NOW));
    expectAccepted(
      await verifyGenesis(JSON.stringify(net.signed, null, 4), { sha256: digest.toUpperCase() }, NOW),
    );
  });

  it("refuses a list other than the pinned one", async () => {
    const other = await signTrustList(net.payload, privates([A1, A2]));
    expect(trustListDigest(other)).not.toBe(trustListDigest(net.signed));
    expectRefused(
      await verifyGenesis(other, { sha256: trustListDigest(net.signed) }, NOW),
      TRUST_PROBLEM_CODES.genesisDigest,
    );
    // Reordering the signatures makes another list as distributed.
    const reordered = { ...net.signed, signatures: [...net.signed.signatures].reverse() };
    expectRefused(
      await verifyGenesis(reordered, { sha256: trustListDigest(net.signed) }, NOW),
      TRUST_PROBLEM_CODES.genesisDigest,
    );
  });

  it("refuses a pinned list its own admins did not sign to threshold", async () => {
    const weak = await signTrustList(net.payload, privates([A1]));
    expectRefused(
      await verifyGenesis(weak, { sha256: trustListDigest(weak) }, NOW),
      TRUST_PROBLEM_CODES.threshold,
    );
  });

  it("refuses a list not signed by threshold of the pinned admin keys", async () => {
    const pin = { adminJwks: net.adminKeys.map((k) => k.publicJwk), threshold: 3 };
    const two = await signTrustList(net.payload, privates([A1, A2]));
    expectRefused(await verifyGenesis(two, pin, NOW), TRUST_PROBLEM_CODES.threshold);
    expectAccepted(await verifyGenesis(net.signed, pin, NOW));
    const strangers = { adminJwks: newAdmins.map((k) => k.publicJwk), threshold: 1 };
    expectRefused(await verifyGenesis(net.signed, strangers, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("counts a pinned key given twice once", async () => {
    const pin = { adminJwks: [A1.publicJwk, A1.publicJwk, A2.publicJwk], threshold: 2 };
    const one = await signTrustList({ ...net.payload, threshold: 1 }, privates([A1]));
    expectRefused(await verifyGenesis(one, pin, NOW), TRUST_PROBLEM_CODES.threshold);
  });

  it("refuses an unusable pin", async () => {
    const keys = net.adminKeys.map((k) => k.publicJwk);
    for (const pin of [
      { sha256: "abc" },
      { adminJwks: keys, threshold: 0 },
      { adminJwks: keys, threshold: 4 },
      { adminJwks: [A1.publicJwk, A1.publicJwk], threshold: 2 },
      { adminJwks: [net.orgKeys["ngo-es"]!.enc.publicJwk], threshold: 1 },
      { adminJwks: [A1.privateJwk], threshold: 1 },
    ]) {
      expectRefused(await verifyGenesis(net.signed, pin, NOW), TRUST_PROBLEM_CODES.pin);
    }
  });

  it("refuses an expired genesis list", async () => {
    const later = net.payload.expiresAt;
    expectRefused(
      await verifyGenesis(net.signed, { sha256: trustListDigest(net.signed) }, later),
      TRUST_PROBLEM_CODES.expired,
    );
  });
});

describe("restoreTrustList", () => {
  it("re-opens a stored list, expired or not, but not a tampered one", async () => {
    const list = expectAccepted(await restoreTrustList(JSON.stringify(net.signed)));
    expect(list.digest).toBe(trustListDigest(net.signed));
    const bytes = Buffer.from(net.signed.payload, "base64url");
    bytes[bytes.indexOf("Acogida") + 1] = "k".charCodeAt(0);
    expectRefused(
      await restoreTrustList({ ...net.signed, payload: bytes.toString("base64url") }),
      TRUST_PROBLEM_CODES.threshold,
    );
  });
});
