import {
  CompactEncrypt,
  CompactSign,
  calculateJwkThumbprint,
  compactDecrypt,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
} from "jose";
import { describe, expect, it } from "vitest";
import {
  assertEncryptionJwk,
  assertSigningJwk,
  formatFingerprint,
  generateEncryptionKeyPair,
  generateOrgKeys,
  generateSigningKeyPair,
  keyValidAt,
  publicJwkOf,
  thumbprint,
} from "./keys.ts";
import { TrustKeyError } from "./problems.ts";

describe("key generation", () => {
  it("makes an Ed25519 signing pair with kid = RFC 7638 thumbprint, alg and use", async () => {
    const pair = await generateSigningKeyPair();
    expect(pair.publicJwk).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x: expect.any(String),
      kid: pair.kid,
      alg: "EdDSA",
      use: "sig",
    });
    expect(pair.privateJwk).toEqual({ ...pair.publicJwk, d: expect.any(String) });
    expect(pair.kid).toBe(
      await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: pair.publicJwk.x }, "sha256"),
    );
    expect(pair.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const jws = await new CompactSign(new TextEncoder().encode("hello"))
      .setProtectedHeader({ alg: "EdDSA", kid: pair.kid })
      .sign(await importJWK(pair.privateJwk, "EdDSA"));
    const verified = await compactVerify(jws, await importJWK(pair.publicJwk, "EdDSA"), {
      algorithms: ["EdDSA"],
    });
    expect(new TextDecoder().decode(verified.payload)).toBe("hello");
  });

  it("makes an X25519 encryption pair usable for ECDH-ES+A256KW / A256GCM", async () => {
    const pair = await generateEncryptionKeyPair();
    expect(pair.publicJwk).toEqual({
      kty: "OKP",
      crv: "X25519",
      x: expect.any(String),
      kid: pair.kid,
      alg: "ECDH-ES+A256KW",
      use: "enc",
    });
    expect(pair.privateJwk.d).toEqual(expect.any(String));
    const jwe = await new CompactEncrypt(new TextEncoder().encode("secret"))
      .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM", kid: pair.kid })
      .encrypt(await importJWK(pair.publicJwk, "ECDH-ES+A256KW"));
    const opened = await compactDecrypt(jwe, await importJWK(pair.privateJwk, "ECDH-ES+A256KW"), {
      keyManagementAlgorithms: ["ECDH-ES+A256KW"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    expect(new TextDecoder().decode(opened.plaintext)).toBe("secret");
  });

  it("makes distinct org keys", async () => {
    const { sig, enc } = await generateOrgKeys();
    expect(sig.publicJwk.crv).toBe("Ed25519");
    expect(enc.publicJwk.crv).toBe("X25519");
    const again = await generateOrgKeys();
    expect(again.sig.kid).not.toBe(sig.kid);
  });

  it("computes the same thumbprint from a public or private JWK, and from the bare members", async () => {
    const pair = await generateSigningKeyPair();
    expect(await thumbprint(pair.privateJwk)).toBe(pair.kid);
    expect(await thumbprint(publicJwkOf(pair.publicJwk))).toBe(pair.kid);
    expect(publicJwkOf(pair.privateJwk)).toEqual({ kty: "OKP", crv: "Ed25519", x: pair.publicJwk.x });
  });

  it("matches the RFC 8037 Appendix A.3 thumbprint", async () => {
    const jwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
    expect(await thumbprint(jwk)).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });
});

describe("assertSigningJwk / assertEncryptionJwk", () => {
  it("accepts the right public keys and, when asked, private ones", async () => {
    const sig = await generateSigningKeyPair();
    const enc = await generateEncryptionKeyPair();
    expect(() => assertSigningJwk(sig.publicJwk)).not.toThrow();
    expect(() => assertSigningJwk(publicJwkOf(sig.publicJwk))).not.toThrow();
    expect(() => assertSigningJwk(sig.privateJwk, "private")).not.toThrow();
    expect(() => assertEncryptionJwk(enc.publicJwk)).not.toThrow();
    expect(() => assertEncryptionJwk(enc.privateJwk, "private")).not.toThrow();
  });

  it("refuses a public JWK that carries d, and a private one without it", async () => {
    const sig = await generateSigningKeyPair();
    const enc = await generateEncryptionKeyPair();
    expect(() => assertSigningJwk(sig.privateJwk)).toThrow(TrustKeyError);
    expect(() => assertEncryptionJwk(enc.privateJwk)).toThrow(/must not carry the private member d/);
    expect(() => assertSigningJwk(sig.publicJwk, "private")).toThrow(/must carry d/);
  });

  it("refuses every other key type and curve", async () => {
    const sig = await generateSigningKeyPair();
    const enc = await generateEncryptionKeyPair();
    const p256 = await exportJWK((await generateKeyPair("ES256", { extractable: true })).publicKey);
    const rsa = await exportJWK((await generateKeyPair("RS256", { extractable: true })).publicKey);
    const refusedForSigning = [
      enc.publicJwk,
      p256,
      rsa,
      { kty: "oct", k: "AAAA" },
      { ...sig.publicJwk, crv: "Ed448" },
      null,
      "jwk",
    ];
    for (const jwk of refusedForSigning) expect(() => assertSigningJwk(jwk)).toThrow(TrustKeyError);
    for (const jwk of [sig.publicJwk, p256, rsa, { ...enc.publicJwk, crv: "X448" }])
      expect(() => assertEncryptionJwk(jwk)).toThrow(TrustKeyError);
  });

  it("refuses a mislabelled alg or use, and a non-canonical x", async () => {
    const sig = await generateSigningKeyPair();
    expect(() => assertSigningJwk({ ...sig.publicJwk, alg: "ES256" })).toThrow(/alg must be EdDSA/);
    expect(() => assertSigningJwk({ ...sig.publicJwk, use: "enc" })).toThrow(/use must be sig/);
    expect(() => assertSigningJwk({ ...sig.publicJwk, x: `${sig.publicJwk.x}=` })).toThrow(/canonical/);
  });

  it("has a stable code and never puts key material in its message", async () => {
    const sig = await generateSigningKeyPair();
    try {
      assertSigningJwk(sig.privateJwk);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TrustKeyError);
      expect((error as TrustKeyError).code).toBe("ERR_TRUST_KEY_TYPE");
      expect((error as Error).message).not.toContain(String(sig.privateJwk.d));
      expect((error as Error).message).not.toContain(String(sig.privateJwk.x));
    }
  });
});

describe("keyValidAt", () => {
  it("is valid from notBefore inclusive to notAfter exclusive", () => {
    const bounded = { notBefore: 100, notAfter: 200 };
    expect(keyValidAt(bounded, 99)).toBe(false);
    expect(keyValidAt(bounded, 100)).toBe(true);
    expect(keyValidAt(bounded, 199)).toBe(true);
    expect(keyValidAt(bounded, 200)).toBe(false);
    expect(keyValidAt({ notBefore: 100 }, 99)).toBe(false);
    expect(keyValidAt({ notBefore: 100 }, 10 ** 10)).toBe(true);
  });
});

describe("formatFingerprint", () => {
  it("spells the thumbprint bytes as hex in groups of four", () => {
    const kid = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    const text = formatFingerprint(kid);
    expect(text).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    expect(text.replaceAll(" ", "")).toBe(Buffer.from(kid, "base64url").toString("hex"));
  });
});
