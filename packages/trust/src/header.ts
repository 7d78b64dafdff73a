// The protected header of a trust list signature (docs/protocol.md §6): exactly alg, kid and typ.
import { KID_PATTERN } from "@refnet/protocol/types";
import { decodeBase64url, isPlainObject, parseJsonBytes } from "./encoding.ts";
import { SIGNING_ALG } from "./keys.ts";
import { TRUST_JWS_TYP } from "./schema.ts";

const ALLOWED = new Set(["alg", "kid", "typ"]);
// Named separately so the reason says why: a key or certificate in a header would let the signer pick
// its own trust anchor; keys are only learnt from the trust list (docs/protocol.md §1).
const FORBIDDEN = new Set(["jwk", "jku", "x5c", "x5u", "crit"]);

/** The `kid` of a well-formed protected header, or the reason it is refused. */
export function checkProtectedHeader(
  encoded: unknown,
): { ok: true; kid: string } | { ok: false; reason: string } {
  if (typeof encoded !== "string") return { ok: false, reason: "protected header missing" };
  const bytes = decodeBase64url(encoded);
  const json = bytes && parseJsonBytes(bytes);
  if (!json || !isPlainObject(json.value))
    return { ok: false, reason: "protected header is not base64url JSON object" };
  const header = json.value;
  for (const name of Object.keys(header)) {
    if (FORBIDDEN.has(name)) return { ok: false, reason: `header member ${name} is refused` };
    if (!ALLOWED.has(name)) return { ok: false, reason: "header carries a member other than alg, kid, typ" };
  }
  if (header.alg !== SIGNING_ALG) return { ok: false, reason: `alg must be ${SIGNING_ALG}` };
  if (header.typ !== TRUST_JWS_TYP) return { ok: false, reason: `typ must be ${TRUST_JWS_TYP}` };
  if (typeof header.kid !== "string" || !KID_PATTERN.test(header.kid))
    return { ok: false, reason: "kid must be an RFC 7638 thumbprint" };
  return { ok: true, kid: header.kid };
}
