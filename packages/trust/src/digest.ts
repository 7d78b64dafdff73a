// The genesis pin by digest (docs/protocol.md §6: "its SHA-256").
import { createHash } from "node:crypto";
import { TrustListError } from "./problems.ts";
import { parseEnvelope } from "./schema.ts";
import type { SignedTrustList } from "./types.ts";

/**
 * SHA-256, lowercase hex, of the canonical serialisation of a signed trust list:
 * `JSON.stringify({ payload, signatures: [{ protected, signature }, …] })` with the members in exactly
 * that order, the signatures in the order given, and no white space. Text as distributed is parsed
 * first, so indentation or member order in a file does not change the digest; adding, removing or
 * reordering a signature does. Throws TrustListError when the input is not a JWS General JSON object.
 */
export function trustListDigest(signedOrText: SignedTrustList | string): string {
  const envelope = parseEnvelope(signedOrText);
  if (!envelope.ok) throw new TrustListError(envelope.code, envelope.detail);
  return createHash("sha256").update(canonicalTrustListJson(envelope.signed), "utf8").digest("hex");
}

/** The canonical serialisation trustListDigest hashes; also a good way to store or publish a list. */
export function canonicalTrustListJson(signed: SignedTrustList): string {
  return JSON.stringify({
    payload: signed.payload,
    signatures: signed.signatures.map((s) => ({ protected: s.protected, signature: s.signature })),
  });
}
