import { flattenedVerify, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { TestNetworkTrust } from "./fixtures.ts";
import { generateEncryptionKeyPair, generateSigningKeyPair, type KeyPairJwk } from "./keys.ts";
import { TRUST_PROBLEM_CODES, TrustKeyError, TrustListError } from "./problems.ts";
import { TRUST_JWS_TYP } from "./schema.ts";
import { coSignTrustList, signTrustList } from "./sign.ts";
import { decodeJson, nextPayload, privates, testNetwork } from "./test-support.ts";
import { countValidSignatures } from "./verify.ts";

let net: TestNetworkTrust;
let A1: KeyPairJwk;
let A2: KeyPairJwk;
let A3: KeyPairJwk;

beforeAll(async () => {
  net = await testNetwork();
  [A1, A2, A3] = net.adminKeys as [KeyPairJwk, KeyPairJwk, KeyPairJwk];
});

describe("signTrustList", () => {
  it("makes one General JSON signature per admin, each header exactly alg, kid, typ", async () => {
    const payload = nextPayload(net.payload);
    const signed = await signTrustList(payload, privates([A1, A2]));
    expect(Object.keys(signed)).toEqual(["payload", "signatures"]);
    expect(signed.signatures).toHaveLength(2);
    expect(signed.signatures.map((s) => decodeJson(s.protected))).toEqual([
      { alg: "EdDSA", kid: A1.kid, typ: TRUST_JWS_TYP },
      { alg: "EdDSA", kid: A2.kid, typ: TRUST_JWS_TYP },
    ]);
    for (const s of signed.signatures) expect(Object.keys(s).sort()).toEqual(["protected", "signature"]);
    // The payload is the UTF-8 JSON of the payload, serialised once.
    expect(Buffer.from(signed.payload, "base64url").toString("utf8")).toBe(JSON.stringify(payload));
  });

  it("produces signatures that verify each on its own with jose", async () => {
    const signed = await signTrustList(net.payload, privates([A1, A2, A3]));
    for (const [i, key] of [A1, A2, A3].entries()) {
      const sig = signed.signatures[i]!;
      const result = await flattenedVerify(
        { payload: signed.payload, protected: sig.protected, signature: sig.signature },
        await importJWK(key.publicJwk, "EdDSA"),
        { algorithms: ["EdDSA"] },
      );
      expect(result.protectedHeader?.kid).toBe(key.kid);
    }
  });

  it("keeps UTF-8 names intact", async () => {
    const payload = structuredClone(net.payload);
    payload.partners[0]!.name = "Καταφύγιο Αθήνας — مأوى";
    const signed = await signTrustList(payload, privates([A1, A2]));
    expect(JSON.parse(Buffer.from(signed.payload, "base64url").toString("utf8")).partners[0].name).toBe(
      "Καταφύγιο Αθήνας — مأوى",
    );
    expect((await countValidSignatures(signed, payload.admins)).count).toBe(2);
  });

  it("refuses to sign a malformed payload or one with a wrong kid member", async () => {
    await expect(signTrustList({ ...net.payload, threshold: 9 }, privates([A1]))).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.malformed,
    });
    const leaky = structuredClone(net.payload);
    leaky.partners[0]!.keys[0]!.jwk = net.orgKeys["ngo-es"]!.sig.privateJwk;
    await expect(signTrustList(leaky, privates([A1]))).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.privateKey,
    });
    const lying = structuredClone(net.payload);
    lying.admins[0]!.jwk = { ...lying.admins[0]!.jwk, kid: A2.kid };
    await expect(signTrustList(lying, privates([A1]))).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.keys,
    });
  });

  it("refuses non-Ed25519, public-only or repeated signing keys, and an empty signer list", async () => {
    const enc = await generateEncryptionKeyPair();
    await expect(signTrustList(net.payload, [enc.privateJwk])).rejects.toBeInstanceOf(TrustKeyError);
    await expect(signTrustList(net.payload, [A1.publicJwk])).rejects.toBeInstanceOf(TrustKeyError);
    await expect(signTrustList(net.payload, privates([A1, A1]))).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.duplicateSigner,
    });
    await expect(signTrustList(net.payload, [])).rejects.toBeInstanceOf(TrustListError);
  });

  it("refuses a private JWK whose d does not belong to its x", async () => {
    const other = await generateSigningKeyPair();
    const mismatched = { ...A1.privateJwk, d: other.privateJwk.d };
    await expect(signTrustList(net.payload, [mismatched])).rejects.toThrow();
  });
});

describe("coSignTrustList", () => {
  it("adds a signature over the same payload bytes and keeps the earlier ones", async () => {
    const one = await signTrustList(nextPayload(net.payload), privates([A1]));
    const two = await coSignTrustList(one, A2.privateJwk);
    expect(two.payload).toBe(one.payload);
    expect(two.signatures[0]).toEqual(one.signatures[0]);
    expect(decodeJson(two.signatures[1]!.protected)).toEqual({
      alg: "EdDSA",
      kid: A2.kid,
      typ: TRUST_JWS_TYP,
    });
    expect(await countValidSignatures(two, net.payload.admins)).toMatchObject({
      count: 2,
      signers: [A1.kid, A2.kid],
    });
    expect(one.signatures).toHaveLength(1); // the input is not modified
  });

  it("does not re-serialise: a payload with another member order keeps its bytes", async () => {
    const reordered = Object.fromEntries(Object.entries(nextPayload(net.payload)).reverse());
    const payload = Buffer.from(JSON.stringify(reordered)).toString("base64url");
    const first = await coSignTrustList(
      { payload, signatures: [{ protected: "e30", signature: "AAAA" }] },
      A1.privateJwk,
    );
    expect(first.payload).toBe(payload);
    expect((await countValidSignatures(first, net.payload.admins)).count).toBe(1);
  });

  it("refuses a second signature by the same key, and a malformed list", async () => {
    const one = await signTrustList(nextPayload(net.payload), privates([A1]));
    await expect(coSignTrustList(one, A1.privateJwk)).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.duplicateSigner,
    });
    await expect(
      coSignTrustList({ payload: "e30", signatures: one.signatures }, A2.privateJwk),
    ).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.malformed,
    });
  });
});
