// Acceptance of a trust list (docs/protocol.md §6): k-of-n over distinct admin keys, each signature
// verified on its own, the rollback and freeze checks, the admin-change rule, and the genesis pin.
import { flattenedVerify, importJWK, type JWK } from "jose";
import { trustListDigest } from "./digest.ts";
import { isPlainObject } from "./encoding.ts";
import { checkProtectedHeader } from "./header.ts";
import { checkKeyIds } from "./key-ids.ts";
import { okpKeyProblem, publicJwkOf, SIGNING_ALG, thumbprint } from "./keys.ts";
import { TRUST_PROBLEM_CODES, type TrustProblem, trustProblem } from "./problems.ts";
import { MAX_SIGNATURES, parseTrustList } from "./schema.ts";
import { TrustList } from "./trust-list.ts";
import type { SignedTrustList, TrustListAdmin, TrustListPayload } from "./types.ts";

export type AcceptResult = { ok: true; list: TrustList } | TrustProblem;

export interface SignatureCount {
  /** Distinct admin keys whose signature verified. */
  count: number;
  /** Their thumbprints, in the order their first valid signature appears. */
  signers: string[];
  /** Why each other signature (or admin entry) did not count; key ids and indexes only. */
  problems: string[];
}

type Verified = { ok: true; kid: string } | { ok: false; reason: string };

/**
 * Verifies one signature of a General JSON JWS as a flattened JWS of its own: the header must be exactly
 * alg/kid/typ, and `kid` must name one of `keys` (thumbprint → public JWK).
 */
export async function verifySignature(
  payload: string,
  sig: unknown,
  keys: ReadonlyMap<string, JWK>,
): Promise<Verified> {
  if (!isPlainObject(sig) || typeof sig.signature !== "string")
    return { ok: false, reason: "not a { protected, signature } object" };
  if (sig.header !== undefined) return { ok: false, reason: "unprotected header is refused" };
  const header = checkProtectedHeader(sig.protected);
  if (!header.ok) return header;
  const jwk = keys.get(header.kid);
  if (!jwk) return { ok: false, reason: `kid ${header.kid} names no admin key` };
  try {
    const key = await importJWK(jwk, SIGNING_ALG);
    await flattenedVerify({ payload, protected: sig.protected as string, signature: sig.signature }, key, {
      algorithms: [SIGNING_ALG],
    });
  } catch {
    return { ok: false, reason: `signature by ${header.kid} does not verify` };
  }
  return { ok: true, kid: header.kid };
}

/** Thumbprint → public JWK of every well-formed admin key; one entry per key, however many ids it has. */
async function adminKeyMap(admins: readonly TrustListAdmin[], problems: string[]): Promise<Map<string, JWK>> {
  const keys = new Map<string, JWK>();
  for (const [i, admin] of admins.entries()) {
    const problem = okpKeyProblem(admin?.jwk, "sig", "public");
    if (problem) {
      problems.push(`admin ${i}: ${problem}`);
      continue;
    }
    const jwk = publicJwkOf(admin.jwk);
    keys.set(await thumbprint(jwk), jwk);
  }
  return keys;
}

/**
 * Counts the distinct admin keys that signed (docs/protocol.md §6). Each signature is verified on its
 * own, never as "one of the signatures verifies"; two signatures by one key, or one key listed under
 * several admin ids, count once. Never throws for bad input.
 */
export async function countValidSignatures(
  signed: SignedTrustList,
  admins: TrustListAdmin[],
): Promise<SignatureCount> {
  const problems: string[] = [];
  const keys = await adminKeyMap(Array.isArray(admins) ? admins : [], problems);
  const sigs: unknown[] = isPlainObject(signed) && Array.isArray(signed.signatures) ? signed.signatures : [];
  if (!isPlainObject(signed) || typeof signed.payload !== "string") {
    problems.push("payload is not a string");
    return { count: 0, signers: [], problems };
  }
  if (sigs.length > MAX_SIGNATURES) {
    problems.push(`more than ${MAX_SIGNATURES} signatures`);
    return { count: 0, signers: [], problems };
  }
  const results = await Promise.all(sigs.map((sig) => verifySignature(signed.payload, sig, keys)));
  const signers = new Set<string>();
  for (const [i, result] of results.entries()) {
    if (!result.ok) problems.push(`signature ${i}: ${result.reason}`);
    else if (signers.has(result.kid)) problems.push(`signature ${i}: key ${result.kid} already counted`);
    else signers.add(result.kid);
  }
  return { count: signers.size, signers: [...signers], problems };
}

async function adminThumbprints(payload: TrustListPayload): Promise<Set<string>> {
  return new Set(await Promise.all(payload.admins.map((a) => thumbprint(publicJwkOf(a.jwk)))));
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function checkNow(nowSeconds: number): void {
  // A caller bug, not bad input: without a clock no expiry can be judged.
  if (!Number.isFinite(nowSeconds)) throw new TypeError("nowSeconds must be a finite number");
}

/**
 * Decides whether `candidate` may replace the list in force (docs/protocol.md §6): same network, greater
 * version, not expired, signed by at least threshold(current) distinct admin keys of the current list
 * and, when the admins (as a set of key thumbprints) or the threshold change, also by at least
 * threshold(candidate) distinct admin keys of the candidate. Never throws for a bad candidate.
 */
export async function acceptTrustList(
  current: TrustListPayload | TrustList,
  candidate: SignedTrustList | string,
  nowSeconds: number,
): Promise<AcceptResult> {
  checkNow(nowSeconds);
  const cur = current instanceof TrustList ? current.payload : current;
  const parsed = parseTrustList(candidate);
  if (!parsed.ok) return parsed;
  const next = parsed.payload;
  const badKeyId = await checkKeyIds(next);
  if (badKeyId) return badKeyId;
  if (next.network !== cur.network)
    return trustProblem(TRUST_PROBLEM_CODES.network, "the list belongs to another network");
  if (next.version <= cur.version)
    return trustProblem(
      TRUST_PROBLEM_CODES.version,
      `version ${next.version} is not greater than version ${cur.version} in force`,
    );
  if (next.expiresAt <= nowSeconds) return trustProblem(TRUST_PROBLEM_CODES.expired, "the list has expired");

  const byCurrent = await countValidSignatures(parsed.signed, cur.admins);
  if (byCurrent.count < cur.threshold)
    return trustProblem(
      TRUST_PROBLEM_CODES.threshold,
      `${byCurrent.count} of ${cur.threshold} signatures needed from the admins of version ${cur.version}` +
        problemSuffix(byCurrent),
    );

  const adminsChanged = !sameSet(await adminThumbprints(cur), await adminThumbprints(next));
  if (adminsChanged || next.threshold !== cur.threshold) {
    const byNext = await countValidSignatures(parsed.signed, next.admins);
    if (byNext.count < next.threshold)
      return trustProblem(
        TRUST_PROBLEM_CODES.newAdminsThreshold,
        `${adminsChanged ? "admins" : "threshold"} change: ${byNext.count} of ${next.threshold} signatures ` +
          `needed from the admins of version ${next.version}${problemSuffix(byNext)}`,
      );
  }
  return { ok: true, list: await TrustList.create(next, parsed.signed) };
}

function problemSuffix(count: SignatureCount): string {
  return count.problems.length ? ` (${count.problems.slice(0, 4).join("; ")})` : "";
}

export type GenesisPin = { sha256: string } | { adminJwks: JWK[]; threshold: number };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Accepts the first list a node ever trusts (docs/protocol.md §6), pinned at install either by the
 * trustListDigest of the list as distributed, or by admin keys and a threshold. Either way the list
 * must also be signed by threshold(list) of its own admins (the rule every later version follows, so
 * a pinned list cannot be one its own admins never agreed to), and must not have expired.
 */
export async function verifyGenesis(
  candidate: SignedTrustList | string,
  pin: GenesisPin,
  nowSeconds: number,
): Promise<AcceptResult> {
  checkNow(nowSeconds);
  const parsed = parseTrustList(candidate);
  if (!parsed.ok) return parsed;
  const payload = parsed.payload;
  const badKeyId = await checkKeyIds(payload);
  if (badKeyId) return badKeyId;
  if (payload.expiresAt <= nowSeconds)
    return trustProblem(TRUST_PROBLEM_CODES.expired, "the genesis list has expired");

  if ("sha256" in pin) {
    const expected = typeof pin.sha256 === "string" ? pin.sha256.toLowerCase() : "";
    if (!SHA256_HEX.test(expected))
      return trustProblem(TRUST_PROBLEM_CODES.pin, "the pinned digest is not 64 hex digits");
    if (trustListDigest(parsed.signed) !== expected)
      return trustProblem(TRUST_PROBLEM_CODES.genesisDigest, "the list is not the pinned genesis list");
  } else {
    const pinned = Array.isArray(pin.adminJwks) ? pin.adminJwks : [];
    for (const [i, jwk] of pinned.entries()) {
      const problem = okpKeyProblem(jwk, "sig", "public");
      if (problem) return trustProblem(TRUST_PROBLEM_CODES.pin, `pinned admin key ${i}: ${problem}`);
    }
    const admins = pinned.map((jwk, i) => ({ id: `pinned-${i}`, jwk }));
    const distinct = new Set(await Promise.all(pinned.map((jwk) => thumbprint(publicJwkOf(jwk)))));
    if (!Number.isInteger(pin.threshold) || pin.threshold < 1 || pin.threshold > distinct.size)
      return trustProblem(
        TRUST_PROBLEM_CODES.pin,
        "the pinned threshold must be an integer from 1 to the number of distinct pinned keys",
      );
    const byPin = await countValidSignatures(parsed.signed, admins);
    if (byPin.count < pin.threshold)
      return trustProblem(
        TRUST_PROBLEM_CODES.threshold,
        `${byPin.count} of ${pin.threshold} signatures needed from the pinned admin keys${problemSuffix(byPin)}`,
      );
  }

  const own = await countValidSignatures(parsed.signed, payload.admins);
  if (own.count < payload.threshold)
    return trustProblem(
      TRUST_PROBLEM_CODES.threshold,
      `${own.count} of ${payload.threshold} signatures needed from the list's own admins${problemSuffix(own)}`,
    );
  return { ok: true, list: await TrustList.create(payload, parsed.signed) };
}

/**
 * Re-opens a list this node accepted earlier (through acceptTrustList or verifyGenesis) and stored
 * itself, for example at restart. It checks the schema, the key ids and that threshold(list) of the
 * list's own admins signed; it cannot re-check the chain back to genesis, so it must never be used on
 * a list received from the network. An expired list is returned (the node needs it to judge the next
 * one) and TrustList.isExpired says so.
 */
export async function restoreTrustList(stored: SignedTrustList | string): Promise<AcceptResult> {
  const parsed = parseTrustList(stored);
  if (!parsed.ok) return parsed;
  const badKeyId = await checkKeyIds(parsed.payload);
  if (badKeyId) return badKeyId;
  const own = await countValidSignatures(parsed.signed, parsed.payload.admins);
  if (own.count < parsed.payload.threshold)
    return trustProblem(
      TRUST_PROBLEM_CODES.threshold,
      `${own.count} of ${parsed.payload.threshold} signatures needed from the list's own admins`,
    );
  return { ok: true, list: await TrustList.create(parsed.payload, parsed.signed) };
}
