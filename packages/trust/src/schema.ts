// Parsing of an untrusted trust list (docs/protocol.md §6): the JWS General JSON envelope, then the
// payload against a strict schema. Parsing says nothing about signatures; see verify.ts for that.
import { ID_PATTERN, KID_PATTERN } from "@refnet/protocol/types";
import { z } from "zod";
import {
  decodeBase64url,
  isCanonicalKey32,
  isPlainObject,
  parseJsonBytes,
  parseJsonText,
} from "./encoding.ts";
import { TRUST_PROBLEM_CODES, TrustListError, type TrustProblem, trustProblem } from "./problems.ts";
import type { SignedTrustList, TrustListPayload } from "./types.ts";

/** `typ` of every trust list signature (docs/protocol.md §6). */
export const TRUST_JWS_TYP = "refnet-trust+jws";

// Bounds on untrusted input. A trust list travels as one NATS KV value (docs/protocol.md §3), whose
// default limit is 1 MiB; the counts are far above any real network and only stop a list built to
// exhaust a node.
export const MAX_TRUST_LIST_BYTES = 1024 * 1024;
export const MAX_ADMINS = 32;
export const MAX_SIGNATURES = 64;
export const MAX_PARTNERS = 2000;
export const MAX_KEYS_PER_PARTNER = 16;

const ADMIN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const COUNTRY_PATTERN = /^[A-Z]{2}$/;
// Control characters, and the bidirectional overrides that can make a name read as another one in an
// admin's terminal ("Trojan Source"); the name is what an admin checks before co-signing.
const UNSAFE_NAME_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

const seconds = z.int().min(0);
const signingAlgOf = { Ed25519: "EdDSA", X25519: "ECDH-ES+A256KW" } as const;
const useOf = { Ed25519: "sig", X25519: "enc" } as const;

const okpJwkSchema = z
  .strictObject({
    kty: z.literal("OKP"),
    crv: z.enum(["Ed25519", "X25519"]),
    x: z.string().refine(isCanonicalKey32, "must be the canonical base64url of 32 bytes"),
    kid: z.string().regex(KID_PATTERN).optional(),
    alg: z.string().optional(),
    use: z.enum(["sig", "enc"]).optional(),
  })
  .superRefine((jwk, ctx) => {
    if (jwk.alg !== undefined && jwk.alg !== signingAlgOf[jwk.crv])
      ctx.addIssue({
        code: "custom",
        path: ["alg"],
        message: `must be ${signingAlgOf[jwk.crv]} for ${jwk.crv}`,
      });
    if (jwk.use !== undefined && jwk.use !== useOf[jwk.crv])
      ctx.addIssue({ code: "custom", path: ["use"], message: `must be ${useOf[jwk.crv]} for ${jwk.crv}` });
  });

const adminSchema = z.strictObject({
  id: z.string().regex(ADMIN_ID_PATTERN),
  jwk: okpJwkSchema.refine((jwk) => jwk.crv === "Ed25519", "an admin key is Ed25519 (docs/protocol.md §1)"),
});

const partnerKeySchema = z
  .strictObject({
    use: z.enum(["sig", "enc"]),
    jwk: okpJwkSchema,
    notBefore: seconds,
    notAfter: seconds.optional(),
  })
  .superRefine((key, ctx) => {
    if (useOf[key.jwk.crv] !== key.use)
      ctx.addIssue({
        code: "custom",
        path: ["jwk", "crv"],
        message: `a ${key.use} key is ${key.use === "sig" ? "Ed25519" : "X25519"} (docs/protocol.md §1)`,
      });
    if (key.notAfter !== undefined && key.notAfter <= key.notBefore)
      ctx.addIssue({ code: "custom", path: ["notAfter"], message: "must be after notBefore" });
  });

const partnerSchema = z.strictObject({
  orgId: z.string().regex(ID_PATTERN),
  name: z
    .string()
    .min(1)
    .max(200)
    .refine((name) => !UNSAFE_NAME_CHARS.test(name), "must not contain control or bidi override characters")
    .refine((name) => name.trim() === name, "must not start or end with white space"),
  country: z.string().regex(COUNTRY_PATTERN, "must be ISO 3166-1 alpha-2 (two capital letters)"),
  roles: z
    .array(z.enum(["origin", "destination"]))
    .min(1)
    .max(2)
    .refine((roles) => new Set(roles).size === roles.length, "roles must not repeat"),
  status: z.enum(["active", "suspended", "revoked"]),
  keys: z.array(partnerKeySchema).max(MAX_KEYS_PER_PARTNER),
});

const keyIdentity = (jwk: { crv: string; x: string }) => `${jwk.crv}:${jwk.x}`;

export const trustListPayloadSchema = z
  .strictObject({
    v: z.literal(1),
    network: z.string().regex(ID_PATTERN),
    version: z.int().min(1),
    issuedAt: seconds,
    expiresAt: seconds,
    threshold: z.int().min(1),
    admins: z.array(adminSchema).min(1).max(MAX_ADMINS),
    partners: z.array(partnerSchema).max(MAX_PARTNERS),
  })
  .superRefine((list, ctx) => {
    if (list.expiresAt <= list.issuedAt)
      ctx.addIssue({ code: "custom", path: ["expiresAt"], message: "must be after issuedAt" });
    if (list.threshold > list.admins.length)
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "must not exceed the number of admins" });
    // The threshold counts distinct keys (docs/protocol.md §6); a list whose threshold exceeds its
    // distinct admin keys could never be succeeded, so it is refused rather than accepted as a dead end.
    const adminKeys = new Set(list.admins.map((a) => keyIdentity(a.jwk)));
    if (list.threshold > adminKeys.size)
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: "must not exceed the number of distinct admin keys",
      });
    const adminIds = new Set<string>();
    for (const [i, admin] of list.admins.entries()) {
      if (adminIds.has(admin.id))
        ctx.addIssue({ code: "custom", path: ["admins", i, "id"], message: "admin ids must be unique" });
      adminIds.add(admin.id);
    }
    const orgIds = new Set<string>();
    // A key belongs to one partner, once: signerKey(kid) must name exactly one owner.
    const partnerKeys = new Set<string>();
    for (const [i, partner] of list.partners.entries()) {
      if (orgIds.has(partner.orgId))
        ctx.addIssue({ code: "custom", path: ["partners", i, "orgId"], message: "org ids must be unique" });
      orgIds.add(partner.orgId);
      for (const [j, key] of partner.keys.entries()) {
        const id = keyIdentity(key.jwk);
        if (partnerKeys.has(id))
          ctx.addIssue({
            code: "custom",
            path: ["partners", i, "keys", j, "jwk"],
            message: "a key appears only once among the partners",
          });
        partnerKeys.add(id);
      }
    }
  });

const signatureSchema = z.strictObject({
  protected: z.string().min(1),
  signature: z.string().min(1),
});

// `header` (unprotected) is refused by the strict shape: no signature carries unsigned parameters.
const envelopeSchema = z.strictObject({
  payload: z.string().min(1),
  signatures: z.array(signatureSchema).min(1).max(MAX_SIGNATURES),
});

export type ParseResult = { ok: true; signed: SignedTrustList; payload: TrustListPayload } | TrustProblem;

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const text = issues
    .slice(0, 4)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
  // Messages may quote member names from the input: bounded, so a hostile list cannot flood a log.
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/** Path of the first member named `d` (private key material) anywhere in `value`, if any. */
function findPrivateMember(value: unknown, path: (string | number)[] = []): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findPrivateMember(item, [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  if (Object.hasOwn(value, "d")) return [...path, "d"].join(".");
  for (const [key, item] of Object.entries(value)) {
    const found = findPrivateMember(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** Validates a payload object that is already JSON (one decoded from a list, or one about to be signed). */
export function parsePayload(value: unknown): { ok: true; payload: TrustListPayload } | TrustProblem {
  const privateAt = findPrivateMember(value);
  if (privateAt) return trustProblem(TRUST_PROBLEM_CODES.privateKey, `private key material at ${privateAt}`);
  const result = trustListPayloadSchema.safeParse(value);
  if (!result.success)
    return trustProblem(TRUST_PROBLEM_CODES.malformed, describeIssues(result.error.issues));
  const payload: TrustListPayload = result.data;
  return { ok: true, payload };
}

/** Checks the JWS General JSON shape only (docs/protocol.md §6); returns a copy with only its members. */
export function parseEnvelope(input: unknown): { ok: true; signed: SignedTrustList } | TrustProblem {
  let value = input;
  if (typeof input === "string") {
    if (Buffer.byteLength(input, "utf8") > MAX_TRUST_LIST_BYTES)
      return trustProblem(TRUST_PROBLEM_CODES.malformed, `larger than ${MAX_TRUST_LIST_BYTES} bytes`);
    const parsed = parseJsonText(input);
    if (!parsed) return trustProblem(TRUST_PROBLEM_CODES.malformed, "not JSON");
    value = parsed.value;
  }
  const result = envelopeSchema.safeParse(value);
  if (!result.success)
    return trustProblem(
      TRUST_PROBLEM_CODES.malformed,
      `not a JWS in General JSON Serialization: ${describeIssues(result.error.issues)}`,
    );
  if (result.data.payload.length > MAX_TRUST_LIST_BYTES * 2)
    return trustProblem(TRUST_PROBLEM_CODES.malformed, `larger than ${MAX_TRUST_LIST_BYTES} bytes`);
  const signed: SignedTrustList = {
    payload: result.data.payload,
    signatures: result.data.signatures.map((s) => ({ protected: s.protected, signature: s.signature })),
  };
  return { ok: true, signed };
}

/**
 * Parses a trust list as distributed (text or object) and its payload against the strict schema of
 * docs/protocol.md §6. Never throws; says nothing about who signed it (verify.ts does).
 */
export function parseTrustList(input: string | SignedTrustList): ParseResult {
  const envelope = parseEnvelope(input);
  if (!envelope.ok) return envelope;
  const bytes = decodeBase64url(envelope.signed.payload);
  if (!bytes) return trustProblem(TRUST_PROBLEM_CODES.malformed, "payload is not canonical base64url");
  if (bytes.byteLength > MAX_TRUST_LIST_BYTES)
    return trustProblem(TRUST_PROBLEM_CODES.malformed, `payload larger than ${MAX_TRUST_LIST_BYTES} bytes`);
  const json = parseJsonBytes(bytes);
  if (!json) return trustProblem(TRUST_PROBLEM_CODES.malformed, "payload is not UTF-8 JSON");
  if (!isPlainObject(json.value))
    return trustProblem(TRUST_PROBLEM_CODES.malformed, "payload is not a JSON object");
  const payload = parsePayload(json.value);
  if (!payload.ok) return payload;
  return { ok: true, signed: envelope.signed, payload: payload.payload };
}

/** parsePayload for builders: throws TrustListError instead of returning the problem. */
export function requireValidPayload(value: unknown): TrustListPayload {
  const result = parsePayload(value);
  if (!result.ok) throw new TrustListError(result.code, result.detail);
  return result.payload;
}
