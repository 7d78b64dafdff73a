// k-of-n signing of a trust list (docs/protocol.md §6): one JWS General JSON object, one signature per
// admin, every signature over the same payload bytes.
import { FlattenedSign, GeneralSign, importJWK, type JWK } from "jose";
import { decodeBase64url } from "./encoding.ts";
import { checkProtectedHeader } from "./header.ts";
import { checkKeyIds } from "./key-ids.ts";
import { assertSigningJwk, publicJwkOf, SIGNING_ALG, thumbprint } from "./keys.ts";
import { TRUST_PROBLEM_CODES, TrustListError } from "./problems.ts";
import { parseTrustList, requireValidPayload, TRUST_JWS_TYP } from "./schema.ts";
import type { SignedTrustList, TrustListPayload } from "./types.ts";
import { verifySignature } from "./verify.ts";

interface Signer {
  kid: string;
  key: CryptoKey;
  publicJwk: JWK;
}

async function signerOf(privateJwk: JWK): Promise<Signer> {
  assertSigningJwk(privateJwk, "private");
  const publicJwk = publicJwkOf(privateJwk);
  const [kid, key] = await Promise.all([
    thumbprint(publicJwk),
    importJWK({ ...publicJwk, d: privateJwk.d }, SIGNING_ALG),
  ]);
  return { kid, key: key as CryptoKey, publicJwk };
}

function headerOf(kid: string) {
  return { alg: SIGNING_ALG, kid, typ: TRUST_JWS_TYP };
}

// Sign, then verify what was signed with the public half: a private JWK whose `d` does not match its `x`
// would otherwise produce a list that silently lacks a signature.
async function checkOwnSignature(
  payload: string,
  sig: SignedTrustList["signatures"][number],
  signer: Signer,
) {
  const keys = new Map([[signer.kid, signer.publicJwk]]);
  const result = await verifySignature(payload, sig, keys);
  if (!result.ok)
    throw new TrustListError(TRUST_PROBLEM_CODES.keys, `signature by ${signer.kid}: ${result.reason}`);
}

/**
 * Signs a payload with each admin's private Ed25519 JWK. The payload is validated against the schema
 * of docs/protocol.md §6 (a malformed list is never signed) and serialised once as UTF-8 JSON.
 * Throws TrustListError or TrustKeyError.
 */
export async function signTrustList(
  payload: TrustListPayload,
  adminPrivateJwks: JWK[],
): Promise<SignedTrustList> {
  const valid = requireValidPayload(payload);
  const badKeyId = await checkKeyIds(valid);
  if (badKeyId) throw new TrustListError(badKeyId.code, badKeyId.detail);
  if (adminPrivateJwks.length === 0)
    throw new TrustListError(TRUST_PROBLEM_CODES.threshold, "at least one admin key is needed to sign");
  const signers = await Promise.all(adminPrivateJwks.map(signerOf));
  const kids = new Set(signers.map((s) => s.kid));
  if (kids.size !== signers.length)
    throw new TrustListError(TRUST_PROBLEM_CODES.duplicateSigner, "the same admin key is given twice");

  const jws = new GeneralSign(new TextEncoder().encode(JSON.stringify(valid)));
  for (const signer of signers) jws.addSignature(signer.key).setProtectedHeader(headerOf(signer.kid));
  const general = await jws.sign();
  const signed: SignedTrustList = {
    payload: general.payload,
    signatures: general.signatures.map((s) => ({ protected: s.protected ?? "", signature: s.signature })),
  };
  await Promise.all(signed.signatures.map((sig, i) => checkOwnSignature(signed.payload, sig, signers[i]!)));
  return signed;
}

/**
 * Adds one admin's signature to a signed list, over the very payload bytes already signed (the payload
 * is not re-serialised, so earlier signatures stay valid). Refuses a key that already signed.
 * Throws TrustListError or TrustKeyError.
 */
export async function coSignTrustList(
  signed: SignedTrustList,
  adminPrivateJwk: JWK,
): Promise<SignedTrustList> {
  const parsed = parseTrustList(signed);
  if (!parsed.ok) throw new TrustListError(parsed.code, parsed.detail);
  const signer = await signerOf(adminPrivateJwk);
  for (const sig of parsed.signed.signatures) {
    const header = checkProtectedHeader(sig.protected);
    if (header.ok && header.kid === signer.kid)
      throw new TrustListError(
        TRUST_PROBLEM_CODES.duplicateSigner,
        `key ${signer.kid} already signed this list`,
      );
  }
  // parseTrustList checked that the payload is canonical base64url, so re-encoding these bytes gives
  // back the same string; compared anyway, because a mismatch would invalidate every other signature.
  const bytes = decodeBase64url(parsed.signed.payload)!;
  const flat = await new FlattenedSign(bytes).setProtectedHeader(headerOf(signer.kid)).sign(signer.key);
  if (flat.payload !== parsed.signed.payload || flat.protected === undefined)
    throw new TrustListError(TRUST_PROBLEM_CODES.malformed, "payload encoding changed while co-signing");
  const added = { protected: flat.protected, signature: flat.signature };
  await checkOwnSignature(parsed.signed.payload, added, signer);
  return { payload: parsed.signed.payload, signatures: [...parsed.signed.signatures, added] };
}
