// The actions staff take on a referral. Each runs in ONE transaction: the row's new state, its
// timeline event and the message it implies (sealed into the outbox) commit together or not at all
// (docs/protocol.md §3, transactional outbox). Live events are published only after the commit.
import { minimise } from "@refnet/consent";
import {
  AGE_BANDS,
  type Consent,
  DECLINE_REASONS,
  type DeclineReason,
  ID_PATTERN,
  ISO_639_PATTERN,
  JTI_PATTERN,
  type MessageClaims,
  OUTCOMES,
  type Outcome,
  type OutgoingMessage,
  PROBLEM_CODES,
  ProtocolError,
  PURPOSES,
  type Purpose,
  type ReferralState,
  SUBJECT_REF_PATTERN,
  type Subject,
  UPDATE_STATUSES,
  type UpdateStatus,
  URGENCIES,
  type Urgency,
  validateBody,
} from "@refnet/protocol";
import { boundedText, dateTime, fullDate, uniqueArray } from "@refnet/protocol/primitives";
import type { Kysely, Transaction } from "kysely";
import { z } from "zod";
import { carriesPersonalData, disclosureEntry } from "../audit/disclosure.ts";
import type { Staff } from "../auth.ts";
import type { Database } from "../db/schema.ts";
import { AppError, InvalidInputError, InvalidStateError, NotFoundError } from "../errors.ts";
import type { SealedMessage } from "../federation/contracts.ts";
import { consentExpiresAtMs } from "./consent-time.ts";
import {
  buildConsentRecord,
  type ConsentFieldsInput,
  consentFieldsSchema,
  consentRecordedEntries,
  findConsent,
  insertConsent,
  lockConsent,
  requireNotRevokedAt,
  requireUsable,
  toWireConsent,
} from "./consents.ts";
import { lockPerson, personOf, sealNewReferral } from "./personal-data.ts";
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
  /**
   * Exactly one of the two: the consent as the person gave it now (recorded with the draft, in the same
   * transaction), or the id of a consent recorded before (recordConsent; an approved override).
   */
  consent?: ConsentFieldsInput | null;
  consentId?: string | null;
}

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
  consent: consentFieldsSchema.nullish(),
  consentId: z.string().regex(JTI_PATTERN, "must be a consent id").nullish(),
});

/** Turns a zod failure into one ERR_INVALID_INPUT naming the fields (never their values). */
function invalid(error: z.ZodError, prefix: string): InvalidInputError {
  const parts = error.issues.slice(0, 5).map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
    return `${path}: ${i.message}`;
  });
  return new InvalidInputError(`Invalid input: ${parts.join("; ")}`);
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

  if ((d.consent == null) === (d.consentId == null)) {
    throw new InvalidInputError(
      "Give exactly one of consent (recorded with the draft) and consentId (a consent recorded before).",
    );
  }
  // Recorded in the same transaction as the draft (the inline convenience): checked here, stored below.
  const inline = d.consent
    ? buildConsentRecord(ctx, staff, { ...d.consent, subjectRef: d.subject.ref ?? null }, { inline: true })
    : undefined;
  if (d.respondBy != null && d.respondBy <= now) {
    throw new InvalidInputError("respondBy must be in the future.");
  }
  requireDestination(ctx, d.destinationOrgId);

  const id = ctx.ids.newId();
  // A new person's data key, made and flushed to disk before the transaction (person-vault.ts).
  if (inline) await ctx.vault.prepareKey({ originOrgId: ctx.orgId, subjectRef: inline.subjectRef });
  const { record, events } = await ctx.db.transaction().execute(async (trx) => {
    // The consent row first, then the person and the referral (consents.ts: the lock order).
    const c = inline ?? (await lockConsent(trx, ctx, d.consentId!, "share"));
    if (!c) throw new NotFoundError("No such consent.");
    // docs/protocol.md §5.4: the recipient must be named, the services must be among the purposes, and
    // the consent must be in force (an override approved); refusing here saves a message the partner
    // would refuse.
    requireUsable(c, now, { destination: d.destinationOrgId, services: d.services });
    await requireNotRevokedAt(trx, c, d.destinationOrgId);
    if (d.subject.ref != null && d.subject.ref !== c.subjectRef) {
      throw new InvalidInputError("subject.ref differs from the consent's subjectRef: it is another person.");
    }
    const consent = toWireConsent(c);
    const { ref: _ref, ...fields } = d.subject;
    const full: Subject = { ...dropUndefined(fields), ref: c.subjectRef };
    const { subject } = minimise(full, consent);
    // The exact body schema the partner will apply (docs/protocol.md §4.3): a draft that is stored can be sent.
    const checked = validateBody("referral.offer", offerBody({ id, ...d, subject }), { thid: id });
    if (!checked.ok)
      throw new InvalidInputError(`The referral would be refused by its destination: ${checked.detail}`);
    if (inline) {
      await insertConsent(trx, ctx, inline);
      await ctx.audit.appendMany(trx, consentRecordedEntries(staff, inline, id));
    }

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
      erasure: null,
    };
    // Sealed under the person's data key, in the transaction that holds the person's lock (so the
    // retention job cannot destroy that key before this row commits); docs/data-at-rest.md.
    const person = personOf(record);
    await lockPerson(trx, ctx.dialect, person);
    const sealed = sealNewReferral(ctx.vault, person, record.id, record);
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
        summary: sealed.summary,
        proposed_arrival: record.proposedArrival,
        respond_by: record.respondBy,
        subject: sealed.subject,
        subject_ref: c.subjectRef,
        consent: sealed.consent,
        consent_id: consent.id,
        consent_expires_at: c.expiresAt,
        decline_reason: null,
        outcome: null,
        arrangements: null,
        created_by: record.createdBy,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const e = await insertEvent(trx, ctx, {
      referralId: record.id,
      kind: "created",
      status: "draft",
      actorOrgId: ctx.orgId,
      actorStaff: staff.username,
      note: null,
      messageId: null,
      at: now,
    });
    return { record, events: [e] };
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
  /** Locks to take in the transaction before the referral's own (a consent row: consents.ts). */
  lockFirst?(trx: Transaction<Database>): Promise<void>;
  /**
   * The referral as the action sees it, from what else it depends on (sending: the consent record as it
   * stands now), with the refusal that dependency implies; runs before the checks, under the locks.
   */
  prepare?(db: Kysely<Database> | Transaction<Database>, r: ReferralRecord): Promise<Prepared>;
  /** Columns to store from the prepared referral with the new state (sending: what was sent). */
  store?(r: ReferralRecord): { subject?: string; consent?: string };
}

interface Prepared {
  r: ReferralRecord;
  refusal?: AppError;
}

/** Refuses when the referral cannot take this action; the same checks before and under the lock. */
function checkAction(r: ReferralRecord, spec: ActionSpec, now: number, refusal?: AppError): void {
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
  if (refusal) throw refusal;
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
  const found = await findReferral(ctx.db, ctx.vault, id);
  if (!found) return undefined;
  const { r, refusal } = spec.prepare ? await spec.prepare(ctx.db, found) : { r: found, refusal: undefined };
  try {
    checkAction(r, spec, now, refusal);
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
    await spec.lockFirst?.(trx);
    const locked = await lockReferral(trx, ctx, id);
    if (!locked) throw new NotFoundError("No such referral.");
    const { r, refusal } = spec.prepare ? await spec.prepare(trx, locked) : { r: locked, refusal: undefined };
    checkAction(r, spec, now, refusal);
    let claims: MessageClaims | undefined;
    const msg = spec.message?.(r, now);
    if (msg) {
      claims =
        pre && pre.json === JSON.stringify(msg)
          ? await ctx.messages.store(trx, pre.sealed).catch(toDomainError)
          : await ctx.messages.enqueue(trx, msg).catch(toDomainError);
      sent = true;
    }
    if (!(await updateStatus(trx, ctx.vault, r, spec.to, now, { ...spec.set, ...spec.store?.(r) }))) {
      throw new InvalidStateError("The referral changed while this was being done; try again.");
    }
    const e = await insertEvent(trx, ctx, {
      referralId: r.id,
      kind: spec.kind,
      status: spec.to,
      actorOrgId: ctx.orgId,
      actorStaff: staff.username,
      note: spec.note,
      messageId: claims?.jti ?? null,
      at: now,
    });
    // docs/audit.md: a message carrying the person's data is a disclosure, recorded in this transaction
    // so that the outbox row and its audit entry commit together, or neither does.
    if (claims && carriesPersonalData(claims)) await ctx.audit.append(trx, disclosureEntry(staff, claims));
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
    check: (r, now) => checkSendable(ctx, r, now),
    // The consent row before the referral's (consents.ts), and read as it stands under that lock: a
    // revocation or an approval that committed first is what the offer carries.
    lockFirst: async (trx) => {
      const row = await trx
        .selectFrom("referral")
        .select("consent_id")
        .where("id", "=", id)
        .executeTakeFirst();
      if (row) await lockConsent(trx, ctx, row.consent_id, "share");
    },
    prepare: (db, r) => offerView(ctx, db, r),
    message: (r) => {
      // Minimised again at the boundary: the prepared subject already is, this keeps it so whatever
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
    // The row keeps exactly what left: the subject and the consent object as sent.
    store: (r) => ({ subject: JSON.stringify(r.subject), consent: JSON.stringify(r.consent) }),
  });
}

function checkSendable(ctx: DomainContext, r: ReferralRecord, now: number): void {
  requireConsentInForce(r, now);
  if (r.respondBy !== null && r.respondBy <= now) {
    throw new InvalidStateError("respondBy has passed: draft the referral again with a later date.");
  }
  requireDestination(ctx, r.destinationOrgId);
}

/**
 * A draft as sending it now would send it: the consent object built from the consent record as it
 * stands (revoked scopes gone, the override with its approver) and the subject minimised to it, with
 * the refusal the record implies (revoked, expired, override not approved). Other referrals as they are.
 */
async function offerView(
  ctx: DomainContext,
  db: Kysely<Database> | Transaction<Database>,
  r: ReferralRecord,
): Promise<Prepared> {
  if (r.direction !== "outgoing" || r.status !== "draft") return { r };
  const c = await findConsent(db, ctx, r.consent.id);
  if (!c) return { r };
  try {
    requireUsable(c, ctx.clock.now(), { destination: r.destinationOrgId, services: r.services });
    await requireNotRevokedAt(db, c, r.destinationOrgId);
  } catch (err) {
    if (err instanceof AppError) return { r, refusal: err };
    throw err;
  }
  const consent = toWireConsent(c);
  return { r: { ...r, consent, subject: minimise(r.subject, consent).subject } };
}

export interface DisclosurePreview {
  referral: ReferralRecord;
  /** Field names of `subject` that leave this node if it is sent now (or that left, once sent). */
  fields: string[];
  /** The consent object as it travels (or travelled). */
  consent: Consent;
  /** Whether the offer already left this node. */
  sent: boolean;
  /** Why sending it now would be refused (an ERR_* code), or null. */
  blockedBy: string | null;
}

/**
 * What sending a referral would disclose, computed by the very code that sends it (offerView, then the
 * message's own minimisation), so the preview and the offer cannot disagree. For a referral already
 * sent, what it carried; for an incoming one, what arrived.
 */
export async function previewDisclosure(ctx: DomainContext, id: string): Promise<DisclosurePreview> {
  const found = await findReferral(ctx.db, ctx.vault, id);
  if (!found) throw new NotFoundError("No such referral.");
  if (found.direction !== "outgoing" || found.status !== "draft") {
    return {
      referral: found,
      fields: disclosedFields(found.subject),
      consent: found.consent,
      sent: found.direction === "outgoing",
      blockedBy: null,
    };
  }
  const { r, refusal } = await offerView(ctx, ctx.db, found);
  let blockedBy = refusal?.code ?? null;
  if (blockedBy === null) {
    try {
      checkSendable(ctx, r, ctx.clock.now());
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      blockedBy = err.code;
    }
  }
  const { subject } = minimise(r.subject, r.consent);
  return { referral: r, fields: disclosedFields(subject), consent: r.consent, sent: false, blockedBy };
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
      const r = await lockReferral(trx, ctx, id);
      // Re-checked under the lock: an answer may have arrived since the query above.
      if (!r || !AWAITING_ANSWER.includes(r.status) || r.respondBy === null || r.respondBy > now) return [];
      if (!(await updateStatus(trx, ctx.vault, r, "expired", now))) return [];
      return [
        await insertEvent(trx, ctx, {
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
