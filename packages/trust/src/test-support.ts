// Helpers for this package's tests: a real test network, next versions of its list, and an
// adversary's raw signer that builds whatever JWS a hostile or buggy peer could send. Not exported.
import { FlattenedSign, importJWK, type JWK } from "jose";
import { encodeBase64url } from "./encoding.ts";
import { createTestNetworkTrust, type TestNetworkTrust } from "./fixtures.ts";
import type { KeyPairJwk } from "./keys.ts";
import { TRUST_JWS_TYP } from "./schema.ts";
import type { SignedTrustList, TrustListPayload } from "./types.ts";

/** A fixed clock, so every test is reproducible. */
export const NOW = 1_750_000_000;
export const DAY = 24 * 3600;

export function testNetwork(
  options: { admins?: number; threshold?: number } = {},
): Promise<TestNetworkTrust> {
  return createTestNetworkTrust({
    network: "refnet-test",
    orgs: [
      { orgId: "ngo-es", name: "Acogida Sur", country: "ES", roles: ["origin"] },
      { orgId: "shelter-gr", name: "Shelter Athens", country: "GR", roles: ["destination"] },
      { orgId: "legal-it", name: "Aiuto Legale", country: "IT", roles: ["origin", "destination"] },
    ],
    nowSeconds: NOW,
    ...options,
  });
}

/** The next version of `payload` with `changes` applied; a fresh expiry 30 days out. */
export function nextPayload(
  payload: TrustListPayload,
  changes: Partial<TrustListPayload> = {},
): TrustListPayload {
  return {
    ...structuredClone(payload),
    version: payload.version + 1,
    issuedAt: NOW,
    expiresAt: NOW + 30 * DAY,
    ...changes,
  };
}

export function privates(keys: KeyPairJwk[]): JWK[] {
  return keys.map((k) => k.privateJwk);
}

export function encodeJson(value: unknown): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
}

export function decodeJson(encoded: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as Record<string, unknown>;
}

/**
 * One signature over `payload` (base64url) with any protected header, as an attacker or a buggy
 * implementation would produce it: jose signs, nothing is checked.
 */
export async function rawSignature(
  payload: string,
  privateJwk: JWK,
  header: Record<string, unknown>,
): Promise<{ protected: string; signature: string }> {
  const key = await importJWK({ kty: "OKP", crv: "Ed25519", x: privateJwk.x, d: privateJwk.d }, "EdDSA");
  const flat = await new FlattenedSign(Buffer.from(payload, "base64url"))
    .setProtectedHeader(header as { alg: string })
    .sign(key);
  return { protected: flat.protected!, signature: flat.signature };
}

/** A list over any JSON value (valid or not), signed with the regular header by each key. */
export async function rawSignList(value: unknown, keys: KeyPairJwk[]): Promise<SignedTrustList> {
  const payload = encodeJson(value);
  const signatures = await Promise.all(
    keys.map((k) => rawSignature(payload, k.privateJwk, { alg: "EdDSA", kid: k.kid, typ: TRUST_JWS_TYP })),
  );
  return { payload, signatures };
}
