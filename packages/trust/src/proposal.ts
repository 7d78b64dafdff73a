// A trust list on its way to the threshold (docs/protocol.md §6): the JWS General JSON object of §6.1
// with zero or more signatures. The admins pass one file around; each adds a signature over the same
// payload bytes; once enough have signed, the same file is the list to publish. Nothing in it is
// unsigned metadata (no "base" or "comment" member) that could tell a co-signer something the payload
// does not say: a co-signer compares the payload with their own copy of the list in force.
import { createHash } from "node:crypto";
import type { JWK } from "jose";
import {
  decodeBase64url,
  encodeBase64url,
  isPlainObject,
  parseJsonBytes,
  parseJsonText,
} from "./encoding.ts";
import { checkKeyIds } from "./key-ids.ts";
import { TRUST_PROBLEM_CODES, TrustListError, type TrustProblem, trustProblem } from "./problems.ts";
import { MAX_SIGNATURES, MAX_TRUST_LIST_BYTES, parsePayload, requireValidPayload } from "./schema.ts";
import { coSignTrustList, signTrustList } from "./sign.ts";
import type { SignedTrustList, TrustListPayload } from "./types.ts";

export type ProposalParseResult =
  | { ok: true; signed: SignedTrustList; payload: TrustListPayload }
  | TrustProblem;

/**
 * The unsigned proposal of `payload`: `{ payload: base64url(JSON.stringify(payload)), signatures: [] }`.
 * The payload is validated first and serialised exactly as signTrustList would serialise it, so the
 * first signature (signTrustListProposal) covers these very bytes. Throws TrustListError.
 */
export async function createTrustListProposal(payload: TrustListPayload): Promise<SignedTrustList> {
  const valid = requireValidPayload(payload);
  const badKeyId = await checkKeyIds(valid);
  if (badKeyId) throw new TrustListError(badKeyId.code, badKeyId.detail);
  return { payload: encodeBase64url(new TextEncoder().encode(JSON.stringify(valid))), signatures: [] };
}

/**
 * Parses a proposal or a signed list: like parseTrustList, but zero signatures are allowed. Each
 * signature is only checked for shape (strings `protected` and `signature`, nothing else); who signed
 * is for countValidSignatures to say. Never throws.
 */
export function parseTrustListProposal(input: string | SignedTrustList | unknown): ProposalParseResult {
  let value = input;
  if (typeof input === "string") {
    if (Buffer.byteLength(input, "utf8") > MAX_TRUST_LIST_BYTES * 2)
      return trustProblem(TRUST_PROBLEM_CODES.malformed, `larger than ${MAX_TRUST_LIST_BYTES * 2} bytes`);
    const parsed = parseJsonText(input);
    if (!parsed) return trustProblem(TRUST_PROBLEM_CODES.malformed, "not JSON");
    value = parsed.value;
  }
  if (!isPlainObject(value))
    return trustProblem(TRUST_PROBLEM_CODES.malformed, "not a JWS in General JSON Serialization");
  const extra = Object.keys(value).filter((k) => k !== "payload" && k !== "signatures");
  if (extra.length > 0)
    return trustProblem(TRUST_PROBLEM_CODES.malformed, "members other than payload and signatures");
  if (typeof value.payload !== "string" || !Array.isArray(value.signatures))
    return trustProblem(TRUST_PROBLEM_CODES.malformed, "payload must be a string, signatures an array");
  if (value.signatures.length > MAX_SIGNATURES)
    return trustProblem(TRUST_PROBLEM_CODES.malformed, `more than ${MAX_SIGNATURES} signatures`);
  const signatures: SignedTrustList["signatures"] = [];
  for (const [i, sig] of value.signatures.entries()) {
    if (
      !isPlainObject(sig) ||
      Object.keys(sig).length !== 2 ||
      typeof sig.protected !== "string" ||
      typeof sig.signature !== "string" ||
      sig.protected === "" ||
      sig.signature === ""
    )
      return trustProblem(TRUST_PROBLEM_CODES.malformed, `signature ${i} is not { protected, signature }`);
    signatures.push({ protected: sig.protected, signature: sig.signature });
  }
  const bytes = decodeBase64url(value.payload);
  if (!bytes) return trustProblem(TRUST_PROBLEM_CODES.malformed, "payload is not canonical base64url");
  if (bytes.byteLength > MAX_TRUST_LIST_BYTES)
    return trustProblem(TRUST_PROBLEM_CODES.malformed, `payload larger than ${MAX_TRUST_LIST_BYTES} bytes`);
  const json = parseJsonBytes(bytes);
  if (!json || !isPlainObject(json.value))
    return trustProblem(TRUST_PROBLEM_CODES.malformed, "payload is not a UTF-8 JSON object");
  const payload = parsePayload(json.value);
  if (!payload.ok) return payload;
  return { ok: true, signed: { payload: value.payload, signatures }, payload: payload.payload };
}

/**
 * Adds one admin's signature to a proposal, over the payload bytes it already carries. The first
 * signature is made by signTrustList and checked to cover the same bytes; later ones by
 * coSignTrustList, which refuses a key that already signed. Throws TrustListError or TrustKeyError.
 */
export async function signTrustListProposal(
  proposal: SignedTrustList,
  adminPrivateJwk: JWK,
): Promise<SignedTrustList> {
  const parsed = parseTrustListProposal(proposal);
  if (!parsed.ok) throw new TrustListError(parsed.code, parsed.detail);
  if (parsed.signed.signatures.length > 0) return coSignTrustList(parsed.signed, adminPrivateJwk);
  const signed = await signTrustList(parsed.payload, [adminPrivateJwk]);
  // A payload whose bytes are not JSON.stringify of its schema-ordered form (member order, spacing)
  // would be re-serialised differently: signing different bytes than the proposal shows is refused.
  if (signed.payload !== parsed.signed.payload)
    throw new TrustListError(
      TRUST_PROBLEM_CODES.malformed,
      "the proposal's payload is not in canonical form; rebuild it with createTrustListProposal",
    );
  return signed;
}

/**
 * SHA-256, lowercase hex, of the payload bytes (what every admin signs). Unlike trustListDigest it does
 * not change as signatures are added, so co-signers compare it out of band to know they sign the same
 * list. Throws TrustListError when the payload is not canonical base64url.
 */
export function trustPayloadDigest(signed: Pick<SignedTrustList, "payload">): string {
  const bytes = decodeBase64url(signed.payload);
  if (!bytes) throw new TrustListError(TRUST_PROBLEM_CODES.malformed, "payload is not canonical base64url");
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Merges the signatures of copies of one proposal that admins signed in parallel: the payloads must
 * be byte-identical; signatures are kept in order of first appearance, exact duplicates once. Whether
 * they verify is for countValidSignatures to say. Throws TrustListError.
 */
export function mergeTrustListProposals(copies: readonly SignedTrustList[]): SignedTrustList {
  if (copies.length === 0) throw new TrustListError(TRUST_PROBLEM_CODES.malformed, "nothing to merge");
  const parsed = copies.map((c, i) => {
    const p = parseTrustListProposal(c);
    if (!p.ok) throw new TrustListError(p.code, `copy ${i + 1}: ${p.detail}`);
    return p.signed;
  });
  const payload = parsed[0]!.payload;
  if (parsed.some((p) => p.payload !== payload))
    throw new TrustListError(TRUST_PROBLEM_CODES.malformed, "the copies do not carry the same payload");
  const seen = new Set<string>();
  const signatures: SignedTrustList["signatures"] = [];
  for (const sig of parsed.flatMap((p) => p.signatures)) {
    const id = `${sig.protected}.${sig.signature}`;
    if (seen.has(id)) continue;
    seen.add(id);
    signatures.push(sig);
  }
  if (signatures.length > MAX_SIGNATURES)
    throw new TrustListError(TRUST_PROBLEM_CODES.malformed, `more than ${MAX_SIGNATURES} signatures`);
  return { payload, signatures };
}
