// The network admin's key file (`refnet admin keygen`): the private Ed25519 JWK exists on disk only as
// a compact JWE encrypted under a passphrase (PBES2-HS512+A256KW with A256GCM, RFC 7518 §4.8), beside a
// `.pub.json` with the public half for the trust list. All cryptography is jose's.

import { assertSigningJwk, publicJwkOf, type TrustListAdmin, thumbprint } from "@refnet/trust";
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, type JWK } from "jose";
import { CliError } from "./errors.ts";

export const ADMIN_KEY_ALG = "PBES2-HS512+A256KW";
export const ADMIN_KEY_ENC = "A256GCM";
export const ADMIN_KEY_TYP = "refnet-admin-key+jwe";
/** OWASP's 2023 figure for PBKDF2-HMAC-SHA512 is 210 000; 600 000 leaves a margin. */
export const MIN_PBES2_ITERATIONS = 600_000;
// A file is opened with whatever count its header names; the cap stops a planted file from making
// the command spin for hours.
const MAX_PBES2_ITERATIONS = 10_000_000;

/** `<file>.pub.json`: what an admin hands to the others for the trust list. */
export interface AdminPublicFile {
  id: string;
  jwk: JWK;
  kid: string;
}

function passphraseKey(passphrase: string): Uint8Array {
  return new TextEncoder().encode(passphrase);
}

/**
 * Encrypts a private admin JWK under a passphrase. `iterations` below MIN_PBES2_ITERATIONS is only for
 * tests (the count is in the JWE header, so such a file still opens); the command never lowers it.
 */
export async function encryptAdminKey(
  privateJwk: JWK,
  passphrase: string,
  iterations: number = MIN_PBES2_ITERATIONS,
): Promise<string> {
  assertSigningJwk(privateJwk, "private");
  const publicJwk = publicJwkOf(privateJwk);
  const kid = await thumbprint(publicJwk);
  const plaintext = new TextEncoder().encode(JSON.stringify({ ...publicJwk, kid, d: privateJwk.d }));
  try {
    return await new CompactEncrypt(plaintext)
      .setProtectedHeader({
        alg: ADMIN_KEY_ALG,
        enc: ADMIN_KEY_ENC,
        typ: ADMIN_KEY_TYP,
        cty: "jwk+json",
        kid,
      })
      .setKeyManagementParameters({ p2c: iterations })
      .encrypt(passphraseKey(passphrase));
  } finally {
    plaintext.fill(0);
  }
}

export interface DecryptedAdminKey {
  privateJwk: JWK;
  publicJwk: JWK;
  kid: string;
  iterations: number;
}

/** The kid and iteration count a key file names, read without the passphrase (the header is public). */
export function adminKeyHeader(jwe: string): { kid: string; iterations: number } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwe.trim());
  } catch {
    throw new CliError("ERR_ADMIN_KEY", "not an admin key file (expected a compact JWE)");
  }
  if (header.alg !== ADMIN_KEY_ALG || header.enc !== ADMIN_KEY_ENC || header.typ !== ADMIN_KEY_TYP)
    throw new CliError(
      "ERR_ADMIN_KEY",
      `not an admin key file (expected ${ADMIN_KEY_ALG}, ${ADMIN_KEY_ENC})`,
    );
  if (typeof header.kid !== "string" || typeof header.p2c !== "number")
    throw new CliError("ERR_ADMIN_KEY", "admin key file header lacks kid or p2c");
  return { kid: header.kid, iterations: header.p2c };
}

export async function decryptAdminKey(jwe: string, passphrase: string): Promise<DecryptedAdminKey> {
  const text = jwe.trim();
  const header = adminKeyHeader(text);
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(text, passphraseKey(passphrase), {
      keyManagementAlgorithms: [ADMIN_KEY_ALG],
      contentEncryptionAlgorithms: [ADMIN_KEY_ENC],
      maxPBES2Count: MAX_PBES2_ITERATIONS,
    }));
  } catch {
    throw new CliError("ERR_PASSPHRASE", "cannot open the admin key: wrong passphrase or damaged file");
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
  } finally {
    plaintext.fill(0);
  }
  assertSigningJwk(jwk, "private");
  const publicJwk = publicJwkOf(jwk);
  const kid = await thumbprint(publicJwk);
  // The header is authenticated (it is the AEAD's associated data), so a mismatch is a bug, not an attack.
  if (kid !== header.kid) throw new CliError("ERR_ADMIN_KEY", "the key file's kid does not match its key");
  return { privateJwk: { ...publicJwk, d: jwk.d }, publicJwk, kid, iterations: header.iterations };
}

/** Reads `<file>.pub.json` content: the key must be a public Ed25519 JWK whose thumbprint is `kid`. */
export async function parseAdminPublicFile(value: unknown, source: string): Promise<TrustListAdmin> {
  const v = value as Partial<AdminPublicFile> | null;
  if (typeof v !== "object" || v === null || typeof v.id !== "string" || typeof v.jwk !== "object")
    throw new CliError("ERR_INPUT", `${source}: expected { id, jwk, kid } from refnet admin keygen`);
  assertSigningJwk(v.jwk, "public");
  const publicJwk = publicJwkOf(v.jwk);
  const kid = await thumbprint(publicJwk);
  if (v.kid !== undefined && v.kid !== kid)
    throw new CliError("ERR_INPUT", `${source}: kid is not the thumbprint of jwk; the file was altered`);
  return { id: v.id, jwk: publicJwk };
}
