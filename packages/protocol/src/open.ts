// Opening (docs/protocol.md §2.8): the receiver's checks 1 to 8, in order, refusing at the first
// failure. Step 9 (store, then acknowledge) is the node's. Until the signature verifies (step 5) the
// input is an anonymous attacker's; nothing it says is trusted, and nothing about it is reported.
import type { KeyObject } from "node:crypto";
import { checkConsent } from "@refnet/consent";
import { compactDecrypt, compactVerify, type JWK } from "jose";
import {
  bytesToLatin1,
  decodeJsonObject,
  forbiddenMembers,
  isBase64url,
  type JsonObject,
} from "./compact.ts";
import { importPublicJwk, isOkpKey, isPublicOkpJwk } from "./keys.ts";
import { PROBLEM_CODES, type ProblemCode } from "./problems.ts";
import { validateBody, validateClaims } from "./schemas.ts";
import {
  CLOCK_SKEW_SECONDS,
  inboxSubject,
  JTI_PATTERN,
  MAX_ENVELOPE_BYTES,
  MAX_LIFETIME_SECONDS,
  type MessageClaims,
  MSG_JWE_ALG,
  MSG_JWE_ENC,
  MSG_JWE_TYP,
  MSG_JWS_ALG,
  MSG_JWS_TYP,
  SUBJECT_REF_PATTERN,
} from "./types.ts";

/** What the trust list in force says about a signing key (docs/protocol.md §1.5, §6.2). */
export interface SignerKeyInfo {
  /** The partner that owns the key. */
  orgId: string;
  /** The owner's partner status. */
  status: "active" | "suspended" | "revoked";
  /** Ed25519 public key. A JWK is imported once and cached by its public value. */
  key: CryptoKey | KeyObject | JWK;
  /** Seconds. The key is valid at t when notBefore ≤ t and (no notAfter or t < notAfter). */
  notBefore: number;
  notAfter?: number;
}

/** Everything openEnvelope needs from the receiving node. A callback that throws makes openEnvelope throw. */
export interface OpenContext {
  /** The receiver's org id. */
  self: string;
  network: string;
  nowSeconds(): number;
  /** The receiver's private encryption key named `kid`, if it is in force for decryption (§1.5). */
  decryptionKey(kid: string): Promise<CryptoKey | KeyObject | undefined>;
  /** The signing key `kid` of some partner in the trust list in force (use `sig`), if any. */
  signerKey(kid: string): Promise<SignerKeyInfo | undefined>;
  /** Version of the trust list in force. */
  trustVersion(): number;
  /**
   * Fetches the newest trust list and applies it if acceptable (§6.4). Called at most once per message,
   * for an unknown signer (step 4) or a newer `tlv` (step 6). Unauthenticated input can trigger it, so
   * the node may rate-limit it; it should throw only when the message is to be retried later (a
   * throw propagates and the node must not acknowledge).
   */
  refreshTrust?(): Promise<void>;
  /** True when (`iss`, `jti`) was already accepted (§2.8 step 7). */
  isReplay(iss: string, jti: string): Promise<boolean>;
  /** True when the receiver recorded a revocation of consent `consentId` by `iss` (§5.6). */
  consentRevoked?(consentId: string, iss: string): Promise<boolean>;
}

/**
 * What a refusal may say about the message: present exactly when the signature verified (refusal at
 * step 6, 7 or 8) and the claims needed to name the message in a problem report are well-formed (§2.9).
 * When `verified` is absent the node answers nothing (no oracle for forgers).
 */
export interface VerifiedRefusal {
  /**
   * The proven sender: the org that owns the signing key. It equals the `iss` claim except after
   * e.p.claims.issuer, where the report goes to the key's owner, never to the claimed issuer (§2.9).
   */
  iss: string;
  jti: string;
  type: string;
  thid: string;
  exp: number;
  /**
   * The consent the refused message was sent under, when its claim is well-formed enough to name it:
   * the receiver keeps it with the quarantined envelope, so that revoking or erasing that consent or
   * person reaches the envelope too (§5.6).
   */
  consent?: { id: string; subjectRef: string; expiresAt: number };
}

export type OpenResult =
  | { ok: true; claims: MessageClaims; signerKid: string; decryptKid: string }
  | { ok: false; code: ProblemCode; detail: string; step: number; verified?: VerifiedRefusal };

type Refusal = Extract<OpenResult, { ok: false }>;

const refuse = (step: number, code: ProblemCode, detail: string, verified?: VerifiedRefusal): Refusal =>
  verified ? { ok: false, code, detail, step, verified } : { ok: false, code, detail, step };

const DECRYPT_OPTIONS = {
  keyManagementAlgorithms: [MSG_JWE_ALG],
  contentEncryptionAlgorithms: [MSG_JWE_ENC],
};
const VERIFY_OPTIONS = { algorithms: [MSG_JWS_ALG] };
const MAX_KID_LENGTH = 256;

const isKid = (v: unknown): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= MAX_KID_LENGTH;

/**
 * Runs docs/protocol.md §2.8 checks 1–8 on one envelope taken from `natsSubject`. Returns the verified
 * claims, or the first refusal with its code, step and a detail that never holds a payload value.
 * Throws only when a context callback throws (the node must then not acknowledge the message).
 */
export async function openEnvelope(
  envelope: string | Uint8Array,
  natsSubject: string,
  ctx: OpenContext,
): Promise<OpenResult> {
  // Step 1. Size, in bytes, before anything else is spent on the input.
  const size = typeof envelope === "string" ? Buffer.byteLength(envelope, "utf8") : envelope.byteLength;
  if (size > MAX_ENVELOPE_BYTES) {
    return refuse(1, PROBLEM_CODES.envelopeTooLarge, `the envelope exceeds ${MAX_ENVELOPE_BYTES} bytes`);
  }

  // Step 2. The outer header, parsed by hand: five base64url segments, a JSON object header.
  const jwe = typeof envelope === "string" ? envelope : bytesToLatin1(envelope);
  const segments = jwe.split(".");
  if (segments.length !== 5 || !segments.every((s) => s.length > 0 && isBase64url(s))) {
    return refuse(2, PROBLEM_CODES.envelopeMalformed, "not a JWE compact serialization");
  }
  const outer = decodeJsonObject(segments[0]!);
  if (!outer) return refuse(2, PROBLEM_CODES.envelopeMalformed, "the protected header is not a JSON object");
  const outerProblem = checkOuterHeader(outer);
  if (outerProblem) return refuse(2, PROBLEM_CODES.envelopeHeader, outerProblem);
  const decryptKid = outer.kid as string;
  const decryptionKey = await ctx.decryptionKey(decryptKid);
  if (!decryptionKey) {
    return refuse(2, PROBLEM_CODES.envelopeUnknownKey, "kid names no encryption key of this node in force");
  }

  // Step 3. Decrypt, with the algorithms pinned (the library also checks that epk is on the curve).
  let plaintext: Uint8Array;
  try {
    plaintext = (await compactDecrypt(jwe, decryptionKey, DECRYPT_OPTIONS)).plaintext;
  } catch {
    return refuse(3, PROBLEM_CODES.envelopeDecrypt, "decryption failed");
  }

  // Step 4. The inner JWS, parsed by hand; then the signer, from the trust list only (§1.4).
  const jws = bytesToLatin1(plaintext);
  const parts = jws.split(".");
  // The signature segment may be empty here: an unsecured JWS is well-formed, and is refused for its alg.
  if (parts.length !== 3 || !parts.every((p, i) => (i === 2 || p.length > 0) && isBase64url(p))) {
    return refuse(4, PROBLEM_CODES.signatureMalformed, "the plaintext is not a JWS compact serialization");
  }
  const inner = decodeJsonObject(parts[0]!);
  const payload = decodeJsonObject(parts[1]!);
  if (!inner || !payload) {
    return refuse(4, PROBLEM_CODES.signatureMalformed, "the JWS header or payload is not a JSON object");
  }
  // Read before the signature is verified, only to choose which key validity to test; step 5 proves it.
  const iat = payload.iat;
  if (typeof iat !== "number" || !Number.isSafeInteger(iat) || iat < 0) {
    return refuse(4, PROBLEM_CODES.signatureMalformed, "the payload has no integer iat");
  }
  const innerProblem = checkInnerHeader(inner);
  if (innerProblem) return refuse(4, PROBLEM_CODES.signatureHeader, innerProblem);
  const signerKid = inner.kid as string;

  let refreshed = false;
  let signer = await ctx.signerKey(signerKid);
  if (!signer && ctx.refreshTrust) {
    // The receiver's list may be older than the sender's (a new partner or key). The tlv claim cannot
    // decide this: it is not verified yet. One refresh per message (§8, denial of service).
    await ctx.refreshTrust();
    refreshed = true;
    signer = await ctx.signerKey(signerKid);
  }
  const signerProblem = checkSigner(signer, iat);
  if (signerProblem) return signerProblem;

  // Step 5. The signature, with the algorithm pinned and a key of the one allowed type.
  const verifyProblem = await verifySignature(jws, signer!);
  if (verifyProblem) return verifyProblem;

  // Step 6. Claims. From here the claims are authentic and the key's owner is the proven sender.
  let proven = signer!;
  let verified = verifiedRefusal(payload, proven.orgId);
  const checked = validateClaims(payload);
  if (!checked.ok) return refuse(6, checked.code, checked.detail, verified);
  const c = checked.claims;

  // 6.2: a newer trust list at the sender: fetch ours first. If it changed, the signer is judged again
  // under it with step 4's codes, and like every step 4 refusal, that is not reported.
  if (c.tlv > ctx.trustVersion() && ctx.refreshTrust && !refreshed) {
    const before = ctx.trustVersion();
    await ctx.refreshTrust();
    if (ctx.trustVersion() !== before) {
      const again = await ctx.signerKey(signerKid);
      const againProblem = checkSigner(again, iat);
      if (againProblem) return againProblem;
      if (again!.key !== proven.key) {
        const reverify = await verifySignature(jws, again!);
        if (reverify) return reverify;
      }
      proven = again!;
      verified = verifiedRefusal(payload, proven.orgId);
    }
  }
  if (c.iss !== proven.orgId) {
    return refuse(6, PROBLEM_CODES.claimsIssuer, "iss is not the owner of the signing key", verified);
  }
  if (c.aud !== ctx.self) return refuse(6, PROBLEM_CODES.claimsAudience, "aud is not this node", verified);
  if (c.rkid !== decryptKid) {
    return refuse(6, PROBLEM_CODES.claimsRecipientKey, "rkid differs from the outer kid", verified);
  }
  if (natsSubject !== inboxSubject(ctx.network, ctx.self)) {
    return refuse(6, PROBLEM_CODES.claimsSubject, "the NATS subject is not this node's inbox", verified);
  }
  const now = ctx.nowSeconds();
  if (c.iat > now + CLOCK_SKEW_SECONDS) {
    return refuse(6, PROBLEM_CODES.claimsNotYetValid, "iat is more than 300 s in the future", verified);
  }
  if (c.exp <= now - CLOCK_SKEW_SECONDS) {
    return refuse(6, PROBLEM_CODES.expired, "exp is more than 300 s in the past", verified);
  }
  if (c.iat >= c.exp || c.exp - c.iat > MAX_LIFETIME_SECONDS) {
    return refuse(
      6,
      PROBLEM_CODES.claimsLifetime,
      "iat is not before exp, or the lifetime exceeds 14 days",
      verified,
    );
  }

  // Step 7. Replay of (iss, jti).
  if (await ctx.isReplay(c.iss, c.jti)) {
    return refuse(7, PROBLEM_CODES.replay, "(iss, jti) was already accepted", verified);
  }

  // Step 8. Type, body and consent (8.4, the referral's state, is the node's). The raw payload, not
  // the parsed copy, is what the body and consent checks see: a member the parser would drop (such as
  // "__proto__") must still count as a member the consent does not allow.
  const body = validateBody(c.type, payload.body, { thid: c.thid, iat: c.iat });
  if (!body.ok) return refuse(8, body.code, body.detail, verified);
  const revoked =
    c.consent !== undefined && ctx.consentRevoked ? await ctx.consentRevoked(c.consent.id, c.iss) : false;
  const consent = checkConsent(payload as unknown as MessageClaims, now, { revoked });
  if (!consent.ok) return refuse(8, consent.code, consent.detail, verified);

  const claims = { ...c, body: body.body } as MessageClaims;
  return { ok: true, claims, signerKid, decryptKid };
}

/** §2.8 step 2: `undefined` when the outer header is acceptable, else what is wrong (no values). */
function checkOuterHeader(h: JsonObject): string | undefined {
  const forbidden = forbiddenMembers(h);
  if (forbidden.length > 0) return `forbidden header member: ${forbidden.join(", ")}`;
  if (h.alg !== MSG_JWE_ALG) return "alg is not ECDH-ES+A256KW";
  if (h.enc !== MSG_JWE_ENC) return "enc is not A256GCM";
  if (h.typ !== MSG_JWE_TYP) return "typ is not refnet-msg+jwe";
  if (h.cty !== MSG_JWS_TYP) return "cty is not refnet-msg+jws";
  if (!isKid(h.kid)) return "kid is missing";
  if (!isPublicOkpJwk(h.epk, "X25519")) return "epk is not a public X25519 JWK";
  return undefined;
}

/** §2.8 step 4: `undefined` when the inner header is acceptable, else what is wrong (no values). */
function checkInnerHeader(h: JsonObject): string | undefined {
  const forbidden = forbiddenMembers(h);
  if (forbidden.length > 0) return `forbidden header member: ${forbidden.join(", ")}`;
  if (h.alg !== MSG_JWS_ALG) return "alg is not EdDSA";
  if (h.typ !== MSG_JWS_TYP) return "typ is not refnet-msg+jws";
  if (!isKid(h.kid)) return "kid is missing";
  return undefined;
}

/** §2.8 step 4, the signer: known, active, and its key valid at `iat` (§1.5). */
function checkSigner(signer: SignerKeyInfo | undefined, iat: number): Refusal | undefined {
  if (!signer)
    return refuse(4, PROBLEM_CODES.trustUnknownSigner, "kid names no signing key in the trust list");
  if (signer.status !== "active") {
    return refuse(4, PROBLEM_CODES.trustSignerInactive, "the signing key's owner is not active");
  }
  if (!(signer.notBefore <= iat && (signer.notAfter === undefined || iat < signer.notAfter))) {
    return refuse(4, PROBLEM_CODES.trustKeyNotValid, "the signing key is not valid at iat");
  }
  return undefined;
}

/** §2.8 step 5. A key of any other type than Ed25519 is refused, whatever the trust list says (§1.2). */
async function verifySignature(jws: string, signer: SignerKeyInfo): Promise<Refusal | undefined> {
  let key: CryptoKey | KeyObject;
  if (isOkpKey(signer.key, "Ed25519", "public")) {
    key = signer.key as CryptoKey | KeyObject;
  } else if (isPublicOkpJwk(signer.key, "Ed25519")) {
    key = (await importPublicJwk(signer.key, "Ed25519")).key;
  } else {
    return refuse(5, PROBLEM_CODES.signatureInvalid, "the signing key is not an Ed25519 public key");
  }
  try {
    await compactVerify(jws, key, VERIFY_OPTIONS);
  } catch {
    return refuse(5, PROBLEM_CODES.signatureInvalid, "the signature does not verify");
  }
  return undefined;
}

/**
 * What a refusal after step 5 may name (§2.9): only well-formed values, since a report must carry the
 * refused message's jti and thid. `undefined` when they are not, and then nothing is reported.
 */
function verifiedRefusal(payload: JsonObject, provenSender: string): VerifiedRefusal | undefined {
  const { jti, thid, type, exp } = payload;
  if (typeof jti !== "string" || !JTI_PATTERN.test(jti)) return undefined;
  if (typeof thid !== "string" || !JTI_PATTERN.test(thid)) return undefined;
  if (typeof type !== "string" || type.length === 0 || type.length > 64) return undefined;
  if (typeof exp !== "number" || !Number.isSafeInteger(exp)) return undefined;
  const raw = payload.consent;
  const consent =
    typeof raw === "object" && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>)
      : undefined;
  if (
    consent !== undefined &&
    typeof consent.id === "string" &&
    JTI_PATTERN.test(consent.id) &&
    typeof consent.subjectRef === "string" &&
    SUBJECT_REF_PATTERN.test(consent.subjectRef) &&
    typeof consent.expiresAt === "number" &&
    Number.isSafeInteger(consent.expiresAt)
  ) {
    return {
      iss: provenSender,
      jti,
      type,
      thid,
      exp,
      consent: { id: consent.id, subjectRef: consent.subjectRef, expiresAt: consent.expiresAt },
    };
  }
  return { iss: provenSender, jti, type, thid, exp };
}
