// One entry of the audit trail and its hash (docs/audit.md). The hash is SHA-256 over a canonical
// encoding of every column but `hash` itself, `prev_hash` included, so each entry commits to the whole
// chain before it. The encoding is simple enough to reimplement anywhere: a JSON array of the columns
// in a fixed order (JSON.stringify of strings, integers and nulls is deterministic), UTF-8, hex digest.

import { createHash } from "node:crypto";
import type { AuditLogTable } from "../db/schema.ts";

/** What an entry records. Closed: a verifier or a report can rely on the list. */
export const AUDIT_KINDS = [
  /** A message carrying a person's data was sealed to a partner (docs/protocol.md §5.4.1). */
  "disclosure",
  /** A person's data was returned to a staff member through GraphQL. */
  "read",
  "consent.recorded",
  "consent.override",
  "consent.revoked",
  "erasure",
  "retention.purge",
  "export",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** Who acted: a staff member of this node, a partner organization (by a message), or the node itself. */
export type AuditActor =
  | { type: "staff"; id: string }
  | { type: "partner"; orgId: string }
  | { type: "system" };

export const SYSTEM_ACTOR: AuditActor = { type: "system" };

/** The actor of an action a staff member took (their account id, never their name). */
export const staffActor = (staff: { id: string }): AuditActor => ({ type: "staff", id: staff.id });

/** The actor of an action a partner's message caused. */
export const partnerActor = (orgId: string): AuditActor => ({ type: "partner", orgId });

/** A value of an entry's detail: identifiers, codes, field names, counts, flags. Never free text. */
export type AuditDetailValue = string | number | boolean | null | readonly string[];
export type AuditDetail = Readonly<Record<string, AuditDetailValue>>;

/** What a caller hands to `append`: seq, time and hashes are the trail's to assign. */
export interface AuditEntryInput {
  kind: AuditKind;
  actor: AuditActor;
  /** The person's pseudonym (docs/protocol.md §5.1 subjectRef), never a name. */
  subjectRef?: string | null;
  consentId?: string | null;
  referralId?: string | null;
  /** The partner organization the action concerns (recipient of a disclosure, sender of a revoke…). */
  partnerOrgId?: string | null;
  /** Field NAMES, scopes, counts, message ids; never a field's value (checked: assertSafeDetail). */
  detail?: AuditDetail;
}

export interface AuditEntry {
  seq: number;
  /** Milliseconds. */
  at: number;
  kind: AuditKind;
  actor: AuditActor;
  subjectRef: string | null;
  consentId: string | null;
  referralId: string | null;
  partnerOrgId: string | null;
  detail: AuditDetail;
  prevHash: string;
  hash: string;
}

/** The `prev_hash` of entry 1: a fixed value, so the chain cannot be made to start elsewhere. */
export const GENESIS_HASH = "0".repeat(64);

/** Version tag inside every hashed encoding: a later format gets another tag, never a silent change. */
const ENCODING_TAG = "refnet-audit/1";

/** The columns of an `audit_log` row that the hash covers, as stored: all but the hash itself. */
export type HashedColumns = Omit<AuditLogTable, "hash">;

/** The exact bytes that are hashed (exported for docs/audit.md's worked example and the tests). */
export function canonicalEncoding(c: HashedColumns): string {
  return JSON.stringify([
    ENCODING_TAG,
    c.seq,
    c.at,
    c.kind,
    c.actor_type,
    c.actor_id,
    c.subject_ref,
    c.consent_id,
    c.referral_id,
    c.partner_org_id,
    c.detail,
    c.prev_hash,
  ]);
}

/** Lowercase hex SHA-256 of the canonical encoding. */
export function entryHash(c: HashedColumns): string {
  return createHash("sha256").update(canonicalEncoding(c), "utf8").digest("hex");
}

/**
 * The detail as stored: JSON with keys sorted, arrays kept in their order, no whitespace. Canonical so
 * that one detail has one text; the hash covers that text as stored, so a verifier never re-encodes.
 */
export function canonicalDetail(detail: AuditDetail): string {
  const keys = Object.keys(detail).sort();
  const sorted: Record<string, AuditDetailValue> = {};
  for (const k of keys) sorted[k] = detail[k] as AuditDetailValue;
  return JSON.stringify(sorted);
}

export class AuditDetailError extends Error {
  override readonly name = "AuditDetailError";
}

const DETAIL_KEY = /^[a-z][A-Za-z0-9_]{0,39}$/;
/**
 * An identifier, code, field name or scope: no spaces, no '@', at most 128 characters. A name, an
 * address, a phone number or a note does not fit; a single word might, which is why callers put only
 * names of fields and codes here, and why this check is a net, not the rule.
 */
const DETAIL_TOKEN = /^[A-Za-z0-9_.:+/=-]{1,128}$/;
const MAX_DETAIL_KEYS = 24;
const MAX_DETAIL_ITEMS = 64;

/**
 * Throws unless `detail` is small and holds only identifier-like strings, numbers, booleans and
 * nulls: the audit trail never stores a person's data (docs/audit.md). A programming error, not bad
 * input: callers build the detail from field names and codes.
 */
export function assertSafeDetail(detail: AuditDetail): void {
  const keys = Object.keys(detail);
  if (keys.length > MAX_DETAIL_KEYS) throw new AuditDetailError(`at most ${MAX_DETAIL_KEYS} detail members`);
  const token = (key: string, v: string) => {
    if (!DETAIL_TOKEN.test(v)) {
      throw new AuditDetailError(`detail.${key} must hold identifiers or codes only`);
    }
  };
  for (const key of keys) {
    if (!DETAIL_KEY.test(key)) throw new AuditDetailError("detail member names are short identifiers");
    const v = detail[key];
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new AuditDetailError(`detail.${key} must be a whole number`);
      continue;
    }
    if (typeof v === "string") {
      token(key, v);
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length > MAX_DETAIL_ITEMS) throw new AuditDetailError(`detail.${key} has too many items`);
      for (const item of v) {
        if (typeof item !== "string") throw new AuditDetailError(`detail.${key} must be a list of strings`);
        token(key, item);
      }
      continue;
    }
    throw new AuditDetailError(`detail.${key} has a type the audit trail does not store`);
  }
}

/** A pseudonym, an id or an org id: what the reference columns hold (docs/protocol.md §1.1, §5.1). */
const REFERENCE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Throws unless the entry's reference columns hold identifiers (the same net as for the detail) and
 * its detail is safe (assertSafeDetail).
 */
export function assertSafeEntry(e: AuditEntryInput): void {
  const refs: [string, string | null | undefined][] = [
    ["subjectRef", e.subjectRef],
    ["consentId", e.consentId],
    ["referralId", e.referralId],
    ["partnerOrgId", e.partnerOrgId],
    ["actor", e.actor.type === "staff" ? e.actor.id : e.actor.type === "partner" ? e.actor.orgId : null],
  ];
  for (const [name, v] of refs) {
    if (v != null && !REFERENCE.test(v)) throw new AuditDetailError(`${name} must be an identifier`);
  }
  if (!(AUDIT_KINDS as readonly string[]).includes(e.kind))
    throw new AuditDetailError("unknown audit entry kind");
  assertSafeDetail(e.detail ?? {});
}

/** The stored (actor_type, actor_id) of an actor. */
export function actorColumns(actor: AuditActor): { actor_type: string; actor_id: string | null } {
  switch (actor.type) {
    case "staff":
      return { actor_type: "staff", actor_id: actor.id };
    case "partner":
      return { actor_type: "partner", actor_id: actor.orgId };
    case "system":
      return { actor_type: "system", actor_id: null };
  }
}

/** The actor of stored columns; a value outside the three types comes from an edited row. */
export function actorOf(type: string, id: string | null): AuditActor {
  if (type === "staff" && id !== null) return { type: "staff", id };
  if (type === "partner" && id !== null) return { type: "partner", orgId: id };
  return { type: "system" };
}
