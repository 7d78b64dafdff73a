// Plain-language description of what a new trust list version changes, for the admins who co-sign it
// (`refnet trust diff`). Every key is named by its kid, so an admin can compare it with the fingerprint
// the partner gave out of band before signing.
import { createHash } from "node:crypto";
import type { JWK } from "jose";
import type { TrustListKey, TrustListPartner, TrustListPayload } from "./types.ts";

/**
 * RFC 7638 thumbprint of an OKP key, synchronously: SHA-256 of `{"crv":…,"kty":"OKP","x":…}` (the
 * required members in lexicographic order, RFC 8037 §2). Only for display here; keys.ts `thumbprint`
 * (jose) is the one every check uses, and a test holds the two equal.
 */
export function okpThumbprintSync(jwk: JWK): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash("sha256").update(canonical, "utf8").digest("base64url");
}

function when(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function validity(key: { notBefore: number; notAfter?: number | undefined }): string {
  return key.notAfter === undefined
    ? `valid from ${when(key.notBefore)}`
    : `valid from ${when(key.notBefore)} until ${when(key.notAfter)}`;
}

function describePartner(p: TrustListPartner): string {
  const status = p.status === "active" ? "" : `, ${p.status}`;
  return `(${p.country}, ${p.roles.join(" and ")}${status})`;
}

function keysById(keys: readonly TrustListKey[]): Map<string, TrustListKey> {
  return new Map(keys.map((k) => [okpThumbprintSync(k.jwk), k]));
}

function describeKeys(orgId: string, from: readonly TrustListKey[], to: readonly TrustListKey[]): string[] {
  const lines: string[] = [];
  const before = keysById(from);
  const after = keysById(to);
  for (const [kid, key] of after) {
    const old = before.get(kid);
    if (!old) lines.push(`partner ${orgId} ${key.use} key ${kid} added (${validity(key)})`);
    else if (old.notBefore !== key.notBefore || old.notAfter !== key.notAfter)
      lines.push(`partner ${orgId} ${key.use} key ${kid} now ${validity(key)} (was ${validity(old)})`);
  }
  for (const [kid, key] of before)
    if (!after.has(kid)) lines.push(`partner ${orgId} ${key.use} key ${kid} removed`);
  return lines;
}

function adminsByKey(payload: TrustListPayload): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const admin of payload.admins) {
    const kid = okpThumbprintSync(admin.jwk);
    map.set(kid, [...(map.get(kid) ?? []), admin.id]);
  }
  return map;
}

/** One line per change from `from` to `to`, in a stable order: list, admins, partners, expiry. */
export function describeTrustListChange(from: TrustListPayload, to: TrustListPayload): string[] {
  const lines: string[] = [];
  if (from.network !== to.network) lines.push(`network ${from.network} → ${to.network}`);
  if (from.version !== to.version) lines.push(`version ${from.version} → ${to.version}`);
  if (from.threshold !== to.threshold) lines.push(`threshold ${from.threshold} → ${to.threshold}`);

  const adminsBefore = adminsByKey(from);
  const adminsAfter = adminsByKey(to);
  for (const [kid, ids] of adminsAfter) {
    const old = adminsBefore.get(kid);
    if (!old) lines.push(`admin added ${ids.join(", ")} (key ${kid})`);
    else if (old.join(",") !== ids.join(","))
      lines.push(`admin key ${kid} renamed ${old.join(", ")} → ${ids.join(", ")}`);
  }
  for (const [kid, ids] of adminsBefore)
    if (!adminsAfter.has(kid)) lines.push(`admin removed ${ids.join(", ")} (key ${kid})`);

  const partnersBefore = new Map(from.partners.map((p) => [p.orgId, p]));
  const partnersAfter = new Map(to.partners.map((p) => [p.orgId, p]));
  for (const [orgId, p] of partnersAfter) {
    const old = partnersBefore.get(orgId);
    if (!old) {
      lines.push(`partner ${orgId} added ${describePartner(p)}`);
      lines.push(...describeKeys(orgId, [], p.keys));
      continue;
    }
    if (old.name !== p.name)
      lines.push(`partner ${orgId} name ${JSON.stringify(old.name)} → ${JSON.stringify(p.name)}`);
    if (old.country !== p.country) lines.push(`partner ${orgId} country ${old.country} → ${p.country}`);
    if ([...old.roles].sort().join() !== [...p.roles].sort().join())
      lines.push(`partner ${orgId} roles ${old.roles.join(" and ")} → ${p.roles.join(" and ")}`);
    if (old.status !== p.status) lines.push(`partner ${orgId} status ${old.status} → ${p.status}`);
    lines.push(...describeKeys(orgId, old.keys, p.keys));
  }
  for (const orgId of partnersBefore.keys())
    if (!partnersAfter.has(orgId)) lines.push(`partner ${orgId} removed`);

  if (to.expiresAt > from.expiresAt) lines.push(`expiry extended to ${when(to.expiresAt)}`);
  else if (to.expiresAt < from.expiresAt) lines.push(`expiry brought forward to ${when(to.expiresAt)}`);
  return lines;
}
