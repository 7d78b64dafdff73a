// The actions staff take on a referral. Each runs in ONE transaction: the row's new state, its
// timeline event and the message it implies (sealed into the outbox) commit together or not at all
// (docs/protocol.md §3, transactional outbox). Live events are published only after the commit.
import { randomBytes } from "node:crypto";
import { minimise } from "@refnet/consent";
import {
  AGE_BANDS,
  CONSENT_METHODS,
  type Consent,
  DECLINE_REASONS,
  type DeclineReason,
  ID_PATTERN,
  ISO_639_PATTERN,
  LANGUAGE_TAG_PATTERN,
  type MessageClaims,
  OUTCOMES,
  type Outcome,
  type OutgoingMessage,
  PROBLEM_CODES,
  ProtocolError,
  PURPOSES,
  type Purpose,
  type ReferralState,
  SCOPES,
  type Scope,
  SUBJECT_REF_PATTERN,
  type Subject,
  UPDATE_STATUSES,
  type UpdateStatus,
  URGENCIES,
  type Urgency,
  validateBody,
} from "@refnet/protocol";
import { boundedText, dateTime, fullDate, uniqueArray } from "@refnet/protocol/primitives";
import type { Transaction } from "kysely";
import { z } from "zod";
import type { Staff } from "../auth.ts";
import type { Database } from "../db/schema.ts";
import { AppError, InvalidInputError, InvalidStateError, NotFoundError } from "../errors.ts";
import type { SealedMessage } from "../federation/contracts.ts";
import { consentExpiresAtMs, consentTime } from "./consent-time.ts";
import { AWAITING_ANSWER, canTransition } from "./states.ts";
import { findReferral, insertEvent, lockReferral, updateStatus } from "./store.ts";
import type { Direction, DomainContext, EventKind, ReferralEventRecord, ReferralRecord } from "./types.ts";

/** What a caseworker enters; wire values (lower_case), times in milliseconds. */
export interface DraftReferralInput {
  destinationOrgId: string;
  urgency: Urgency;
  services: Purpose[];
  summary?: string | null;
  proposedArrival?: string | null;
  respondBy?: number | null;
  subject: Omit<Subject, "ref"> & { ref?: string | null };
  consent: {
    scopes: Scope[];
    purposes: Purpose[];
    recipients: string[];
    grantedAt?: number | null;
    expiresAt: number;
    method: Consent["method"];
    language: string;
    textVersion: string;
  };
}

/** Clock skew tolerated on a consent's `grantedAt` (docs/protocol.md §5.1: grantedAt ≤ iat + 300). */
const GRANTED_AT_SKEW_MS = 300 * 1000;
const MAX_JSON_SECTION_BYTES = 64 * 1024;

// Limits and formats of docs/protocol.md §4.3 and §5.1, so that a draft this node accepts is never
// refused by the partner. Lengths count code points (boundedText), as the protocol does.
const optionalText = (max: number) =>
  z
    .string()
    .nullish()
    .transform((v) => (v === undefined || v === null || v.trim() === "" ? undefined : v.trim()))
    .pipe(boundedText(1, max).optional());
const jsonSection = z
  .record(z.string(), z.unknown())
  .nullish()
  .refine((v) => v == null || Buffer.byteLength(JSON.stringify(v)) <= MAX_JSON_SECTION_BYTES, {
    message: `must be at most ${MAX_JSON_SECTION_BYTES / 1024} KiB of JSON`,
  })
  .transform((v) => v ?? undefined);
const DATE_OF_BIRTH = /^\d{4}(-\d{2}(-\d{2})?)?$/;

const draftSchema = z.object({
  destinationOrgId: z.string().regex(ID_PATTERN, "must be an organization id"),
  urgency: z.enum(URGENCIES),
  services: uniqueArray(z.enum(PURPOSES), 1, PURPOSES.length),
  summary: optionalText(2000),
  proposedArrival: z
    .string()
    .nullish()
    .transform((v) => (v === undefined || v === null || v.trim() === "" ? undefined : v.trim()))
    .pipe(z.union([fullDate, dateTime], { error: "must be a date (2026-11-21) or a date-time" }).optional()),
  respondBy: z.number().int().nullish(),
  subject: z.object({
    ref: z
      .string()
      .regex(SUBJECT_REF_PATTERN, "must be a pseudonym of 4 to 64 letters, digits, '_', '.', ':' or '-'")
      .nullish(),
    languages: uniqueArray(z.string().regex(ISO_639_PATTERN, "must be ISO 639 codes such as en or yo"), 0, 20)
      .nullish()
      .transform((v) => (v == null || v.length === 0 ? undefined : v)),
    ageBand: z
      .enum(AGE_BANDS)
      .nullish()
      .transform((v) => v ?? undefined),
    givenName: optionalText(200),
    familyName: optionalText(200),
    dateOfBirth: optionalText(10).refine((v) => v === undefined || DATE_OF_BIRTH.test(v), {
      message: "must be YYYY, YYYY-MM or YYYY-MM-DD",
    }),
    sex: optionalText(64),
    nationality: optionalText(64),
    documents: z
      .array(
        z.object({
          type: boundedText(1, 64),
          number: optionalText(100),
          issuingCountry: optionalText(64),
          expiresOn: z
            .string()
            .nullish()
            .transform((v) => v ?? undefined)
            .pipe(fullDate.optional()),
        }),
      )
      .max(20)
      .nullish()
      .transform((v) => (v == null || v.length === 0 ? undefined : v)),
    phone: optionalText(64),
    email: optionalText(254),
    currentLocation: optionalText(500),
    health: jsonSection,
    protection: jsonSection,
    legal: jsonSection,
    family: jsonSection,
    notes: optionalText(4000),
  }),
  consent: z.object({
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
  }),
});

/** Turns a zod failure into one ERR_INVALID_INPUT naming the fields (never their values). */
function invalid(error: z.ZodError, prefix: string): InvalidInputError {
  const parts = error.issues.slice(0, 5).map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
    return `${path}: ${i.message}`;
  });
  return new InvalidInputError(`Invalid input: ${parts.join("; ")}`);
}

function newSubjectRef(): string {
  return `subj_${randomBytes(12).toString("base64url")}`;
}

/** Field names present in a minimised subject: what leaves (or will leave) this node. */
export function disclosedFields(subject: Subject): string[] {
  return Object.entries(subject)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k]) => k)
    .sort();
}

/** Only an active partner with the destination role can receive a referral (docs/protocol.md §6). */
function requireDestination(ctx: DomainContext, orgId: string): void {
  if (orgId === ctx.orgId)
    throw new InvalidInputError("A referral cannot be sent to this organization itself.");
  const partner = ctx.trust.current().partner(orgId);
  if (partner?.status !== "active") {
    throw new AppError("ERR_PARTNER_UNAVAILABLE", `${orgId} is not an active partner of the network.`);
  }
  if (!partner.roles.includes("destination")) {
    throw new AppError(
      "ERR_PARTNER_UNAVAILABLE",
      `${orgId} does not receive referrals (no destination role).`,
    );
  }
}

/**
 * Records a referral as a draft. The person's fields are minimised to the consent BEFORE anything is
 * stored (docs/protocol.md §5.4): what the consent does not allow never reaches the database.
 */
export async function draftReferral(
  ctx: DomainContext,
  staff: Staff,
  input: DraftReferralInput,
): Promise<ReferralRecord> {
  const parsed = draftSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error, "input");
  const d = parsed.data;
  const now = ctx.clock.now();

  // docs/protocol.md §5.4: the recipient must be named, the services must be among the purposes, and
  // the consent must be in force; refusing here saves a message the partner would refuse.
  if (!d.consent.recipients.includes(d.destinationOrgId)) {
    throw new AppError(
      "ERR_CONSENT_RECIPIENT",
      "The consent does not name the destination among its recipients.",
    );
  }
  const outside = d.services.filter((s) => !d.consent.purposes.includes(s));
  if (outside.length > 0) {
    throw new AppError(
      "ERR_CONSENT_PURPOSE",
      `The consent does not cover these services: ${outside.join(", ")}.`,
    );
  }
  if (d.consent.expiresAt <= now) {
    throw new AppError("ERR_CONSENT_EXPIRED", "The consent has already expired.");
  }
  const grantedAt = d.consent.grantedAt ?? now;
  if (grantedAt > now + GRANTED_AT_SKEW_MS) {
    throw new InvalidInputError("The consent cannot have been granted in the future.");
  }
  // Compared in whole seconds, as the consent travels (docs/protocol.md §5.1: grantedAt < expiresAt).
  if (consentTime(grantedAt) >= consentTime(d.consent.expiresAt)) {
    throw new InvalidInputError("The consent must expire after it was granted.");
  }
  if (d.respondBy != null && d.respondBy <= now) {
    throw new InvalidInputError("respondBy must be in the future.");
  }
  requireDestination(ctx, d.destinationOrgId);

  const subjectRef = d.subject.ref ?? newSubjectRef();
  const consent: Consent = {
    id: ctx.ids.newId(),
    subjectRef,
    scopes: d.consent.scopes,
    purposes: d.consent.purposes,
    recipients: d.consent.recipients,
    grantedAt: consentTime(grantedAt),
    expiresAt: consentTime(d.consent.expiresAt),
    method: d.consent.method,
    language: d.consent.language,
    textVersion: d.consent.textVersion,
  };
  const { ref: _ref, ...fields } = d.subject;
  const full: Subject = { ...dropUndefined(fields), ref: subjectRef };
  const { subject } = minimise(full, consent);

  const id = ctx.ids.newId();
  // The exact body schema the partner will apply (docs/protocol.md §4.3): a draft that is stored can be sent.
  const checked = validateBody("referral.offer", offerBody({ id, ...d, subject }), { thid: id });
  if (!checked.ok)
    throw new InvalidInputError(`The referral would be refused by its destination: ${checked.detail}`);

  const record: ReferralRecord = {
    id,
    direction: "outgoing",
    status: "draft",
    originOrgId: ctx.orgId,
    destinationOrgId: d.destinationOrgId,
    urgency: d.urgency,
    services: d.services,
    summary: d.summary ?? null,
    proposedArrival: d.proposedArrival ?? null,
    respondBy: d.respondBy ?? null,
    subject,
    consent,
    declineReason: null,
    outcome: null,
    arrangements: null,
    createdBy: staff.id,
    createdAt: now,
    updatedAt: now,
  };
  const events = await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("referral")
      .values({
        id: record.id,
        direction: record.direction,
        status: record.status,
        origin_org_id: record.originOrgId,
        destination_org_id: record.destinationOrgId,
        urgency: record.urgency,
        services: JSON.stringify(record.services),
        summary: record.summary,
        proposed_arrival: record.proposedArrival,
        respond_by: record.respondBy,
        subject: JSON.stringify(record.subject),
        subject_ref: subjectRef,
        consent: JSON.stringify(record.consent),
        consent_id: consent.id,
        decline_reason: null,
        outcome: null,
        arrangements: null,
        created_by: record.createdBy,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const e = await insertEvent(trx, ctx.ids, {
      referralId: record.id,
      kind: "created",
      status: "draft",
      actorOrgId: ctx.orgId,
      actorStaff: staff.username,
      note: null,
      messageId: null,
      at: now,
    });
    return [e];
  });
  ctx.events.publish(events);
  return record;
}

interface ActionSpec {
  /** Which side of the referral this node must be on. */
  side: Direction;
  to: ReferralState;
  kind: EventKind;
  note: string | null;
  set?: { decline_reason?: string | null; outcome?: string | null; arrangements?: string | null };
  /** Further checks on the locked row; throw to refuse. */
  check?(r: ReferralRecord, now: number): void;
  /** The message this action sends, if any. */
  message?(r: ReferralRecord, now: number): OutgoingMessage | undefined;
}

/** Refuses when the referral cannot take this action; the same checks before and under the lock. */
function checkAction(r: ReferralRecord, spec: ActionSpec, now: number): void {
  if (r.direction !== spec.side) {
    throw new InvalidStateError(
      spec.side === "outgoing"
        ? "Only the organization that sent this referral can do this."
        : "Only the organization that received this referral can do this.",
    );
  }
  if (!canTransition(r.status, spec.to)) {
    throw new InvalidStateError(`A referral that is ${r.status} cannot become ${spec.to}.`);
  }
  spec.check?.(r, now);
}

const toDomainError = (err: unknown): never => {
  throw err instanceof ProtocolError ? fromProtocolError(err) : err;
};

/**
 * Seals the message this action would send from the referral as it stands, before any transaction:
 * the crypto then runs without holding the database. Undefined when there is nothing to send, or when
 * the action would be refused (the transaction refuses it with the same error, under the lock).
 */
async function presealed(
  ctx: DomainContext,
  id: string,
  spec: ActionSpec,
): Promise<{ json: string; sealed: SealedMessage } | undefined> {
  if (!spec.message) return undefined;
  const now = ctx.clock.now();
  const r = await findReferral(ctx.db, id);
  if (!r) return undefined;
  try {
    checkAction(r, spec, now);
  } catch {
    return undefined;
  }
  const msg = spec.message(r, now);
  if (!msg) return undefined;
  return { json: JSON.stringify(msg), sealed: await ctx.messages.seal(msg).catch(toDomainError) };
}

/**
 * Loads, checks, moves, records and enqueues, in one transaction; publishes after commit. The message
 * may be sealed beforehand (presealed); it is stored only if the locked row yields the very same
 * message, so what commits is always sealed from the state that commits, else it is sealed again here.
 */
async function act(ctx: DomainContext, staff: Staff, id: string, spec: ActionSpec): Promise<ReferralRecord> {
  let sent = false;
  const pre = await presealed(ctx, id, spec);
  const { record, events } = await ctx.db.transaction().execute(async (trx: Transaction<Database>) => {
    const now = ctx.clock.now();
    const r = await lockReferral(trx, ctx.dialect, id);
    if (!r) throw new NotFoundError("No such referral.");
    checkAction(r, spec, now);
    let claims: MessageClaims | undefined;
    const msg = spec.message?.(r, now);
    if (msg) {
      claims =
        pre && pre.json === JSON.stringify(msg)
          ? await ctx.messages.store(trx, pre.sealed).catch(toDomainError)
          : await ctx.messages.enqueue(trx, msg).catch(toDomainError);
      sent = true;
    }
    if (!(await updateStatus(trx, r.id, r.status, spec.to, now, spec.set))) {
      throw new InvalidStateError("The referral changed while this was being done; try again.");
    }
    const e = await insertEvent(trx, ctx.ids, {
      referralId: r.id,
      kind: spec.kind,
      status: spec.to,
      actorOrgId: ctx.orgId,
      actorStaff: staff.username,
      note: spec.note,
      messageId: claims?.jti ?? null,
      at: now,
    });
    const record: ReferralRecord = {
      ...r,
      status: spec.to,
      updatedAt: now,
      ...(spec.set && "decline_reason" in spec.set
        ? { declineReason: (spec.set.decline_reason ?? null) as DeclineReason | null }
        : {}),
      ...(spec.set && "outcome" in spec.set ? { outcome: (spec.set.outcome ?? null) as Outcome | null } : {}),
      ...(spec.set && "arrangements" in spec.set ? { arrangements: spec.set.arrangements ?? null } : {}),
    };
    return { record, events: [e] as ReferralEventRecord[] };
  });
  ctx.events.publish(events);
  if (sent) ctx.outboxChanged();
  return record;
}

/**
 * The sealer refuses what the partner would refuse (docs/protocol.md §2.6); say so in the node's own
 * codes. Messages name rules and members, never values.
 */
function fromProtocolError(err: ProtocolError): AppError {
  switch (err.code) {
    case PROBLEM_CODES.consentExpired:
      return new AppError("ERR_CONSENT_EXPIRED", "The consent for this referral has expired.");
    case PROBLEM_CODES.consentRecipient:
      return new AppError("ERR_CONSENT_RECIPIENT", "The consent does not name the destination.");
    case PROBLEM_CODES.consentPurpose:
      return new AppError("ERR_CONSENT_PURPOSE", "The consent does not cover every service asked for.");
    case PROBLEM_CODES.consentOutOfScope:
      return new AppError(
        "ERR_CONSENT_OUT_OF_SCOPE",
        "The referral carries data the consent does not allow.",
      );
    default:
      return new InvalidInputError(`The message would be refused by its recipient: ${err.message}`);
  }
}

function requireConsentInForce(r: ReferralRecord, now: number): void {
  if (consentExpiresAtMs(r.consent) <= now) {
    throw new AppError("ERR_CONSENT_EXPIRED", "The consent for this referral has expired.");
  }
}

function requireStillAnswerable(r: ReferralRecord, now: number): void {
  if (r.respondBy !== null && r.respondBy <= now) {
    throw new InvalidStateError("The time to answer this referral has passed.");
  }
}

/** An optional free-text member (§4.2 limits, counted in code points); empty means absent. */
function noteOf(note: string | null | undefined, max: number, what: string): string | null {
  if (note === undefined || note === null || note.trim() === "") return null;
  const trimmed = note.trim();
  if (!boundedText(1, max).safeParse(trimmed).success) {
    throw new InvalidInputError(`${what} must be at most ${max} characters of well-formed text.`);
  }
  return trimmed;
}

/** The body of `referral.offer` (docs/protocol.md §4.3); optional members omitted when empty. */
function offerBody(r: {
  id: string;
  urgency: Urgency;
  services: Purpose[];
  summary?: string | null;
  proposedArrival?: string | null;
  respondBy?: number | null;
  subject: Subject;
}) {
  return {
    referral: {
      id: r.id,
      urgency: r.urgency,
      services: r.services,
      ...(r.summary != null ? { summary: r.summary } : {}),
      ...(r.proposedArrival != null ? { proposedArrival: r.proposedArrival } : {}),
      ...(r.respondBy != null ? { respondBy: new Date(r.respondBy).toISOString() } : {}),
    },
    subject: r.subject,
  };
}

/** Sends a draft: `referral.offer` to the destination with the consent, thid = referral id (§4). */
export async function sendReferral(ctx: DomainContext, staff: Staff, id: string): Promise<ReferralRecord> {
  return act(ctx, staff, id, {
    side: "outgoing",
    to: "sent",
    kind: "sent",
    note: null,
    check: (r, now) => {
      requireConsentInForce(r, now);
      if (r.respondBy !== null && r.respondBy <= now) {
        throw new InvalidStateError("respondBy has passed: draft the referral again with a later date.");
      }
      requireDestination(ctx, r.destinationOrgId);
    },
    message: (r) => {
      // Minimised again at the boundary: the stored subject already is, this keeps it so whatever
      // changed in between (docs/protocol.md §5.4.2: the sender strips before signing).
      const { subject } = minimise(r.subject, r.consent);
      return {
        type: "referral.offer",
        aud: r.destinationOrgId,
        thid: r.id,
        consent: r.consent,
        body: offerBody({ ...r, subject }),
      };
    },
  });
}

export async function acceptReferral(
  ctx: DomainContext,
  staff: Staff,
  id: string,
  opts: { note?: string | null; arrangements?: string | null } = {},
): Promise<ReferralRecord> {
  const note = noteOf(opts.note, 4000, "note");
  const arrangements = noteOf(opts.arrangements, 4000, "arrangements");
  return act(ctx, staff, id, {
    side: "incoming",
    to: "accepted",
    kind: "accepted",
    note,
    set: { arrangements },
    check: requireStillAnswerable,
    // docs/protocol.md §5.4.1: only the offer carries the consent; the answers are bound to it by thid.
    message: (r) => ({
      type: "referral.accept",
      aud: r.originOrgId,
      thid: r.id,
      body: { ...(note !== null ? { note } : {}), ...(arrangements !== null ? { arrangements } : {}) },
    }),
  });
}

export async function declineReferral(
  ctx: DomainContext,
  staff: Staff,
  id: string,
  opts: { reason: DeclineReason; note?: string | null },
): Promise<ReferralRecord> {
  if (!DECLINE_REASONS.includes(opts.reason)) {
    throw new InvalidInputError(`reason must be one of ${DECLINE_REASONS.join(", ")}.`);
  }
  const note = noteOf(opts.note, 4000, "note");
  return act(ctx, staff, id, {
    side: "incoming",
    to: "declined",
    kind: "declined",
    note,
    set: { decline_reason: opts.reason },
    check: requireStillAnswerable,
    message: (r) => ({
      type: "referral.decline",
      aud: r.originOrgId,
      thid: r.id,
      body: { reason: opts.reason, ...(note !== null ? { note } : {}) },
    }),
  });
}

/** Withdraws a referral (origin only) from any state before it is completed (§4). */
export async function withdrawReferral(
  ctx: DomainContext,
  staff: Staff,
  id: string,
  opts: { reason: string; note?: string | null },
): Promise<ReferralRecord> {
  const reason = noteOf(opts.reason, 200, "reason");
  if (reason === null) throw new InvalidInputError("A reason is required to withdraw a referral.");
  const note = noteOf(opts.note, 4000, "note");
  return act(ctx, staff, id, {
    side: "outgoing",
    to: "withdrawn",
    kind: "withdrawn",
    note: note === null ? reason : `${reason}: ${note}`,
    message: (r) => {
      // A draft never left this node: nobody else needs to hear that it is withdrawn.
      if (r.status === "draft") return undefined;
      return {
        type: "referral.withdraw",
        aud: r.destinationOrgId,
        thid: r.id,
        body: { reason, ...(note !== null ? { note } : {}) },
      };
    },
  });
}

/** Arrival, progress and outcome, reported by the destination (§4 `referral.update`). */
export async function reportProgress(
  ctx: DomainContext,
  staff: Staff,
  id: string,
  opts: { status: UpdateStatus; outcome?: Outcome | null; note?: string | null },
): Promise<ReferralRecord> {
  if (!UPDATE_STATUSES.includes(opts.status)) {
    throw new InvalidInputError(`status must be one of ${UPDATE_STATUSES.join(", ")}.`);
  }
  const outcome = opts.outcome ?? null;
  if (outcome !== null && !OUTCOMES.includes(outcome)) {
    throw new InvalidInputError(`outcome must be one of ${OUTCOMES.join(", ")}.`);
  }
  if (outcome !== null && opts.status !== "completed" && opts.status !== "closed") {
    throw new InvalidInputError("An outcome is reported only when a referral is completed or closed.");
  }
  const note = noteOf(opts.note, 4000, "note");
  return act(ctx, staff, id, {
    side: "incoming",
    to: opts.status,
    kind: opts.status,
    note,
    ...(outcome !== null ? { set: { outcome } } : {}),
    message: (r) => ({
      type: "referral.update",
      aud: r.originOrgId,
      thid: r.id,
      body: {
        status: opts.status,
        ...(outcome !== null ? { outcome } : {}),
        ...(note !== null ? { note } : {}),
      },
    }),
  });
}

/**
 * Marks `expired` every referral still awaiting an answer whose respondBy has passed (§4). Both sides
 * run it by their own clocks; it sends nothing. Returns the referrals it expired.
 */
export async function expireOverdue(ctx: DomainContext): Promise<string[]> {
  const now = ctx.clock.now();
  const due = await ctx.db
    .selectFrom("referral")
    .select("id")
    .where("status", "in", [...AWAITING_ANSWER])
    .where("respond_by", "is not", null)
    .where("respond_by", "<=", now)
    .orderBy("respond_by")
    .limit(500)
    .execute();
  const expired: string[] = [];
  for (const { id } of due) {
    const events = await ctx.db.transaction().execute(async (trx) => {
      const r = await lockReferral(trx, ctx.dialect, id);
      // Re-checked under the lock: an answer may have arrived since the query above.
      if (!r || !AWAITING_ANSWER.includes(r.status) || r.respondBy === null || r.respondBy > now) return [];
      if (!(await updateStatus(trx, r.id, r.status, "expired", now))) return [];
      return [
        await insertEvent(trx, ctx.ids, {
          referralId: r.id,
          kind: "expired",
          status: "expired",
          actorOrgId: ctx.orgId,
          actorStaff: null,
          note: null,
          messageId: null,
          at: now,
        }),
      ];
    });
    if (events.length > 0) {
      expired.push(id);
      ctx.events.publish(events);
    }
  }
  return expired;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
