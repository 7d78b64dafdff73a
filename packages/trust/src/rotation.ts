// A partner's request to rotate its own keys (docs/admin-guide.md §4): a compact JWS, signed by the
// organization's signing key in force, that carries its new public signing and encryption keys. The
// partner's node makes it (`refnet keys rotate`); the network admins verify it against their own copy
// of the list in force before proposing the next version (`refnet trust propose --rotation-request`).
// The signature proves that whoever asks holds a signing key the admins already listed for that
// organization; the fingerprints read over the phone still prove it is the organization's staff.
import type { KeyObject } from "node:crypto";
import { CLOCK_SKEW_SECONDS, ID_PATTERN, KID_PATTERN } from "@refnet/protocol/types";
import { CompactSign, compactVerify, importJWK, type JWK } from "jose";
import { decodeBase64url, isPlainObject, parseJsonBytes } from "./encoding.ts";
import { keyValidAt, okpKeyProblem, publicJwkOf, SIGNING_ALG, thumbprint } from "./keys.ts";
import type { KeyUse, TrustListPayload } from "./types.ts";

/** `typ` of a key rotation request. */
export const KEY_ROTATION_TYP = "refnet-key-rotation+jws";
/**
 * How long after `iat` admins still act on a request: long enough to gather a threshold of signatures
 * over a few days, short enough that a request found in an old mailbox is not replayed.
 */
export const MAX_ROTATION_REQUEST_AGE_SECONDS = 14 * 86_400;
/** The longest overlap a partner may ask for; admins may still give any overlap they decide. */
export const MAX_ROTATION_OVERLAP_SECONDS = 90 * 86_400;
// A request holds two public keys; anything much larger is not one.
const MAX_REQUEST_BYTES = 16 * 1024;

/** Why a request is refused. Stable strings: the CLI prints them and tests assert on them. */
export const KEY_ROTATION_PROBLEM_CODES = {
  /** Not a compact JWS, or a payload outside the closed shape below. */
  malformed: "e.k.malformed",
  /** The protected header is not exactly `{ alg: "EdDSA", kid, typ: "refnet-key-rotation+jws" }`. */
  header: "e.k.header",
  /** The `kid` names no signing key of the organization in the list in force, or one not valid now. */
  signer: "e.k.signer",
  /** The signature does not verify under that key. */
  signature: "e.k.signature",
  /** The request is for another network. */
  network: "e.k.network",
  /** The organization named is not the owner of the signing key, or it is revoked. */
  org: "e.k.org",
  /** `iat` lies more than the tolerated clock skew in the future. */
  future: "e.k.future",
  /** `iat` is older than MAX_ROTATION_REQUEST_AGE_SECONDS. */
  stale: "e.k.stale",
  /** A new key is already in the list (for this or another partner, or as an admin key). */
  keys: "e.k.keys",
} as const;
export type KeyRotationProblemCode =
  (typeof KEY_ROTATION_PROBLEM_CODES)[keyof typeof KEY_ROTATION_PROBLEM_CODES];

export interface KeyRotationKey {
  use: KeyUse;
  /** RFC 7638 thumbprint of `jwk`. */
  kid: string;
  /** The bare public JWK (`kty`, `crv`, `x`). */
  jwk: JWK;
}

/** The payload of a request. Closed: no other member is allowed. */
export interface KeyRotationRequest {
  v: 1;
  network: string;
  orgId: string;
  /** Exactly one `sig` (Ed25519) and one `enc` (X25519) key, sig first. */
  keys: KeyRotationKey[];
  /** Seconds the partner asks its current keys to stay valid after the new ones start. */
  overlap: number;
  /** Seconds since the epoch: when the request was signed. */
  iat: number;
}

export type KeyRotationResult =
  | {
      ok: true;
      request: KeyRotationRequest;
      /** The listed signing key that signed it. */
      signerKid: string;
    }
  | { ok: false; code: KeyRotationProblemCode; detail: string };

/** Thrown by createKeyRotationRequest for input it must not sign. */
export class KeyRotationError extends Error {
  override readonly name = "KeyRotationError";
  constructor(
    readonly code: KeyRotationProblemCode,
    message: string,
  ) {
    super(message);
  }
}

const refuse = (code: KeyRotationProblemCode, detail: string): KeyRotationResult => ({
  ok: false,
  code,
  detail,
});

/** Why `value` is not a well-formed payload (names members, never values), or undefined. */
async function payloadProblem(value: unknown): Promise<string | undefined> {
  if (!isPlainObject(value)) return "the payload is not a JSON object";
  const allowed = new Set(["v", "network", "orgId", "keys", "overlap", "iat"]);
  const extra = Object.keys(value).filter((k) => !allowed.has(k));
  if (extra.length > 0) return `unknown member ${extra[0]}`;
  if (value.v !== 1) return "v must be 1";
  if (typeof value.network !== "string" || !ID_PATTERN.test(value.network))
    return "network is not a network id";
  if (typeof value.orgId !== "string" || !ID_PATTERN.test(value.orgId)) return "orgId is not an org id";
  if (!Number.isSafeInteger(value.iat) || (value.iat as number) < 0) return "iat must be whole seconds";
  if (
    !Number.isSafeInteger(value.overlap) ||
    (value.overlap as number) < 0 ||
    (value.overlap as number) > MAX_ROTATION_OVERLAP_SECONDS
  )
    return `overlap must be whole seconds from 0 to ${MAX_ROTATION_OVERLAP_SECONDS}`;
  const keys = value.keys;
  if (!Array.isArray(keys) || keys.length !== 2) return "keys must hold exactly a sig and an enc key";
  const uses: KeyUse[] = ["sig", "enc"];
  for (const [i, entry] of keys.entries()) {
    const use = uses[i]!;
    if (!isPlainObject(entry)) return `keys[${i}] is not an object`;
    if (Object.keys(entry).some((k) => k !== "use" && k !== "kid" && k !== "jwk"))
      return `keys[${i}] has a member other than use, kid, jwk`;
    if (entry.use !== use) return `keys[${i}].use must be ${use} (sig first, then enc)`;
    const problem = okpKeyProblem(entry.jwk, use, "public");
    if (problem) return `keys[${i}].jwk: ${problem}`;
    const jwk = entry.jwk as JWK;
    if (Object.keys(jwk).some((k) => k !== "kty" && k !== "crv" && k !== "x"))
      return `keys[${i}].jwk must hold only kty, crv and x`;
    if (typeof entry.kid !== "string" || !KID_PATTERN.test(entry.kid))
      return `keys[${i}].kid is not a key id`;
    if (entry.kid !== (await thumbprint(publicJwkOf(jwk))))
      return `keys[${i}].kid is not the RFC 7638 thumbprint of its jwk`;
  }
  return undefined;
}

/**
 * Signs a rotation request with the organization's current signing key. The caller picks that key
 * (the newest of its own signing keys the list in force lists and that is valid now). Throws
 * KeyRotationError for input that verifyKeyRotationRequest would refuse for its shape.
 */
export async function createKeyRotationRequest(
  input: {
    network: string;
    orgId: string;
    sig: JWK;
    enc: JWK;
    overlapSeconds: number;
    nowSeconds: number;
  },
  signer: { kid: string; key: CryptoKey | KeyObject },
): Promise<string> {
  const [sig, enc] = [publicJwkOf(input.sig), publicJwkOf(input.enc)];
  const request: KeyRotationRequest = {
    v: 1,
    network: input.network,
    orgId: input.orgId,
    keys: [
      { use: "sig", kid: await thumbprint(sig), jwk: sig },
      { use: "enc", kid: await thumbprint(enc), jwk: enc },
    ],
    overlap: input.overlapSeconds,
    iat: input.nowSeconds,
  };
  const problem = await payloadProblem(request);
  if (problem) throw new KeyRotationError(KEY_ROTATION_PROBLEM_CODES.malformed, problem);
  if (request.keys.some((k) => k.kid === signer.kid))
    throw new KeyRotationError(KEY_ROTATION_PROBLEM_CODES.keys, "a request cannot carry its own signing key");
  return new CompactSign(new TextEncoder().encode(JSON.stringify(request)))
    .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ: KEY_ROTATION_TYP })
    .sign(signer.key);
}

/** The decoded parts of a compact JWS, or why it is not one. Nothing here is verified. */
function splitCompact(
  text: string,
): { header: Record<string, unknown>; payload: unknown } | { problem: string } {
  if (Buffer.byteLength(text, "utf8") > MAX_REQUEST_BYTES)
    return { problem: `larger than ${MAX_REQUEST_BYTES} bytes` };
  const parts = text.split(".");
  if (parts.length !== 3) return { problem: "not a JWS compact serialization (three parts)" };
  const [h, p, s] = parts.map((part) => decodeBase64url(part));
  if (!h || !p || !s || s.byteLength === 0) return { problem: "a part is not canonical base64url" };
  const header = parseJsonBytes(h);
  const payload = parseJsonBytes(p);
  if (!header || !isPlainObject(header.value))
    return { problem: "the protected header is not a JSON object" };
  if (!payload) return { problem: "the payload is not UTF-8 JSON" };
  return { header: header.value, payload: payload.value };
}

/**
 * Checks a rotation request against the list in force (`list`), as the admins must before proposing
 * the next version. Accepted only when: it is a compact JWS whose protected header is exactly
 * `{ alg: "EdDSA", kid, typ }` with the typ above; `kid` names a signing key that the list lists for
 * some partner, valid at `iat` and now; the signature verifies under it; the payload is well formed,
 * for the list's network, names that very partner, which is not revoked; `iat` is neither in the
 * future (beyond the clock skew of docs/protocol.md §2) nor older than 14 days; and neither new key is
 * in the list yet. Never throws.
 */
export async function verifyKeyRotationRequest(
  text: string,
  list: TrustListPayload,
  nowSeconds: number,
): Promise<KeyRotationResult> {
  const parts = splitCompact(text.trim());
  if ("problem" in parts) return refuse(KEY_ROTATION_PROBLEM_CODES.malformed, parts.problem);
  const { header } = parts;
  const members = Object.keys(header);
  // Keys come from the trust list only (docs/protocol.md §1.4): a header naming its own key, a
  // certificate or a critical extension is refused, as is any member beyond the three.
  if (members.some((m) => m !== "alg" && m !== "kid" && m !== "typ"))
    return refuse(KEY_ROTATION_PROBLEM_CODES.header, "the header carries a member other than alg, kid, typ");
  if (header.alg !== SIGNING_ALG)
    return refuse(KEY_ROTATION_PROBLEM_CODES.header, `alg must be ${SIGNING_ALG}`);
  if (header.typ !== KEY_ROTATION_TYP)
    return refuse(KEY_ROTATION_PROBLEM_CODES.header, `typ must be ${KEY_ROTATION_TYP}`);
  if (typeof header.kid !== "string" || !KID_PATTERN.test(header.kid))
    return refuse(KEY_ROTATION_PROBLEM_CODES.header, "kid must be an RFC 7638 thumbprint");
  const kid = header.kid;

  // The signer, from the list only: a signing key of some partner.
  let owner: TrustListPayload["partners"][number] | undefined;
  let signerKey: TrustListPayload["partners"][number]["keys"][number] | undefined;
  for (const partner of list.partners)
    for (const key of partner.keys)
      if (key.use === "sig" && (await thumbprint(publicJwkOf(key.jwk))) === kid) {
        owner = partner;
        signerKey = key;
      }
  if (!owner || !signerKey)
    return refuse(
      KEY_ROTATION_PROBLEM_CODES.signer,
      `key ${kid} is not a partner signing key in the list in force`,
    );

  try {
    const key = await importJWK(publicJwkOf(signerKey.jwk), SIGNING_ALG);
    await compactVerify(text.trim(), key, { algorithms: [SIGNING_ALG] });
  } catch {
    return refuse(KEY_ROTATION_PROBLEM_CODES.signature, `the signature does not verify under key ${kid}`);
  }

  // From here the payload is what the key's holder signed.
  const problem = await payloadProblem(parts.payload);
  if (problem) return refuse(KEY_ROTATION_PROBLEM_CODES.malformed, problem);
  const request = parts.payload as KeyRotationRequest;
  if (request.network !== list.network)
    return refuse(
      KEY_ROTATION_PROBLEM_CODES.network,
      `the request is for network ${request.network}, the list for ${list.network}`,
    );
  if (request.orgId !== owner.orgId)
    return refuse(
      KEY_ROTATION_PROBLEM_CODES.org,
      `the request names ${request.orgId}, but key ${kid} belongs to ${owner.orgId}`,
    );
  if (owner.status === "revoked")
    return refuse(KEY_ROTATION_PROBLEM_CODES.org, `partner ${owner.orgId} is revoked`);
  if (request.iat > nowSeconds + CLOCK_SKEW_SECONDS)
    return refuse(
      KEY_ROTATION_PROBLEM_CODES.future,
      "the request was signed in the future (check the clocks)",
    );
  if (nowSeconds - request.iat > MAX_ROTATION_REQUEST_AGE_SECONDS)
    return refuse(
      KEY_ROTATION_PROBLEM_CODES.stale,
      `the request is older than ${MAX_ROTATION_REQUEST_AGE_SECONDS / 86_400} days; ask for a fresh one`,
    );
  // Valid when it signed and still valid now: a key the list has already ended (a finished rotation,
  // a compromise answered with notAfter) cannot ask for new keys, whatever iat it claims.
  if (!keyValidAt(signerKey, request.iat) || !keyValidAt(signerKey, nowSeconds))
    return refuse(
      KEY_ROTATION_PROBLEM_CODES.signer,
      `key ${kid} of ${owner.orgId} is not valid at the request's iat and now`,
    );
  const listed = new Set<string>();
  for (const partner of list.partners)
    for (const key of partner.keys) listed.add(await thumbprint(publicJwkOf(key.jwk)));
  for (const admin of list.admins) listed.add(await thumbprint(publicJwkOf(admin.jwk)));
  for (const key of request.keys)
    if (listed.has(key.kid))
      return refuse(
        KEY_ROTATION_PROBLEM_CODES.keys,
        `the new ${key.use} key ${key.kid} is already in the list`,
      );
  return { ok: true, request, signerKid: kid };
}
