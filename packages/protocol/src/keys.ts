// Key types of docs/protocol.md §1.2, checked before use, and JWK imports done once per key: the node's
// throughput is bound by crypto, so no message pays for a key import it does not need.
import type { KeyObject } from "node:crypto";
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";
import { KeyTypeError } from "./errors.ts";

export type AnyKey = CryptoKey | KeyObject | JWK;
type OkpCurve = "Ed25519" | "X25519";

const JOSE_ALG: Record<OkpCurve, string> = { Ed25519: "EdDSA", X25519: "ECDH-ES+A256KW" };
const X_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const tag = (v: object): unknown => (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];

export function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof key === "object" && key !== null && tag(key) === "CryptoKey";
}

export function isKeyObject(key: unknown): key is KeyObject {
  return typeof key === "object" && key !== null && tag(key) === "KeyObject";
}

/** True when `key` is a CryptoKey or KeyObject of curve `crv` and of the given type. */
export function isOkpKey(key: unknown, crv: OkpCurve, type: "public" | "private"): boolean {
  if (isCryptoKey(key)) return key.algorithm.name === crv && key.type === type;
  if (isKeyObject(key)) return key.asymmetricKeyType === crv.toLowerCase() && key.type === type;
  return false;
}

/** True when `jwk` is a public OKP JWK of curve `crv` (no private member). */
export function isPublicOkpJwk(jwk: unknown, crv: OkpCurve): jwk is JWK {
  if (typeof jwk !== "object" || jwk === null || isCryptoKey(jwk) || isKeyObject(jwk)) return false;
  const j = jwk as Record<string, unknown>;
  return (
    j.kty === "OKP" && j.crv === crv && typeof j.x === "string" && X_PATTERN.test(j.x) && j.d === undefined
  );
}

export interface ImportedPublicKey {
  key: CryptoKey;
  /** RFC 7638 thumbprint of the JWK. */
  kid: string;
}

// Keyed by curve and public value, which is what identifies a key; bounded, since the trust list is
// small and a runaway cache would only mean a caller handing out fresh keys forever.
const MAX_CACHED = 512;
const imported = new Map<string, Promise<ImportedPublicKey>>();

/** Imports a public OKP JWK once; later calls with the same key get the same CryptoKey. */
export function importPublicJwk(jwk: JWK, crv: OkpCurve): Promise<ImportedPublicKey> {
  if (!isPublicOkpJwk(jwk, crv)) throw new KeyTypeError(`expected a public ${crv} JWK`);
  const id = `${crv}.${jwk.x}`;
  let entry = imported.get(id);
  if (!entry) {
    if (imported.size >= MAX_CACHED) imported.clear();
    const pub: JWK = { kty: "OKP", crv, x: jwk.x };
    entry = Promise.all([importJWK(pub, JOSE_ALG[crv]), calculateJwkThumbprint(pub, "sha256")]).then(
      ([key, kid]) => ({ key: key as CryptoKey, kid }),
    );
    // A failed import is not remembered: the next call tries again.
    entry.catch(() => imported.delete(id));
    imported.set(id, entry);
  }
  return entry;
}
