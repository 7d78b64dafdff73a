// Building the next version of a trust list (docs/protocol.md §6) from the list in force and a set of
// admin decisions: a partner joins, rotates its keys, is suspended, restored or revoked; an admin
// joins or leaves; the threshold or the expiry changes. The result is always validated against the
// schema of §6.2, so a proposal that no node would accept is never produced.
import type { JWK } from "jose";
import { checkKeyIds } from "./key-ids.ts";
import { assertEncryptionJwk, assertSigningJwk, publicJwkOf, thumbprint } from "./keys.ts";
import { TrustListError } from "./problems.ts";
import { requireValidPayload } from "./schema.ts";
import type {
  KeyUse,
  PartnerRole,
  PartnerStatus,
  TrustListAdmin,
  TrustListKey,
  TrustListPartner,
  TrustListPayload,
} from "./types.ts";

/** A public key a partner sent, with its use. */
export interface PartnerKeyInput {
  use: KeyUse;
  jwk: JWK;
}

export interface NewPartnerInput {
  orgId: string;
  name: string;
  country: string;
  roles: PartnerRole[];
  keys: PartnerKeyInput[];
}

export type TrustListChange =
  | { kind: "add-partner"; partner: NewPartnerInput }
  /**
   * New keys valid from `notBefore` (default: now); the partner's current keys of the same uses end
   * `overlapSeconds` after that.
   */
  | {
      kind: "rotate-keys";
      orgId: string;
      keys: PartnerKeyInput[];
      overlapSeconds: number;
      notBefore?: number;
    }
  | { kind: "suspend"; orgId: string }
  | { kind: "restore"; orgId: string }
  | { kind: "revoke"; orgId: string }
  | { kind: "add-admin"; admin: TrustListAdmin }
  | { kind: "remove-admin"; id: string }
  | { kind: "threshold"; threshold: number }
  /** The new list expires at this time (seconds). */
  | { kind: "expires"; expiresAt: number };

export type TrustChangeErrorCode =
  | "ERR_TRUST_CHANGE_UNKNOWN_PARTNER"
  | "ERR_TRUST_CHANGE_UNKNOWN_ADMIN"
  | "ERR_TRUST_CHANGE_CONFLICT"
  | "ERR_TRUST_CHANGE_INVALID";

/** A change that cannot be applied to the list in force; the message names org ids and key ids only. */
export class TrustChangeError extends Error {
  override readonly name = "TrustChangeError";
  constructor(
    readonly code: TrustChangeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

async function keyEntries(keys: readonly PartnerKeyInput[], notBefore: number): Promise<TrustListKey[]> {
  const entries: TrustListKey[] = [];
  for (const key of keys) {
    // Public halves only: a `d` here means the partner sent its private key, which is then compromised.
    if (key.use === "sig") assertSigningJwk(key.jwk, "public");
    else if (key.use === "enc") assertEncryptionJwk(key.jwk, "public");
    else throw new TrustChangeError("ERR_TRUST_CHANGE_INVALID", "a key's use must be sig or enc");
    entries.push({ use: key.use, jwk: publicJwkOf(key.jwk), notBefore });
  }
  return entries;
}

async function kidsOf(payload: TrustListPayload): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const p of payload.partners)
    for (const k of p.keys) owners.set(await thumbprint(publicJwkOf(k.jwk)), p.orgId);
  return owners;
}

function partnerOf(payload: TrustListPayload, orgId: string): TrustListPartner {
  const partner = payload.partners.find((p) => p.orgId === orgId);
  if (!partner)
    throw new TrustChangeError("ERR_TRUST_CHANGE_UNKNOWN_PARTNER", `no partner ${orgId} in the list`);
  return partner;
}

function requireBothUses(orgId: string, keys: readonly PartnerKeyInput[]): void {
  const uses = new Set(keys.map((k) => k.use));
  if (!uses.has("sig") || !uses.has("enc"))
    throw new TrustChangeError(
      "ERR_TRUST_CHANGE_INVALID",
      `partner ${orgId} needs a signing (sig) and an encryption (enc) key`,
    );
}

async function refuseKnownKeys(payload: TrustListPayload, entries: readonly TrustListKey[]): Promise<void> {
  const owners = await kidsOf(payload);
  for (const entry of entries) {
    const kid = await thumbprint(entry.jwk);
    const owner = owners.get(kid);
    if (owner)
      throw new TrustChangeError(
        "ERR_TRUST_CHANGE_CONFLICT",
        `key ${kid} is already listed for partner ${owner}: every key belongs to one partner, once`,
      );
  }
}

const STATUS_CHANGE: Record<"suspend" | "restore" | "revoke", { from: PartnerStatus[]; to: PartnerStatus }> =
  {
    suspend: { from: ["active"], to: "suspended" },
    restore: { from: ["suspended"], to: "active" },
    // docs/protocol.md §6.2: a revoked organization is out for good, so nothing leads back from it.
    revoke: { from: ["active", "suspended"], to: "revoked" },
  };

async function apply(payload: TrustListPayload, change: TrustListChange, now: number): Promise<void> {
  switch (change.kind) {
    case "add-partner": {
      const p = change.partner;
      if (payload.partners.some((x) => x.orgId === p.orgId))
        throw new TrustChangeError("ERR_TRUST_CHANGE_CONFLICT", `partner ${p.orgId} is already in the list`);
      requireBothUses(p.orgId, p.keys);
      const keys = await keyEntries(p.keys, now);
      await refuseKnownKeys(payload, keys);
      payload.partners.push({
        orgId: p.orgId,
        name: p.name,
        country: p.country,
        roles: [...p.roles],
        status: "active",
        keys,
      });
      return;
    }
    case "rotate-keys": {
      const partner = partnerOf(payload, change.orgId);
      if (partner.status === "revoked")
        throw new TrustChangeError("ERR_TRUST_CHANGE_CONFLICT", `partner ${partner.orgId} is revoked`);
      if (change.keys.length === 0)
        throw new TrustChangeError("ERR_TRUST_CHANGE_INVALID", "a rotation needs at least one new key");
      if (!Number.isInteger(change.overlapSeconds) || change.overlapSeconds < 0)
        throw new TrustChangeError("ERR_TRUST_CHANGE_INVALID", "the overlap must be whole seconds, ≥ 0");
      const start = change.notBefore ?? now;
      if (!Number.isInteger(start) || start < now)
        throw new TrustChangeError(
          "ERR_TRUST_CHANGE_INVALID",
          "the new keys cannot start before the list is issued",
        );
      const fresh = await keyEntries(change.keys, start);
      await refuseKnownKeys(payload, fresh);
      const ends = start + change.overlapSeconds;
      const uses = new Set(fresh.map((k) => k.use));
      // Old keys stay listed until `ends`, so messages sealed before the partner switched still verify
      // and decrypt (docs/protocol.md §1: a key is checked at the message's iat).
      for (const key of partner.keys) {
        if (!uses.has(key.use) || (key.notAfter !== undefined && key.notAfter <= ends)) continue;
        if (key.notBefore >= ends)
          throw new TrustChangeError(
            "ERR_TRUST_CHANGE_CONFLICT",
            `a ${key.use} key of ${partner.orgId} only becomes valid after the overlap ends`,
          );
        key.notAfter = ends;
      }
      partner.keys.push(...fresh);
      return;
    }
    case "suspend":
    case "restore":
    case "revoke": {
      const partner = partnerOf(payload, change.orgId);
      const rule = STATUS_CHANGE[change.kind];
      if (!rule.from.includes(partner.status))
        throw new TrustChangeError(
          "ERR_TRUST_CHANGE_CONFLICT",
          `partner ${partner.orgId} is ${partner.status}; cannot ${change.kind} it`,
        );
      partner.status = rule.to;
      return;
    }
    case "add-admin": {
      assertSigningJwk(change.admin.jwk, "public");
      if (payload.admins.some((a) => a.id === change.admin.id))
        throw new TrustChangeError("ERR_TRUST_CHANGE_CONFLICT", `admin ${change.admin.id} is already listed`);
      const kid = await thumbprint(publicJwkOf(change.admin.jwk));
      for (const a of payload.admins)
        if ((await thumbprint(publicJwkOf(a.jwk))) === kid)
          throw new TrustChangeError("ERR_TRUST_CHANGE_CONFLICT", `key ${kid} is already admin ${a.id}`);
      payload.admins.push({ id: change.admin.id, jwk: publicJwkOf(change.admin.jwk) });
      return;
    }
    case "remove-admin": {
      const i = payload.admins.findIndex((a) => a.id === change.id);
      if (i < 0) throw new TrustChangeError("ERR_TRUST_CHANGE_UNKNOWN_ADMIN", `no admin ${change.id}`);
      payload.admins.splice(i, 1);
      return;
    }
    case "threshold":
      payload.threshold = change.threshold;
      return;
    case "expires":
      payload.expiresAt = change.expiresAt;
      return;
  }
}

/**
 * The next version of `current` with `changes` applied in order: version + 1, issued at `nowSeconds`,
 * the same expiry unless a change sets one. Throws TrustChangeError for a change that does not fit the
 * list (unknown partner, forbidden status change, key already listed), TrustKeyError for a key of the
 * wrong type or with private members, TrustListError when the result breaks docs/protocol.md §6.2.
 */
export async function buildNextTrustList(
  current: TrustListPayload,
  changes: readonly TrustListChange[],
  nowSeconds: number,
): Promise<TrustListPayload> {
  if (!Number.isInteger(nowSeconds)) throw new TypeError("nowSeconds must be an integer");
  if (changes.length === 0) throw new TrustChangeError("ERR_TRUST_CHANGE_INVALID", "no change given");
  const next: TrustListPayload = {
    ...structuredClone(current),
    version: current.version + 1,
    issuedAt: nowSeconds,
  };
  for (const change of changes) await apply(next, change, nowSeconds);
  if (next.expiresAt <= nowSeconds)
    throw new TrustChangeError(
      "ERR_TRUST_CHANGE_INVALID",
      "the list in force has expired: give the new list a fresh expiry",
    );
  return validated(next);
}

/** Version 1 of a network's list: its admins and threshold, no partners yet. Throws like buildNextTrustList. */
export async function buildGenesisTrustList(input: {
  network: string;
  admins: TrustListAdmin[];
  threshold: number;
  issuedAt: number;
  expiresAt: number;
}): Promise<TrustListPayload> {
  const payload: TrustListPayload = {
    v: 1,
    network: input.network,
    version: 1,
    issuedAt: input.issuedAt,
    expiresAt: input.expiresAt,
    threshold: input.threshold,
    admins: [],
    partners: [],
  };
  for (const admin of input.admins) await apply(payload, { kind: "add-admin", admin }, input.issuedAt);
  return validated(payload);
}

async function validated(payload: TrustListPayload): Promise<TrustListPayload> {
  const valid = requireValidPayload(payload);
  const badKeyId = await checkKeyIds(valid);
  if (badKeyId) throw new TrustListError(badKeyId.code, badKeyId.detail);
  return valid;
}
