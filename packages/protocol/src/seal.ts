// Sealing (docs/protocol.md §2.6): build the claims, check them as the recipient will, sign (§2.2),
// then encrypt the ASCII JWS to the recipient (§2.4).
import type { KeyObject } from "node:crypto";
import { checkConsent } from "@refnet/consent";
import { CompactEncrypt, CompactSign, type JWK } from "jose";
import { KeyTypeError, ProtocolError } from "./errors.ts";
import { newMessageId } from "./ids.ts";
import { importPublicJwk, isOkpKey } from "./keys.ts";
import { PROBLEM_CODES } from "./problems.ts";
import { validateBody, validateClaims } from "./schemas.ts";
import {
  MAX_ENVELOPE_BYTES,
  MAX_LIFETIME_SECONDS,
  type MessageClaims,
  type MessageType,
  MSG_JWE_ALG,
  MSG_JWE_ENC,
  MSG_JWE_TYP,
  MSG_JWS_ALG,
  MSG_JWS_TYP,
  type OutgoingMessage,
  PROTOCOL_VERSION,
} from "./types.ts";

/** The sender's own Ed25519 private signing key and its `kid` (RFC 7638 thumbprint of the public key). */
export interface SigningKey {
  kid: string;
  key: CryptoKey | KeyObject;
}

/**
 * The recipient's X25519 public encryption key and its `kid`. A JWK is imported once and cached; a JWK's
 * thumbprint must equal `kid`.
 */
export interface RecipientKey {
  kid: string;
  key: CryptoKey | KeyObject | JWK;
}

export interface SealOptions {
  /** The sender's org id. */
  iss: string;
  signingKey: SigningKey;
  recipientKey: RecipientKey;
  /** Version of the trust list in force at the sender (`tlv`). */
  trustVersion: number;
  nowSeconds: number;
}

export interface Sealed<T extends MessageType = MessageType> {
  /** JWE compact string, ASCII: the NATS message data (§3.1). */
  envelope: string;
  /** Exactly the claims that were signed. */
  claims: MessageClaims<T>;
}

const encoder = new TextEncoder();

/**
 * Seals one message to one recipient. Throws ProtocolError (with the code the recipient would give)
 * when the message would be refused for its shape, its consent or its size: a sender never emits what
 * its partner must refuse (§5.4.2). Throws KeyTypeError when a key is not of the type §1.2 requires.
 */
export async function sealEnvelope<T extends MessageType>(
  msg: OutgoingMessage<T>,
  opts: SealOptions,
): Promise<Sealed<T>> {
  assertSigningKey(opts.signingKey);
  const recipientKey = await resolveRecipientKey(opts.recipientKey);
  const { json, claims } = prepareClaims(msg, opts);
  const jws = await signClaimsJson(json, opts.signingKey);
  const envelope = await encryptJws(jws, opts.recipientKey.kid, recipientKey);
  // §2.5: a sender never publishes what the recipient refuses at step 1. ASCII, so length = bytes.
  if (envelope.length > MAX_ENVELOPE_BYTES) {
    throw new ProtocolError(
      PROBLEM_CODES.envelopeTooLarge,
      `the envelope exceeds ${MAX_ENVELOPE_BYTES} bytes`,
    );
  }
  return { envelope, claims: claims as MessageClaims<T> };
}

/**
 * Builds the claims in the member order of §2.3 and checks them as the recipient will at steps 6.1,
 * 8.1, 8.2 and 8.3. Returns the exact JSON text to sign and the claims parsed back from it, so that what
 * was checked is byte for byte what is signed (a `Date`, `undefined` or `NaN` in the input cannot slip
 * past the checks by changing in serialization).
 */
export function prepareClaims(
  msg: OutgoingMessage,
  opts: Omit<SealOptions, "signingKey" | "recipientKey"> & {
    recipientKey: { kid: string };
  },
): { json: string; claims: MessageClaims } {
  const { nowSeconds } = opts;
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds < 0) {
    throw new ProtocolError(PROBLEM_CODES.claimsInvalid, "nowSeconds must be a non-negative integer");
  }
  const ttl = msg.ttlSeconds ?? MAX_LIFETIME_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) {
    throw new ProtocolError(PROBLEM_CODES.claimsLifetime, "ttlSeconds must be a positive integer");
  }
  const built: Record<string, unknown> = {
    v: PROTOCOL_VERSION,
    jti: msg.jti ?? newMessageId(),
    type: msg.type,
    iss: opts.iss,
    aud: msg.aud,
    rkid: opts.recipientKey.kid,
    iat: nowSeconds,
    exp: nowSeconds + Math.min(ttl, MAX_LIFETIME_SECONDS),
    thid: msg.thid,
    tlv: opts.trustVersion,
  };
  if (msg.consent !== undefined) built.consent = msg.consent;
  built.body = msg.body;

  const json = JSON.stringify(built);
  const wire: unknown = JSON.parse(json);
  const checked = validateClaims(wire);
  if (!checked.ok) throw new ProtocolError(checked.code, checked.detail);
  const claims = wire as MessageClaims;
  // §5.4.1: only an offer carries data about a person, so only an offer carries its consent.
  if (claims.consent !== undefined && claims.type !== "referral.offer") {
    throw new ProtocolError(PROBLEM_CODES.claimsInvalid, "consent is carried by referral.offer only");
  }
  const body = validateBody(claims.type, claims.body, { thid: claims.thid, iat: claims.iat });
  if (!body.ok) throw new ProtocolError(body.code, body.detail);
  const consent = checkConsent(claims, nowSeconds);
  if (!consent.ok) throw new ProtocolError(consent.code, consent.detail);
  return { json, claims };
}

/** Signs claims JSON text as the inner JWS of §2.2. Ed25519 is deterministic: same input, same string. */
export async function signClaimsJson(json: string, signingKey: SigningKey): Promise<string> {
  assertSigningKey(signingKey);
  return new CompactSign(encoder.encode(json))
    .setProtectedHeader({ alg: MSG_JWS_ALG, kid: signingKey.kid, typ: MSG_JWS_TYP })
    .sign(signingKey.key);
}

/** Encrypts an inner JWS (ASCII) to the recipient's key as the outer JWE of §2.4. */
export async function encryptJws(
  jws: string,
  recipientKid: string,
  key: CryptoKey | KeyObject,
): Promise<string> {
  return new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader({
      alg: MSG_JWE_ALG,
      enc: MSG_JWE_ENC,
      kid: recipientKid,
      cty: MSG_JWS_TYP,
      typ: MSG_JWE_TYP,
    })
    .encrypt(key);
}

function assertSigningKey(signingKey: SigningKey): void {
  if (typeof signingKey.kid !== "string" || signingKey.kid.length === 0) {
    throw new KeyTypeError("the signing key has no kid");
  }
  if (!isOkpKey(signingKey.key, "Ed25519", "private")) {
    throw new KeyTypeError("the signing key must be an Ed25519 private key");
  }
}

async function resolveRecipientKey(recipient: RecipientKey): Promise<CryptoKey | KeyObject> {
  if (isOkpKey(recipient.key, "X25519", "public")) return recipient.key as CryptoKey | KeyObject;
  const imported = await importPublicJwk(recipient.key as JWK, "X25519");
  // rkid binds the signature to this exact key (§8); a kid that names another key would make the
  // recipient look for the wrong private key.
  if (imported.kid !== recipient.kid)
    throw new KeyTypeError("the recipient key's thumbprint differs from its kid");
  return imported.key;
}
