// Key material of docs/protocol.md §1: Ed25519 for signing (org and admin keys), X25519 for encryption,
// and the RFC 7638 thumbprint as every key id. Everything cryptographic goes through jose.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import { isCanonicalKey32, isPlainObject } from "./encoding.ts";
import { TrustKeyError } from "./problems.ts";
import type { KeyUse } from "./types.ts";

export const SIGNING_ALG = "EdDSA";
export const ENCRYPTION_ALG = "ECDH-ES+A256KW";
export const ENCRYPTION_ENC = "A256GCM";

export interface KeyPairJwk {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  /** `kty`, `crv`, `x`, `kid`, `alg`, `use`. */
  publicJwk: JWK;
  /** The public members plus `d`. Never logged, never put in a trust list. */
  privateJwk: JWK;
}

const CURVE_OF_USE = { sig: "Ed25519", enc: "X25519" } as const;
const ALG_OF_USE = { sig: SIGNING_ALG, enc: ENCRYPTION_ALG } as const;

/** RFC 7638 SHA-256 thumbprint, base64url: the `kid` of a key (docs/protocol.md §1). */
export function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, "sha256");
}

/** The public members that identify an OKP key, and nothing else (no kid, alg, use, d). */
export function publicJwkOf(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

async function generate(use: KeyUse): Promise<KeyPairJwk> {
  // Extractable because the pair is handed out as JWKs, for the key store or the trust list to keep.
  const pair =
    use === "sig"
      ? await generateKeyPair("Ed25519", { extractable: true })
      : await generateKeyPair(ENCRYPTION_ALG, { crv: "X25519", extractable: true });
  const [pub, priv] = await Promise.all([exportJWK(pair.publicKey), exportJWK(pair.privateKey)]);
  const base: JWK = { kty: "OKP", crv: CURVE_OF_USE[use], x: pub.x };
  const kid = await thumbprint(base);
  const publicJwk: JWK = { ...base, kid, alg: ALG_OF_USE[use], use };
  return { kid, publicJwk, privateJwk: { ...publicJwk, d: priv.d } };
}

/** A fresh Ed25519 pair for JWS `EdDSA` (org signing key or network admin key). */
export function generateSigningKeyPair(): Promise<KeyPairJwk> {
  return generate("sig");
}

/** A fresh X25519 pair for JWE `ECDH-ES+A256KW` with `A256GCM`. */
export function generateEncryptionKeyPair(): Promise<KeyPairJwk> {
  return generate("enc");
}

/** The two key pairs an organization needs: one to sign what it sends, one to receive. */
export async function generateOrgKeys(): Promise<{ sig: KeyPairJwk; enc: KeyPairJwk }> {
  const [sig, enc] = await Promise.all([generateSigningKeyPair(), generateEncryptionKeyPair()]);
  return { sig, enc };
}

export type KeyKind = "public" | "private";

/** Why `jwk` is not an OKP key of `use`, or undefined when it is. Names members, never key values. */
export function okpKeyProblem(jwk: unknown, use: KeyUse, kind: KeyKind): string | undefined {
  const crv = CURVE_OF_USE[use];
  if (!isPlainObject(jwk)) return "not a JWK object";
  if (jwk.kty !== "OKP") return `kty must be OKP for a ${crv} key`;
  if (jwk.crv !== crv) return `crv must be ${crv}`;
  if (!isCanonicalKey32(jwk.x)) return "x must be the canonical base64url of 32 bytes";
  if (kind === "public" && jwk.d !== undefined) return "a public JWK must not carry the private member d";
  if (kind === "private" && !isCanonicalKey32(jwk.d))
    return "a private JWK must carry d (32 bytes, base64url)";
  if (jwk.alg !== undefined && jwk.alg !== ALG_OF_USE[use]) return `alg must be ${ALG_OF_USE[use]}`;
  if (jwk.use !== undefined && jwk.use !== use) return `use must be ${use}`;
  return undefined;
}

/** Refuses anything but an OKP Ed25519 JWK (docs/protocol.md §1); by default a public one, without `d`. */
export function assertSigningJwk(jwk: unknown, kind: KeyKind = "public"): asserts jwk is JWK {
  const problem = okpKeyProblem(jwk, "sig", kind);
  if (problem) throw new TrustKeyError(`signing key: ${problem}`);
}

/** Refuses anything but an OKP X25519 JWK (docs/protocol.md §1); by default a public one, without `d`. */
export function assertEncryptionJwk(jwk: unknown, kind: KeyKind = "public"): asserts jwk is JWK {
  const problem = okpKeyProblem(jwk, "enc", kind);
  if (problem) throw new TrustKeyError(`encryption key: ${problem}`);
}

/** Validity of a partner key at `t` (seconds): notBefore ≤ t, and t < notAfter when there is one. */
export function keyValidAt(info: { notBefore: number; notAfter?: number | undefined }, t: number): boolean {
  return info.notBefore <= t && (info.notAfter === undefined || t < info.notAfter);
}

/**
 * A key id as people compare it out of band (read over the phone, printed on the admin's sheet): the
 * 32 thumbprint bytes in hex, in groups of four. Hex because base64url is case-sensitive.
 */
export function formatFingerprint(kid: string): string {
  const hex = Buffer.from(kid, "base64url").toString("hex");
  return hex.match(/.{1,4}/g)?.join(" ") ?? "";
}
