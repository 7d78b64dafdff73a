// What an accepted message does to this node's referrals (docs/protocol.md §4). The inbox consumer
// (federation/inbox.ts) has already run checks 1–8 of §2 and calls this inside the transaction that
// stores the message, so the message, its effects and the receipt it earns commit together.
//
// A refusal changes nothing here: the consumer quarantines the message and answers problem.report.
import { minimise } from "@refnet/consent";
import {
  type BodyByType,
  type MessageClaims,
  type MessageType,
  PROBLEM_CODES,
  type ProblemCode,
  type ReferralState,
} from "@refnet/protocol";
import type { Transaction } from "kysely";
import { isConsentRevoked } from "../db/revocations.ts";
import type { Database } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { recordErasureReceipt, recordRevokeProblem } from "./consents.ts";
import { applyRevocation } from "./erasure.ts";
import { lockPerson, sealNewReferral } from "./personal-data.ts";
import { inboundEffect } from "./states.ts";
import { insertEvent, lockReferral, updateStatus } from "./store.ts";
import type { DomainContext, EventKind, ReferralEventRecord, ReferralRecord } from "./types.ts";

export interface InboundResult {
  events: ReferralEventRecord[];
  refusal?: { code: ProblemCode; detail: string };
}

type Claims<T extends MessageType> = MessageClaims<T> & { body: BodyByType[T] };

class Refusal extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/**
 * Applies one accepted message. Returns the timeline events it made (to publish after commit) or a
 * refusal (and then it wrote nothing). Throws only when the database fails.
 */
export async function applyInbound(
  trx: Transaction<Database>,
  claims: MessageClaims,
  ctx: DomainContext,
): Promise<InboundResult> {
  let events: ReferralEventRecord[];
  try {
    events = await dispatch(trx, claims, ctx);
  } catch (err) {
    if (err instanceof Refusal) return { events: [], refusal: { code: err.code, detail: err.detail } };
    throw err;
  }
  // docs/protocol.md §4: every stored message except receipts and problem reports earns a receipt.
  if (claims.type !== "message.receipt" && claims.type !== "problem.report") {
    await sendReceipt(trx, claims, ctx);
  }
  return { events };
}

/**
 * Before the storing transaction: an offer's person gets their data key now, flushed to disk off the
 * event loop (person-vault.ts prepareKey), so the transaction seals under a key already durable.
 */
export async function prepareInbound(claims: MessageClaims, ctx: DomainContext): Promise<void> {
  if (claims.type !== "referral.offer" || !claims.consent) return;
  await ctx.vault.prepareKey({ originOrgId: claims.iss, subjectRef: claims.consent.subjectRef });
}

async function dispatch(
  trx: Transaction<Database>,
  claims: MessageClaims,
  ctx: DomainContext,
): Promise<ReferralEventRecord[]> {
  switch (claims.type) {
    case "referral.offer":
      return onOffer(trx, claims as Claims<"referral.offer">, ctx);
    case "referral.accept": {
      const c = claims as Claims<"referral.accept">;
      return onTransition(trx, c, ctx, {
        from: "destination",
        to: "accepted",
        kind: "accepted",
        note: c.body.note ?? null,
        set: { arrangements: c.body.arrangements ?? null },
      });
    }
    case "referral.decline": {
      const c = claims as Claims<"referral.decline">;
      return onTransition(trx, c, ctx, {
        from: "destination",
        to: "declined",
        kind: "declined",
        note: c.body.note ?? null,
        set: { decline_reason: c.body.reason },
      });
    }
    case "referral.withdraw": {
      const c = claims as Claims<"referral.withdraw">;
      return onTransition(trx, c, ctx, {
        from: "origin",
        to: "withdrawn",
        kind: "withdrawn",
        note: c.body.note ? `${c.body.reason}: ${c.body.note}` : c.body.reason,
      });
    }
    case "referral.update": {
      const c = claims as Claims<"referral.update">;
      return onTransition(trx, c, ctx, {
        from: "destination",
        to: c.body.status,
        kind: c.body.status,
        note: c.body.note ?? null,
        ...(c.body.outcome !== undefined ? { set: { outcome: c.body.outcome } } : {}),
      });
    }
    case "message.receipt":
      return onReceipt(trx, claims as Claims<"message.receipt">, ctx);
    case "problem.report":
      return onProblem(trx, claims as Claims<"problem.report">, ctx);
    case "consent.revoke": {
      // §5.6: on the timeline of every referral held under the consent from that origin, then erased
      // everywhere, remembered, and answered with consent.erased, all in this transaction.
      const c = claims as Claims<"consent.revoke">;
      const revoked = await recordConsentEvent(trx, c, ctx, c.body.consentId, "incoming", "consent_revoked");
      return [...revoked, ...(await applyRevocation(trx, c, ctx))];
    }
    case "consent.erased": {
      // §5.6: the evidence of erasure, on every referral sent to that recipient under the consent, and
      // the revocation's notices to it settled.
      const c = claims as Claims<"consent.erased">;
      await recordErasureReceipt(trx, c, ctx);
      return recordConsentEvent(trx, c, ctx, c.body.consentId, "outgoing", "consent_erased");
    }
    default:
      throw new Refusal(PROBLEM_CODES.bodyUnknownType, "unknown message type");
  }
}

/** A new incoming referral, in state `delivered`; idempotent by referral id (§4 referral.offer). */
async function onOffer(
  trx: Transaction<Database>,
  claims: Claims<"referral.offer">,
  ctx: DomainContext,
): Promise<ReferralEventRecord[]> {
  const { referral, subject } = claims.body;
  const consent = claims.consent;
  if (!consent) throw new Refusal(PROBLEM_CODES.consentMissing, "an offer must carry its consent");
  if (referral.id !== claims.thid)
    throw new Refusal(PROBLEM_CODES.bodyInvalid, "referral.id differs from thid");
  if (claims.iss === ctx.orgId)
    throw new Refusal(PROBLEM_CODES.stateConflict, "an offer from this node itself");

  const existing = await lockReferral(trx, ctx, referral.id);
  if (existing) {
    if (existing.direction === "incoming" && existing.originOrgId === claims.iss) return [];
    throw new Refusal(PROBLEM_CODES.stateConflict, "the referral id is already in use");
  }
  // Defence in depth: the consumer refused fields outside the consent already (§5.4); whatever slipped
  // through would be refused here rather than stored.
  const { subject: kept, removed } = minimise(subject, consent);
  if (removed.length > 0) {
    throw new Refusal(
      PROBLEM_CODES.consentOutOfScope,
      `subject carries fields outside the consent: ${removed.join(", ")}`,
    );
  }
  if (subject.ref !== consent.subjectRef) {
    throw new Refusal(PROBLEM_CODES.bodyInvalid, "subject.ref differs from consent.subjectRef");
  }
  // Also checked before (§5.4.3 rule 2, inbox.ts); here under the transaction that stores the offer.
  if (await isConsentRevoked(trx, claims.iss, consent.id)) {
    throw new Refusal(PROBLEM_CODES.consentRevoked, "the consent was revoked by its origin");
  }
  const now = ctx.clock.now();
  const respondBy = referral.respondBy !== undefined ? Date.parse(referral.respondBy) : Number.NaN;
  // Sealed under the person's data key before it is stored (docs/data-at-rest.md): the person is the
  // sender's pseudonym, so two origins' people never share a key.
  const person = { originOrgId: claims.iss, subjectRef: consent.subjectRef };
  await lockPerson(trx, ctx.dialect, person);
  const sealed = sealNewReferral(ctx.vault, person, referral.id, {
    subject: kept,
    summary: referral.summary ?? null,
    consent,
  });
  await trx
    .insertInto("referral")
    .values({
      id: referral.id,
      direction: "incoming",
      status: "delivered",
      origin_org_id: claims.iss,
      destination_org_id: ctx.orgId,
      urgency: referral.urgency,
      services: JSON.stringify(referral.services),
      summary: sealed.summary,
      proposed_arrival: referral.proposedArrival ?? null,
      respond_by: Number.isFinite(respondBy) ? respondBy : null,
      subject: sealed.subject,
      subject_ref: consent.subjectRef,
      consent: sealed.consent,
      consent_id: consent.id,
      // The expiry sweep erases the person's fields once the consent runs out (erasure.ts).
      consent_expires_at: consent.expiresAt * 1000,
      decline_reason: null,
      outcome: null,
      arrangements: null,
      created_by: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const e = await partnerEvent(trx, ctx, claims, {
    referralId: referral.id,
    kind: "delivered",
    status: "delivered",
    note: null,
    at: now,
  });
  return [e];
}

interface TransitionSpec {
  /** The party that may send this message. */
  from: "origin" | "destination";
  to: ReferralState;
  kind: EventKind;
  note: string | null;
  set?: { decline_reason?: string | null; outcome?: string | null; arrangements?: string | null };
}

/** The referral this message is about, when the sender is a party to it; refusal otherwise. */
async function referralOfParty(
  trx: Transaction<Database>,
  claims: MessageClaims,
  ctx: DomainContext,
): Promise<ReferralRecord> {
  const r = await lockReferral(trx, ctx, claims.thid);
  // A sender that is not a party learns nothing about whether the referral exists.
  if (!r || (r.originOrgId !== claims.iss && r.destinationOrgId !== claims.iss)) {
    throw new Refusal(
      PROBLEM_CODES.unknownReferral,
      "no referral with this thid between these organizations",
    );
  }
  return r;
}

async function onTransition(
  trx: Transaction<Database>,
  claims: MessageClaims,
  ctx: DomainContext,
  spec: TransitionSpec,
): Promise<ReferralEventRecord[]> {
  const r = await referralOfParty(trx, claims, ctx);
  // The origin may withdraw; the destination may accept, decline and update (§4).
  const senderIs = r.originOrgId === claims.iss ? "origin" : "destination";
  const ourSide = spec.from === "origin" ? "incoming" : "outgoing";
  if (senderIs !== spec.from || r.direction !== ourSide) {
    throw new Refusal(PROBLEM_CODES.stateConflict, `${claims.type} may only come from the ${spec.from}`);
  }
  const effect = inboundEffect(r.status, spec.to, answeredInTime(r, claims));
  if (effect === "conflict") {
    throw new Refusal(PROBLEM_CODES.stateConflict, `a ${r.status} referral cannot become ${spec.to}`);
  }
  // §4.14: the message crossed one of ours; it is stored and receipted, and changes nothing here.
  if (effect === "ignore") return [];
  const now = ctx.clock.now();
  if (!(await updateStatus(trx, ctx.vault, r, spec.to, now, spec.set))) {
    throw new Refusal(PROBLEM_CODES.stateConflict, "the referral changed concurrently");
  }
  const e = await partnerEvent(trx, ctx, claims, {
    referralId: r.id,
    kind: spec.kind,
    status: spec.to,
    note: spec.note,
    at: now,
  });
  return [e];
}

/**
 * The answer was sealed no later than respondBy (§4.14): the destination answered in time by its own
 * clock, even if this node has since marked the referral expired by its own.
 */
function answeredInTime(r: ReferralRecord, claims: MessageClaims): boolean {
  return r.respondBy !== null && claims.iat * 1000 <= r.respondBy;
}

/** sent → delivered for each acknowledged offer of ours to that sender (§4 message.receipt). */
async function onReceipt(
  trx: Transaction<Database>,
  claims: Claims<"message.receipt">,
  ctx: DomainContext,
): Promise<ReferralEventRecord[]> {
  const acked = [...new Set(claims.body.ack)];
  if (acked.length === 0) return [];
  const offers = await trx
    .selectFrom("outbox")
    .select(["jti", "thid"])
    .where("jti", "in", acked)
    .where("aud", "=", claims.iss)
    .where("type", "=", "referral.offer")
    .execute();
  const events: ReferralEventRecord[] = [];
  const now = ctx.clock.now();
  for (const o of offers) {
    const r = await lockReferral(trx, ctx, o.thid);
    // Anything past `sent` already knows it arrived (an answer can overtake the receipt).
    if (r?.direction !== "outgoing" || r.destinationOrgId !== claims.iss || r.status !== "sent") continue;
    if (!(await updateStatus(trx, ctx.vault, r, "delivered", now))) continue;
    events.push(
      await partnerEvent(trx, ctx, claims, {
        referralId: r.id,
        kind: "delivered",
        status: "delivered",
        note: null,
        at: now,
      }),
    );
  }
  return events;
}

/** Recorded on the referral's timeline with its code only: a comment may hold anything (§4). */
async function onProblem(
  trx: Transaction<Database>,
  claims: Claims<"problem.report">,
  ctx: DomainContext,
): Promise<ReferralEventRecord[]> {
  // A refused consent.revoke of ours shows on its revocation, for staff (consents.ts).
  await recordRevokeProblem(trx, claims.iss, claims.body.ack, claims.body.code, ctx.clock.now());
  const r = await lockReferral(trx, ctx, claims.thid);
  if (!r || (r.originOrgId !== claims.iss && r.destinationOrgId !== claims.iss)) return [];
  const e = await partnerEvent(trx, ctx, claims, {
    referralId: r.id,
    kind: "problem",
    status: r.status,
    note: claims.body.code,
    at: ctx.clock.now(),
  });
  return [e];
}

async function recordConsentEvent(
  trx: Transaction<Database>,
  claims: MessageClaims,
  ctx: DomainContext,
  consentId: string,
  direction: "incoming" | "outgoing",
  kind: EventKind,
): Promise<ReferralEventRecord[]> {
  // consent.revoke comes from the origin (our incoming referrals), consent.erased from a recipient.
  const party = direction === "incoming" ? "origin_org_id" : "destination_org_id";
  const rows = await trx
    .selectFrom("referral")
    .select(["id", "status"])
    .where("consent_id", "=", consentId)
    .where("direction", "=", direction)
    .where(party, "=", claims.iss)
    .execute();
  const now = ctx.clock.now();
  const events: ReferralEventRecord[] = [];
  for (const row of rows) {
    events.push(
      await insertEvent(trx, ctx, {
        referralId: row.id,
        kind,
        status: row.status as ReferralState,
        actorOrgId: claims.iss,
        actorStaff: null,
        note: null,
        messageId: claims.jti,
        at: now,
      }),
    );
  }
  return events;
}

async function sendReceipt(
  trx: Transaction<Database>,
  claims: MessageClaims,
  ctx: DomainContext,
): Promise<void> {
  try {
    await ctx.messages.enqueue(trx, {
      type: "message.receipt",
      aud: claims.iss,
      thid: claims.thid,
      body: { ack: [claims.jti] },
    });
  } catch (err) {
    // The sender is no longer reachable (suspended, no key in force): the message is still stored and
    // applied; only the receipt is lost. A database error is not caught: the transaction must fail.
    if (!(err instanceof AppError)) throw err;
  }
}

/** A timeline event caused by a partner's message: the partner is the actor, the message its source. */
function partnerEvent(
  trx: Transaction<Database>,
  ctx: DomainContext,
  claims: MessageClaims,
  e: { referralId: string; kind: EventKind; status: ReferralState; note: string | null; at: number },
): Promise<ReferralEventRecord> {
  return insertEvent(trx, ctx, {
    ...e,
    actorOrgId: claims.iss,
    actorStaff: null,
    messageId: claims.jti,
  });
}
