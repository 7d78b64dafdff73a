import { CompactSign, compactVerify, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { trustListDigest } from "./digest.ts";
import type { TestNetworkTrust } from "./fixtures.ts";
import {
  generateEncryptionKeyPair,
  generateSigningKeyPair,
  type KeyPairJwk,
  keyValidAt,
  publicJwkOf,
} from "./keys.ts";
import { TRUST_PROBLEM_CODES } from "./problems.ts";
import { signTrustList } from "./sign.ts";
import { DAY, NOW, nextPayload, privates, testNetwork } from "./test-support.ts";
import { TrustList } from "./trust-list.ts";
import type { TrustListPayload } from "./types.ts";

let net: TestNetworkTrust;
let list: TrustList;
let rotatedEnc: KeyPairJwk;
let futureEnc: KeyPairJwk;
let oldSig: KeyPairJwk;
let rotated: TrustListPayload;

// Version 2: shelter-gr rotated its encryption key (old one ends at NOW + 1 day, new one from NOW, a
// third one from NOW + 10 days) and keeps a retired signing key valid until NOW; ngo-es suspended;
// legal-it revoked.
beforeAll(async () => {
  net = await testNetwork();
  [rotatedEnc, futureEnc, oldSig] = await Promise.all([
    generateEncryptionKeyPair(),
    generateEncryptionKeyPair(),
    generateSigningKeyPair(),
  ]);
  rotated = nextPayload(net.payload);
  const gr = rotated.partners.find((p) => p.orgId === "shelter-gr")!;
  gr.keys[1]!.notAfter = NOW + DAY;
  gr.keys.push(
    { use: "enc", jwk: publicJwkOf(rotatedEnc.publicJwk), notBefore: NOW },
    { use: "enc", jwk: publicJwkOf(futureEnc.publicJwk), notBefore: NOW + 10 * DAY },
    { use: "sig", jwk: publicJwkOf(oldSig.publicJwk), notBefore: NOW - 100 * DAY, notAfter: NOW },
  );
  rotated.partners.find((p) => p.orgId === "ngo-es")!.status = "suspended";
  rotated.partners.find((p) => p.orgId === "legal-it")!.status = "revoked";
  const signed = await signTrustList(rotated, privates(net.adminKeys.slice(0, 2)));
  list = await TrustList.create(rotated, signed);
});

describe("TrustList", () => {
  it("exposes the list's identity", () => {
    expect(list.network).toBe("refnet-test");
    expect(list.version).toBe(2);
    expect(list.expiresAt).toBe(rotated.expiresAt);
    expect(list.threshold).toBe(2);
    expect(list.digest).toBe(trustListDigest(list.signed));
    expect(list.admins().map((a) => a.kid)).toEqual(net.adminKeys.map((k) => k.kid));
  });

  it("is expired from expiresAt on", () => {
    expect(list.isExpired(list.expiresAt - 1)).toBe(false);
    expect(list.isExpired(list.expiresAt)).toBe(true);
  });

  it("is immutable", () => {
    expect(() => {
      (list.payload.partners[0] as { status: string }).status = "active";
    }).toThrow(TypeError);
    expect(() => {
      list.payload.admins.push({ id: "x", jwk: {} });
    }).toThrow(TypeError);
    const info = list.signerKey(net.orgKeys["shelter-gr"]!.sig.kid)!;
    expect(() => {
      (info as { status: string }).status = "active";
    }).toThrow(TypeError);
  });

  it("finds partners, and only active ones as active", () => {
    expect(list.partner("shelter-gr")?.name).toBe("Shelter Athens");
    expect(list.partner("nobody")).toBeUndefined();
    expect(list.partners().map((p) => p.orgId)).toEqual(["ngo-es", "shelter-gr", "legal-it"]);
    expect(list.activePartners().map((p) => p.orgId)).toEqual(["shelter-gr"]);
  });

  it("says who owns a signing key, with status and validity, in the shape openEnvelope consumes", () => {
    const gr = net.orgKeys["shelter-gr"]!;
    expect(list.signerKey(gr.sig.kid)).toEqual({
      orgId: "shelter-gr",
      status: "active",
      key: publicJwkOf(gr.sig.publicJwk),
      notBefore: NOW - 300,
    });
    expect(list.signerKey(net.orgKeys["ngo-es"]!.sig.kid)).toMatchObject({
      orgId: "ngo-es",
      status: "suspended",
    });
    expect(list.signerKey(net.orgKeys["legal-it"]!.sig.kid)).toMatchObject({
      orgId: "legal-it",
      status: "revoked",
    });
    // An encryption key, an admin key or an unknown kid is no signer.
    expect(list.signerKey(gr.enc.kid)).toBeUndefined();
    expect(list.signerKey(net.adminKeys[0]!.kid)).toBeUndefined();
    expect(list.signerKey("A".repeat(43))).toBeUndefined();
  });

  it("reports a key outside its validity, for keyValidAt to decide", async () => {
    const info = list.signerKey(oldSig.kid)!;
    expect(info).toEqual({
      orgId: "shelter-gr",
      status: "active",
      key: publicJwkOf(oldSig.publicJwk),
      notBefore: NOW - 100 * DAY,
      notAfter: NOW,
    });
    expect(keyValidAt(info, NOW - 1)).toBe(true);
    expect(keyValidAt(info, NOW)).toBe(false);
    expect(keyValidAt(info, NOW - 100 * DAY - 1)).toBe(false);

    // The returned key verifies a real signature by that partner key.
    const jws = await new CompactSign(new TextEncoder().encode("x"))
      .setProtectedHeader({ alg: "EdDSA", kid: oldSig.kid })
      .sign(await importJWK(oldSig.privateJwk, "EdDSA"));
    await expect(
      compactVerify(jws, await importJWK(info.key, "EdDSA"), { algorithms: ["EdDSA"] }),
    ).resolves.toBeDefined();
  });

  it("encrypts to the newest encryption key valid now", () => {
    const gr = net.orgKeys["shelter-gr"]!;
    // Before the rotation only the original key is valid.
    expect(list.encryptionKeyFor("shelter-gr", NOW - 1)).toEqual({
      kid: gr.enc.kid,
      jwk: publicJwkOf(gr.enc.publicJwk),
    });
    // From NOW both are valid: the newer wins.
    expect(list.encryptionKeyFor("shelter-gr", NOW)?.kid).toBe(rotatedEnc.kid);
    expect(list.encryptionKeyFor("shelter-gr", NOW + 2 * DAY)?.kid).toBe(rotatedEnc.kid);
    // A key announced for later is used only from its notBefore.
    expect(list.encryptionKeyFor("shelter-gr", NOW + 10 * DAY - 1)?.kid).toBe(rotatedEnc.kid);
    expect(list.encryptionKeyFor("shelter-gr", NOW + 10 * DAY)?.kid).toBe(futureEnc.kid);
    // Before any key is valid: nothing.
    expect(list.encryptionKeyFor("shelter-gr", NOW - 301)).toBeUndefined();
  });

  it("breaks a tie between keys of one notBefore by the kid that sorts first (docs/protocol.md §1.5)", async () => {
    const [a, b] = await Promise.all([generateEncryptionKeyPair(), generateEncryptionKeyPair()]);
    const [first, second] = [a, b].sort((x, y) => (x.kid < y.kid ? -1 : 1)) as [KeyPairJwk, KeyPairJwk];
    for (const order of [
      [second, first],
      [first, second],
    ]) {
      const payload = nextPayload(net.payload);
      const gr = payload.partners.find((p) => p.orgId === "shelter-gr")!;
      gr.keys.push(
        ...order.map((k) => ({ use: "enc" as const, jwk: publicJwkOf(k.publicJwk), notBefore: NOW })),
      );
      const tied = await TrustList.create(
        payload,
        await signTrustList(payload, privates(net.adminKeys.slice(0, 2))),
      );
      expect(tied.encryptionKeyFor("shelter-gr", NOW)?.kid).toBe(first.kid);
      expect(tied.newestValidKey("shelter-gr", "enc", NOW)?.kid).toBe(first.kid);
      // Whatever the partner's status, newestValidKey answers; encryptionKeyFor only for an active one.
      expect(tied.newestValidKey("shelter-gr", "sig", NOW)?.kid).toBe(net.orgKeys["shelter-gr"]!.sig.kid);
    }
  });

  it("gives no encryption key for a suspended, revoked or unknown partner", () => {
    expect(list.keysOf("ngo-es").some((k) => k.use === "enc")).toBe(true);
    expect(list.encryptionKeyFor("ngo-es", NOW)).toBeUndefined();
    expect(list.encryptionKeyFor("legal-it", NOW)).toBeUndefined();
    expect(list.encryptionKeyFor("nobody", NOW)).toBeUndefined();
  });

  it("lists a partner's keys with their kids, and their fingerprints", () => {
    const keys = list.keysOf("shelter-gr");
    expect(keys.map((k) => [k.use, k.kid])).toEqual([
      ["sig", net.orgKeys["shelter-gr"]!.sig.kid],
      ["enc", net.orgKeys["shelter-gr"]!.enc.kid],
      ["enc", rotatedEnc.kid],
      ["enc", futureEnc.kid],
      ["sig", oldSig.kid],
    ]);
    expect(list.keyById(rotatedEnc.kid)).toMatchObject({ orgId: "shelter-gr", use: "enc", notBefore: NOW });
    expect(list.keysOf("nobody")).toEqual([]);
    const prints = list.fingerprints("shelter-gr");
    expect(prints).toHaveLength(5);
    expect(prints[1]).toMatchObject({
      use: "enc",
      kid: net.orgKeys["shelter-gr"]!.enc.kid,
      notAfter: NOW + DAY,
    });
    expect(prints[1]!.fingerprint.replaceAll(" ", "")).toBe(
      Buffer.from(net.orgKeys["shelter-gr"]!.enc.kid, "base64url").toString("hex"),
    );
  });

  it("imports a key once and caches it", async () => {
    const kid = net.orgKeys["shelter-gr"]!.sig.kid;
    const first = await list.importedKey(kid);
    expect(first?.algorithm.name).toBe("Ed25519");
    expect(await list.importedKey(kid)).toBe(first);
    expect((await list.importedKey(rotatedEnc.kid))?.algorithm.name).toBe("X25519");
    expect(list.importedKey("A".repeat(43))).toBeUndefined();
  });

  it("refuses to wrap a payload that is not the signed one", async () => {
    const other = { ...rotated, version: 7 };
    await expect(TrustList.create(other, list.signed)).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.malformed,
    });
  });
});
