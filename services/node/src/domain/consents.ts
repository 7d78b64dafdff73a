// Consent records at the origin (docs/consent.md; docs/protocol.md §5): what a person agreed to, or a
// lawful override that a supervisor approved, and the revocations made under it. A referral is drafted
// and sent under one of these records; the consent object that travels (§5.1) is built from it at the
// moment of sending, so a revocation or an expiry made since the draft holds (§5.4.2).
//
// Locking: a consent row is always locked before the referral rows under it (revocation, sending,
// drafting), so that on PostgreSQL two of them cannot wait on each other.
import { randomBytes } from "node:crypto";
import {
  CONSENT_METHODS,
  type Consent,
  type ConsentErasedBody,
  ID_PATTERN,
  LANGUAGE_TAG_PATTERN,
  type MessageClaims,
  PURPOSES,
  type Purpose,
  SCOPES,
  type Scope,
  SUBJECT_REF_PATTERN,
} from "@refnet/protocol";
import { boundedText, uniqueArray } from "@refnet/protocol/primitives";
import type { Kysely, Selectable, Transaction } from "kysely";
import { z } from "zod";
import { type AuditEntryInput, staffActor } from "../audit/entry.ts";
import { requireRole, type Staff } from "../auth.ts";
import type { DialectName } from "../db/index.ts";
import type { ConsentTable, Database } from "../db/schema.ts";
import { AppError, InvalidInputError, InvalidStateError, NotFoundError } from "../errors.ts";
import type { Person, PersonVault } from "../person-vault.ts";
import { consentTime } from "./consent-time.ts";
import { eraseSubjectFields } from "./erasure.ts";
import { lockPerson } from "./personal-data.ts";
import { insertEvent, lockReferral, toReferralRecord } from "./store.ts";
import type { DomainContext, ReferralEventRecord, ReferralRecord } from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** Who gave the consent: never a name, only the relation (docs/consent.md). */
export const CONSENT_GIVERS = ["self", "parent_or_guardian", "representative"] as const;
export type ConsentGiver = (typeof CONSENT_GIVERS)[number];

/** The only lawful ground for sharing without consent in version 1 (docs/protocol.md §5.5). */
export const OVERRIDE_REASONS = ["risk_to_life"] as const;
export type OverrideReason = (typeof OVERRIDE_REASONS)[number];

export interface ConsentOverrideRecord {
  reason: OverrideReason;
  /** The grounds; null only after the person's data was erased (eraseSubject). */
  note: string | null;
  /** Username of the staff member who asked for the override. */
  requestedBy: string | null;
  /** Username of the supervisor who approved it; null while it awaits approval. */
  approvedBy: string | null;
  approvedAt: number | null;
}

/** A consent as this node recorded it. Times in milliseconds (whole seconds, as they travel). */
export interface ConsentRecord {
  id: string;
  subjectRef: string;
  givenBy: ConsentGiver | null;
  method: Consent["method"];
  language: string;
  textVersion: string;
  /** The scopes granted. What may still leave is `effectiveScopes(record)`. */
  scopes: Scope[];
  purposes: Purpose[];
  recipients: string[];
  grantedAt: number;
  expiresAt: number;
  recordedBy: string | null;
  recordedAt: number;
  override: ConsentOverrideRecord | null;
  revokedScopes: Scope[];
  revokedAll: boolean;
  revokedAt: number | null;
  erasedAt: number | null;
  updatedAt: number;
}

export type ConsentStatus = "active" | "awaiting_approval" | "partially_revoked" | "revoked" | "expired";

/** Clock skew tolerated on `grantedAt` (docs/protocol.md §5.1: grantedAt ≤ iat + 300). */
const GRANTED_AT_SKEW_MS = 300 * 1000;

/** The consent members a caseworker enters, inline on a draft or on their own (recordConsent). */
export const consentFieldsSchema = z.object({
  scopes: uniqueArray(z.enum(SCOPES), 0, SCOPES.length),
  purposes: uniqueArray(z.enum(PURPOSES), 1, PURPOSES.length),
  recipients: uniqueArray(z.string().regex(ID_PATTERN, "must be organization ids"), 1, 100),
  grantedAt: z.number().int().nullish(),
  expiresAt: z.number().int(),
  method: z.enum(CONSENT_METHODS),
  language: z
    .string()
    .max(35)
    .regex(LANGUAGE_TAG_PATTERN, "must be a BCP 47 language tag such as en or pt-BR"),
  textVersion: boundedText(1, 64),
  givenBy: z.enum(CONSENT_GIVERS).nullish(),
});

const recordSchema = consentFieldsSchema.extend({
  subjectRef: z
    .string()
    .regex(SUBJECT_REF_PATTERN, "must be a pseudonym of 4 to 64 letters, digits, '_', '.', ':' or '-'")
    .nullish(),
  override: z
    .object({
      reason: z.enum(OVERRIDE_REASONS),
      note: z
        .string()
        .transform((v) => v.trim())
        .pipe(boundedText(1, 4000)),
    })
    .nullish(),
});

export type ConsentFieldsInput = z.input<typeof consentFieldsSchema>;
export type RecordConsentInput = z.input<typeof recordSchema>;

export function newSubjectRef(): string {
  return `subj_${randomBytes(12).toString("base64url")}`;
}

function invalid(error: z.ZodError, prefix: string): InvalidInputError {
  const parts = error.issues.slice(0, 5).map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
    return `${path}: ${i.message}`;
  });
  return new InvalidInputError(`Invalid input: ${parts.join("; ")}`);
}

const sortScopes = (scopes: Iterable<Scope>): Scope[] => {
  const set = new Set(scopes);
  return SCOPES.filter((s) => set.has(s));
};

/**
 * Checks what a caseworker entered and builds the record (nothing is stored). `inline` is the
 * convenience of draftReferral: there `givenBy` may be left out, and no override can be asked for.
 */
export function buildConsentRecord(
  ctx: Pick<DomainContext, "clock" | "ids">,
  staff: Staff,
  input: RecordConsentInput,
  opts: { inline?: boolean } = {},
): ConsentRecord {
  const parsed = recordSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error, opts.inline ? "input.consent" : "input");
  const d = parsed.data;
  const now = ctx.clock.now();
  if (d.override) {
    if (opts.inline)
      throw new InvalidInputError("An override is recorded with recordConsent, then approved.");
    if (d.givenBy != null) {
      throw new InvalidInputError(
        "An override records sharing without the person's consent: leave givenBy empty.",
      );
    }
  } else if (!opts.inline && d.givenBy == null) {
    throw new InvalidInputError("givenBy is required: who gave the consent (the person, a guardian, …).");
  }
  if (d.expiresAt <= now) throw new AppError("ERR_CONSENT_EXPIRED", "The consent has already expired.");
  const grantedAt = d.grantedAt ?? now;
  if (grantedAt > now + GRANTED_AT_SKEW_MS) {
    throw new InvalidInputError("The consent cannot have been granted in the future.");
  }
  // Compared in whole seconds, as the consent travels (docs/protocol.md §5.1: grantedAt < expiresAt).
  if (consentTime(grantedAt) >= consentTime(d.expiresAt)) {
    throw new InvalidInputError("The consent must expire after it was granted.");
  }
  return {
    id: ctx.ids.newId(),
    subjectRef: d.subjectRef ?? newSubjectRef(),
    givenBy: d.givenBy ?? null,
    method: d.method,
    language: d.language,
    textVersion: d.textVersion,
    scopes: sortScopes(d.scopes),
    purposes: d.purposes,
    recipients: d.recipients,
    grantedAt: consentTime(grantedAt) * 1000,
    expiresAt: consentTime(d.expiresAt) * 1000,
    recordedBy: staff.username,
    recordedAt: now,
    override: d.override
      ? {
          reason: d.override.reason,
          note: d.override.note,
          requestedBy: staff.username,
          approvedBy: null,
          approvedAt: null,
        }
      : null,
    revokedScopes: [],
    revokedAll: false,
    revokedAt: null,
    erasedAt: null,
    updatedAt: now,
  };
}

/** What reading and writing a consent row needs: the grounds of an override are sealed for the person. */
export interface ConsentKeys {
  readonly orgId: string;
  readonly vault: PersonVault;
}

/** A consent is recorded by the origin, which chose the pseudonym: the person is this node's own. */
const personOfConsent = (keys: ConsentKeys, subjectRef: string): Person => ({
  originOrgId: keys.orgId,
  subjectRef,
});

/** AAD of the sealed grounds: they open only in this row and column (personal-data.ts does the same). */
const overrideNoteAad = (id: string) => `consent\u0000${id}\u0000override_note`;

/**
 * Stores a consent record. The override's grounds are free text about the person's situation: they are
 * sealed under the person's data key like every such field (docs/data-at-rest.md), so erasing the
 * person makes them unreadable too. The caller holds the person's lock when there is an override.
 */
export async function insertConsent(db: Db, keys: ConsentKeys, c: ConsentRecord): Promise<void> {
  const note =
    c.override?.note != null
      ? keys.vault.seal(personOfConsent(keys, c.subjectRef), overrideNoteAad(c.id), c.override.note)
      : null;
  await db
    .insertInto("consent")
    .values({
      id: c.id,
      subject_ref: c.subjectRef,
      given_by: c.givenBy,
      method: c.method,
      language: c.language,
      text_version: c.textVersion,
      scopes: JSON.stringify(c.scopes),
      purposes: JSON.stringify(c.purposes),
      recipients: JSON.stringify(c.recipients),
      granted_at: c.grantedAt,
      expires_at: c.expiresAt,
      recorded_by: c.recordedBy,
      recorded_at: c.recordedAt,
      override_reason: c.override?.reason ?? null,
      override_note: note,
      override_requested_by: c.override?.requestedBy ?? null,
      override_approved_by: c.override?.approvedBy ?? null,
      override_approved_at: c.override?.approvedAt ?? null,
      revoked_scopes: JSON.stringify(c.revokedScopes),
      revoked_all: c.revokedAll ? 1 : 0,
      revoked_at: c.revokedAt,
      erased_at: c.erasedAt,
      updated_at: c.updatedAt,
    })
    .execute();
}

/** Records a consent (or asks for an override), on its own: `recordConsent` of schema.graphql. */
export async function recordConsent(
  ctx: DomainContext,
  staff: Staff,
  input: RecordConsentInput,
): Promise<ConsentRecord> {
  requireRole(staff, "caseworker");
  const record = buildConsentRecord(ctx, staff, input);
  await ctx.db.transaction().execute(async (trx) => {
    if (record.override) await lockPerson(trx, ctx.dialect, personOfConsent(ctx, record.subjectRef));
    await insertConsent(trx, ctx, record);
    await ctx.audit.appendMany(trx, consentRecordedEntries(staff, record, null));
  });
  return record;
}

/** A list for an audit entry's detail, which holds at most 64 items: empty when longer (the count says). */
export function fitList(items: readonly string[]): readonly string[] {
  return items.length <= 64 ? items : [];
}

/**
 * docs/audit.md: `consent.recorded` (and `consent.override`, action requested, for an override), in
 * the transaction that stores the record. Codes, ids and counts only: never the grounds' text.
 */
export function consentRecordedEntries(
  staff: Pick<Staff, "id">,
  c: ConsentRecord,
  referralId: string | null,
): AuditEntryInput[] {
  const recorded: AuditEntryInput = {
    kind: "consent.recorded",
    actor: staffActor(staff),
    subjectRef: c.subjectRef,
    consentId: c.id,
    referralId,
    detail: {
      givenBy: c.givenBy,
      method: c.method,
      language: c.language,
      scopes: c.scopes,
      purposes: c.purposes,
      recipientCount: c.recipients.length,
      recipients: fitList(c.recipients),
      grantedAt: Math.floor(c.grantedAt / 1000),
      expiresAt: Math.floor(c.expiresAt / 1000),
      override: c.override !== null,
    },
  };
  if (!c.override) return [recorded];
  return [
    recorded,
    {
      kind: "consent.override",
      actor: staffActor(staff),
      subjectRef: c.subjectRef,
      consentId: c.id,
      referralId,
      detail: { action: "requested", reason: c.override.reason },
    },
  ];
}

export function toConsentRecord(row: Selectable<ConsentTable>, keys: ConsentKeys): ConsentRecord {
  // Grounds whose person's key was destroyed read as gone (null), as erasure left them.
  const note =
    row.override_note === null
      ? null
      : (keys.vault.open(
          personOfConsent(keys, row.subject_ref),
          overrideNoteAad(row.id),
          row.override_note,
        ) ?? null);
  return {
    id: row.id,
    subjectRef: row.subject_ref,
    givenBy: row.given_by as ConsentGiver | null,
    method: row.method as Consent["method"],
    language: row.language,
    textVersion: row.text_version,
    scopes: JSON.parse(row.scopes) as Scope[],
    purposes: JSON.parse(row.purposes) as Purpose[],
    recipients: JSON.parse(row.recipients) as string[],
    grantedAt: Number(row.granted_at),
    expiresAt: Number(row.expires_at),
    recordedBy: row.recorded_by,
    recordedAt: Number(row.recorded_at),
    override:
      row.override_reason === null
        ? null
        : {
            reason: row.override_reason as OverrideReason,
            note,
            requestedBy: row.override_requested_by,
            approvedBy: row.override_approved_by,
            approvedAt: row.override_approved_at === null ? null : Number(row.override_approved_at),
          },
    revokedScopes: JSON.parse(row.revoked_scopes) as Scope[],
    revokedAll: Number(row.revoked_all) === 1,
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    erasedAt: row.erased_at === null ? null : Number(row.erased_at),
    updatedAt: Number(row.updated_at),
  };
}

export async function findConsent(db: Db, keys: ConsentKeys, id: string): Promise<ConsentRecord | undefined> {
  const row = await db.selectFrom("consent").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toConsentRecord(row, keys) : undefined;
}

/**
 * Loads a consent inside a transaction, locked on PostgreSQL: `update` for whoever changes it
 * (revocation, approval, erasure), `share` for whoever relies on it (drafting, sending).
 */
export async function lockConsent(
  trx: Transaction<Database>,
  ctx: ConsentKeys & { readonly dialect: DialectName },
  id: string,
  mode: "share" | "update",
): Promise<ConsentRecord | undefined> {
  let q = trx.selectFrom("consent").selectAll().where("id", "=", id);
  if (ctx.dialect === "postgres") q = mode === "update" ? q.forUpdate() : q.forShare();
  const row = await q.executeTakeFirst();
  return row ? toConsentRecord(row, ctx) : undefined;
}

export async function listConsents(db: Db, keys: ConsentKeys, subjectRef: string): Promise<ConsentRecord[]> {
  const rows = await db
    .selectFrom("consent")
    .selectAll()
    .where("subject_ref", "=", subjectRef)
    .orderBy("recorded_at", "desc")
    .orderBy("id")
    .execute();
  return rows.map((row) => toConsentRecord(row, keys));
}

/** The referrals drafted or sent under a consent, oldest first. */
export async function referralsUnderConsent(
  db: Db,
  vault: PersonVault,
  consentId: string,
): Promise<ReferralRecord[]> {
  const rows = await db
    .selectFrom("referral")
    .selectAll()
    .where("consent_id", "=", consentId)
    .where("direction", "=", "outgoing")
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map((row) => toReferralRecord(row, vault));
}

/** The scopes that may still leave this node under the consent: granted, less those revoked. */
export function effectiveScopes(c: ConsentRecord): Scope[] {
  if (c.revokedAll) return [];
  return c.scopes.filter((s) => !c.revokedScopes.includes(s));
}

export function consentStatus(c: ConsentRecord, now: number): ConsentStatus {
  if (c.revokedAll) return "revoked";
  if (c.expiresAt <= now) return "expired";
  if (c.override && c.override.approvedBy === null) return "awaiting_approval";
  if (c.revokedScopes.length > 0) return "partially_revoked";
  return "active";
}

/**
 * Refuses a consent that cannot carry a referral now: revoked, expired, an override not yet approved,
 * or (when `use` is given) one that does not name the destination or cover every service (§5.4.2).
 */
export function requireUsable(
  c: ConsentRecord,
  now: number,
  use?: { destination: string; services: readonly Purpose[] },
): void {
  if (c.revokedAll) throw new AppError("ERR_CONSENT_REVOKED", "The consent has been revoked.");
  if (c.expiresAt <= now) throw new AppError("ERR_CONSENT_EXPIRED", "The consent has expired.");
  if (c.override && c.override.approvedBy === null) {
    throw new AppError(
      "ERR_OVERRIDE_NOT_APPROVED",
      "This override has not been approved by a supervisor: nothing can be sent under it yet.",
    );
  }
  if (!use) return;
  if (!c.recipients.includes(use.destination)) {
    throw new AppError(
      "ERR_CONSENT_RECIPIENT",
      "The consent does not name the destination among its recipients.",
    );
  }
  const outside = use.services.filter((s) => !c.purposes.includes(s));
  if (outside.length > 0) {
    throw new AppError(
      "ERR_CONSENT_PURPOSE",
      `The consent does not cover these services: ${outside.join(", ")}.`,
    );
  }
}

/**
 * After any revocation, an organization that was told of it refuses every later message under that
 * consent id (docs/protocol.md §5.6): this node sends it nothing more under it. To share with it again,
 * a new consent is recorded. Call after requireUsable, in the transaction that holds the consent.
 */
export async function requireNotRevokedAt(db: Db, c: ConsentRecord, orgId: string): Promise<void> {
  if (c.revokedAt === null) return;
  const told = await db
    .selectFrom("consent_revocation_notice as n")
    .innerJoin("consent_revocation as r", "r.id", "n.revocation_id")
    .select("n.referral_id")
    .where("r.consent_id", "=", c.id)
    .where("n.org_id", "=", orgId)
    .executeTakeFirst();
  if (told) {
    throw new AppError(
      "ERR_CONSENT_REVOKED",
      `${orgId} was told that this consent is revoked and refuses anything more under it: record a new consent to share with it again.`,
    );
  }
}

/**
 * The consent object that travels (docs/protocol.md §5.1), as it stands now: only the scopes not
 * revoked, and the override with the supervisor who approved it. Call requireUsable first.
 */
export function toWireConsent(c: ConsentRecord): Consent {
  const wire: Consent = {
    id: c.id,
    subjectRef: c.subjectRef,
    scopes: effectiveScopes(c),
    purposes: c.purposes,
    recipients: c.recipients,
    grantedAt: consentTime(c.grantedAt),
    expiresAt: consentTime(c.expiresAt),
    method: c.method,
    language: c.language,
    textVersion: c.textVersion,
  };
  if (c.override?.approvedBy && c.override.note !== null) {
    wire.override = { reason: c.override.reason, approvedBy: c.override.approvedBy, note: c.override.note };
  }
  return wire;
}

/**
 * A supervisor approves an override (docs/protocol.md §5.5): never the staff member who asked for it.
 * Until then nothing can be drafted or sent under it.
 */
export async function approveOverride(ctx: DomainContext, staff: Staff, id: string): Promise<ConsentRecord> {
  requireRole(staff, "supervisor");
  return ctx.db.transaction().execute(async (trx) => {
    const c = await lockConsent(trx, ctx, id, "update");
    if (!c) throw new NotFoundError("No such consent.");
    if (!c.override)
      throw new InvalidStateError("This consent is not an override: there is nothing to approve.");
    if (c.override.approvedBy !== null) throw new InvalidStateError("This override is already approved.");
    if (c.revokedAll) throw new InvalidStateError("This override has been revoked.");
    const now = ctx.clock.now();
    if (c.expiresAt <= now) throw new AppError("ERR_CONSENT_EXPIRED", "This override has expired.");
    if (c.override.requestedBy === staff.username) {
      throw new AppError(
        "ERR_FORBIDDEN",
        "An override must be approved by a supervisor other than the staff member who asked for it.",
      );
    }
    await trx
      .updateTable("consent")
      .set({ override_approved_by: staff.username, override_approved_at: now, updated_at: now })
      .where("id", "=", id)
      .execute();
    await ctx.audit.append(trx, {
      kind: "consent.override",
      actor: staffActor(staff),
      subjectRef: c.subjectRef,
      consentId: c.id,
      detail: { action: "approved", reason: c.override.reason, requestedBy: c.override.requestedBy },
    });
    return {
      ...c,
      override: { ...c.override, approvedBy: staff.username, approvedAt: now },
      updatedAt: now,
    };
  });
}

// --- Revocation at the origin (docs/protocol.md §5.6) ---------------------------------------------

export type RevocationCause = "revoked" | "subject_erased";
export type RecipientErasureStatus = "erased" | "pending" | "overdue";

export interface RevocationRecipient {
  orgId: string;
  status: RecipientErasureStatus;
  /** When the recipient committed the erasure (its `consent.erased`), for `erased`. */
  erasedAt: number | null;
  /** The referrals sent to it under the consent: one consent.revoke each. */
  referralIds: string[];
  /** Every consent.revoke to it is in the outbox (false when the partner could not be written to). */
  queued: boolean;
  /** Why not, or the code of a problem report it answered with. */
  problem: string | null;
}

export interface RevocationRecord {
  id: string;
  consentId: string;
  /** null: the whole consent. */
  scopes: Scope[] | null;
  cause: RevocationCause;
  requestedBy: string | null;
  requestedAt: number;
  deadlineAt: number;
  recipients: RevocationRecipient[];
}

/**
 * Revokes a consent, whole (`scopes` absent) or for some scopes, in ONE transaction: the record, the
 * drafts under it re-minimised, and a `consent.revoke` in the outbox for every referral sent under it
 * (docs/protocol.md §5.6: one per referral thread, thid = that referral), each tracked until the
 * recipient answers `consent.erased`. Revoking again is allowed: it sends the revokes again.
 */
export async function revokeConsent(
  ctx: DomainContext,
  staff: Staff,
  id: string,
  scopes?: readonly Scope[] | null,
): Promise<RevocationRecord> {
  requireRole(staff, "caseworker");
  const { revocation, events, queued } = await ctx.db.transaction().execute(async (trx) => {
    const c = await lockConsent(trx, ctx, id, "update");
    if (!c) throw new NotFoundError("No such consent.");
    return revokeLocked(trx, ctx, staff, c, scopes ?? null, "revoked");
  });
  ctx.events.publish(events);
  if (queued) ctx.outboxChanged();
  return revocation;
}

/**
 * The body of revokeConsent, for a caller that holds the consent's row lock in `trx` (also
 * eraseSubject). Returns the revocation, the timeline events to publish after commit, and whether
 * anything was queued.
 */
export async function revokeLocked(
  trx: Transaction<Database>,
  ctx: DomainContext,
  staff: Pick<Staff, "id" | "username">,
  c: ConsentRecord,
  requested: readonly Scope[] | null,
  cause: RevocationCause,
): Promise<{ revocation: RevocationRecord; events: ReferralEventRecord[]; queued: boolean }> {
  let scopes: Scope[] | null = null;
  if (requested !== null) {
    const bad = requested.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (bad.length > 0 || requested.length === 0) {
      throw new InvalidInputError("scopes must name one or more scopes, or be left out to revoke all.");
    }
    const notGranted = requested.filter((s) => !c.scopes.includes(s));
    if (notGranted.length > 0) {
      throw new InvalidInputError(`The consent never granted these scopes: ${notGranted.join(", ")}.`);
    }
    scopes = sortScopes(requested);
  }
  const now = ctx.clock.now();
  const revokedAll = c.revokedAll || scopes === null;
  const revokedScopes = sortScopes([...c.revokedScopes, ...(scopes ?? c.scopes)]);
  await trx
    .updateTable("consent")
    .set({
      revoked_scopes: JSON.stringify(revokedScopes),
      revoked_all: revokedAll ? 1 : 0,
      revoked_at: now,
      updated_at: now,
    })
    .where("id", "=", c.id)
    .execute();
  const after: ConsentRecord = { ...c, revokedScopes, revokedAll, revokedAt: now, updatedAt: now };
  const revocationId = ctx.ids.newId();
  const deadlineAt = now + ctx.erasureDeadlineMs;
  await trx
    .insertInto("consent_revocation")
    .values({
      id: revocationId,
      consent_id: c.id,
      scopes: scopes === null ? null : JSON.stringify(scopes),
      cause,
      requested_by: staff.username,
      requested_at: now,
      deadline_at: deadlineAt,
    })
    .execute();

  const events: ReferralEventRecord[] = [];
  // Drafts never left this node: what may no longer leave is dropped from them now, so that what a
  // draft shows (disclosedFields) stays what sending it would disclose.
  const drafts = await trx
    .selectFrom("referral")
    .select("id")
    .where("consent_id", "=", c.id)
    .where("direction", "=", "outgoing")
    .where("status", "=", "draft")
    .orderBy("id")
    .execute();
  if (drafts.length > 0) {
    const erased = await eraseSubjectFields(trx, ctx, {
      referralIds: drafts.map((d) => d.id),
      scopes: scopes ?? "all",
      reason: cause === "subject_erased" ? "subject_erased" : "consent_revoked",
      by: { type: "staff", staff },
      consent: toWireConsent(after),
    });
    events.push(...erased.events);
  }

  // Every referral whose offer was written to the outbox carried data under this consent, even one
  // withdrawn since or still waiting to be published: the revoke follows it in the same per-partner
  // order (docs/protocol.md §3.5), so the partner erases what it has just stored.
  const sent = await trx
    .selectFrom("referral")
    .select(["id", "destination_org_id", "origin_org_id", "subject_ref"])
    .where("consent_id", "=", c.id)
    .where("direction", "=", "outgoing")
    .where("status", "!=", "draft")
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("outbox")
          .select("outbox.jti")
          .whereRef("outbox.thid", "=", "referral.id")
          .where("outbox.type", "=", "referral.offer"),
      ),
    )
    // The order listRevocations shows them in: by organization, then referral id.
    .orderBy("destination_org_id")
    .orderBy("id")
    .execute();
  const recipients = new Map<string, RevocationRecipient>();
  let queued = false;
  for (const row of sent) {
    // The person before the row, as everywhere (the timeline note below is sealed for them).
    await lockPerson(trx, ctx.dialect, { originOrgId: row.origin_org_id, subjectRef: row.subject_ref });
    const r = await lockReferral(trx, ctx, row.id);
    if (!r) continue;
    let messageId: string | null = null;
    let problem: string | null = null;
    try {
      const claims = await ctx.messages.enqueue(trx, {
        type: "consent.revoke",
        aud: r.destinationOrgId,
        thid: r.id,
        body: { consentId: c.id, ...(scopes !== null ? { scopes } : {}) },
      });
      messageId = claims.jti;
      queued = true;
    } catch (err) {
      // The partner is suspended or revoked, or this node cannot send at all now: the revocation
      // still holds here, and the partner shows as pending, then overdue, with the reason.
      if (!(err instanceof AppError)) throw err;
      problem = err.code;
    }
    await trx
      .insertInto("consent_revocation_notice")
      .values({
        revocation_id: revocationId,
        referral_id: r.id,
        org_id: r.destinationOrgId,
        message_id: messageId,
        status: "pending",
        erased_at: null,
        problem,
        updated_at: now,
      })
      .execute();
    events.push(
      await insertEvent(trx, ctx, {
        referralId: r.id,
        kind: "consent_revoked",
        status: r.status,
        actorOrgId: ctx.orgId,
        actorStaff: staff.username,
        note: scopes === null ? "all scopes" : scopes.join(", "),
        messageId,
        at: now,
      }),
    );
    const entry = recipients.get(r.destinationOrgId) ?? {
      orgId: r.destinationOrgId,
      status: "pending" as const,
      erasedAt: null,
      referralIds: [],
      queued: true,
      problem: null,
    };
    entry.referralIds.push(r.id);
    if (messageId === null) entry.queued = false;
    entry.problem ??= problem;
    recipients.set(r.destinationOrgId, entry);
  }
  const notices = [...recipients.values()];
  // docs/audit.md: the revocation, and whom it was sent to, committed with the revokes themselves.
  await ctx.audit.append(trx, {
    kind: "consent.revoked",
    actor: staffActor(staff),
    subjectRef: c.subjectRef,
    consentId: c.id,
    detail: {
      revocationId,
      cause,
      all: scopes === null,
      scopes: scopes ?? c.scopes,
      recipientCount: notices.length,
      recipients: fitList(notices.map((n) => n.orgId)),
      notices: sent.length,
      unqueued: fitList(notices.filter((n) => !n.queued).map((n) => n.orgId)),
      drafts: drafts.length,
    },
  });
  return {
    revocation: {
      id: revocationId,
      consentId: c.id,
      scopes,
      cause,
      requestedBy: staff.username,
      requestedAt: now,
      deadlineAt,
      recipients: notices,
    },
    events,
    queued,
  };
}

/** Every revocation of a consent, newest first, with each recipient's state at `now`. */
export async function listRevocations(db: Db, consentId: string, now: number): Promise<RevocationRecord[]> {
  const revocations = await db
    .selectFrom("consent_revocation")
    .selectAll()
    .where("consent_id", "=", consentId)
    .orderBy("requested_at", "desc")
    .orderBy("id")
    .execute();
  if (revocations.length === 0) return [];
  const notices = await db
    .selectFrom("consent_revocation_notice")
    .selectAll()
    .where(
      "revocation_id",
      "in",
      revocations.map((r) => r.id),
    )
    .orderBy("org_id")
    .orderBy("referral_id")
    .execute();
  return revocations.map((r) => {
    const deadlineAt = Number(r.deadline_at);
    const byOrg = new Map<string, RevocationRecipient>();
    for (const n of notices.filter((x) => x.revocation_id === r.id)) {
      const e = byOrg.get(n.org_id) ?? {
        orgId: n.org_id,
        status: "erased" as RecipientErasureStatus,
        erasedAt: null as number | null,
        referralIds: [] as string[],
        queued: true,
        problem: null as string | null,
      };
      e.referralIds.push(n.referral_id);
      if (n.message_id === null) e.queued = false;
      e.problem ??= n.problem;
      if (n.status === "erased") {
        const at = n.erased_at === null ? null : Number(n.erased_at);
        if (at !== null && (e.erasedAt === null || at > e.erasedAt)) e.erasedAt = at;
      } else {
        e.status = now > deadlineAt ? "overdue" : "pending";
      }
      byOrg.set(n.org_id, e);
    }
    for (const e of byOrg.values()) if (e.status !== "erased") e.erasedAt = null;
    return {
      id: r.id,
      consentId: r.consent_id,
      scopes: r.scopes === null ? null : (JSON.parse(r.scopes) as Scope[]),
      cause: r.cause as RevocationCause,
      requestedBy: r.requested_by,
      requestedAt: Number(r.requested_at),
      deadlineAt,
      recipients: [...byOrg.values()],
    };
  });
}

/**
 * The origin receives `consent.erased` (docs/protocol.md §4.9): every pending notice to that recipient
 * under the consent whose scopes the receipt covers is settled, with the recipient's erasure time. A
 * receipt for fewer scopes than a revocation named settles nothing of it.
 */
export async function recordErasureReceipt(
  trx: Transaction<Database>,
  claims: MessageClaims<"consent.erased"> & { body: ConsentErasedBody },
  ctx: DomainContext,
): Promise<void> {
  const covered = new Set<string>(claims.body.scopes);
  const pending = await trx
    .selectFrom("consent_revocation_notice as n")
    .innerJoin("consent_revocation as r", "r.id", "n.revocation_id")
    .select(["n.revocation_id", "n.referral_id", "r.scopes"])
    .where("r.consent_id", "=", claims.body.consentId)
    .where("n.org_id", "=", claims.iss)
    .where("n.status", "=", "pending")
    .execute();
  const now = ctx.clock.now();
  for (const p of pending) {
    const asked = p.scopes === null ? SCOPES : (JSON.parse(p.scopes) as Scope[]);
    if (!asked.every((s) => covered.has(s))) continue;
    await trx
      .updateTable("consent_revocation_notice")
      .set({ status: "erased", erased_at: claims.body.erasedAt * 1000, updated_at: now })
      .where("revocation_id", "=", p.revocation_id)
      .where("referral_id", "=", p.referral_id)
      .execute();
  }
}

/** A problem report about one of our consent.revoke messages is kept on its notice, for staff. */
export async function recordRevokeProblem(
  trx: Transaction<Database>,
  from: string,
  ackedJti: string,
  code: string,
  now: number,
): Promise<void> {
  await trx
    .updateTable("consent_revocation_notice")
    .set({ problem: code, updated_at: now })
    .where("message_id", "=", ackedJti)
    .where("org_id", "=", from)
    .execute();
}
