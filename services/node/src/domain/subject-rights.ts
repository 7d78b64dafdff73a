// A person's rights over what this node holds about them (docs/consent.md): a full export, and the
// erasure of everything, which at an origin also revokes every consent of theirs so that each
// organization that received their data erases it too (docs/protocol.md §5.6).
import { ID_PATTERN, SUBJECT_REF_PATTERN } from "@refnet/protocol";
import { staffActor } from "../audit/entry.ts";
import { requireRole, type Staff } from "../auth.ts";
import { InvalidInputError } from "../errors.ts";
import type { Person } from "../person-vault.ts";
import {
  type ConsentRecord,
  consentStatus,
  fitList,
  listConsents,
  listRevocations,
  lockConsent,
  type RevocationRecord,
  revokeLocked,
} from "./consents.ts";
import { eraseSubjectFields } from "./erasure.ts";
import { timelineOf, toReferralRecord } from "./store.ts";
import type { DomainContext, ReferralEventRecord } from "./types.ts";

/**
 * The person named by a pseudonym and the organization that chose it (this node's own people when
 * `originOrgId` is absent): two origins may choose the same pseudonym for two different people.
 */
function personOf(ctx: DomainContext, subjectRef: string, originOrgId?: string | null): Person {
  if (!SUBJECT_REF_PATTERN.test(subjectRef)) {
    throw new InvalidInputError(
      "subjectRef must be a pseudonym of 4 to 64 letters, digits, '_', '.', ':' or '-'.",
    );
  }
  if (originOrgId != null && !ID_PATTERN.test(originOrgId)) {
    throw new InvalidInputError("originOrgId must be an organization id.");
  }
  return { originOrgId: originOrgId ?? ctx.orgId, subjectRef };
}

/**
 * Why a person's data is erased: a closed list (the grounds of GDPR Art. 17(1), and a risk to the
 * person), so that the erasure record and the audit trail never hold free text about them.
 */
export const SUBJECT_ERASURE_REASONS = [
  "person_request",
  "consent_withdrawn",
  "no_longer_needed",
  "unlawful_processing",
  "legal_obligation",
  "safety_risk",
] as const;
export type SubjectErasureReason = (typeof SUBJECT_ERASURE_REASONS)[number];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function exportRevocation(r: RevocationRecord) {
  return {
    id: r.id,
    scopes: r.scopes,
    all: r.scopes === null,
    cause: r.cause,
    requestedBy: r.requestedBy,
    requestedAt: iso(r.requestedAt),
    deadline: iso(r.deadlineAt),
    recipients: r.recipients.map((x) => ({
      orgId: x.orgId,
      status: x.status,
      erasedAt: iso(x.erasedAt),
      referralIds: x.referralIds,
      queued: x.queued,
      problem: x.problem,
    })),
  };
}

function exportConsent(c: ConsentRecord, now: number, revocations: RevocationRecord[]) {
  return {
    id: c.id,
    status: consentStatus(c, now),
    givenBy: c.givenBy,
    method: c.method,
    language: c.language,
    textVersion: c.textVersion,
    scopes: c.scopes,
    revokedScopes: c.revokedScopes,
    revokedAll: c.revokedAll,
    purposes: c.purposes,
    recipients: c.recipients,
    grantedAt: iso(c.grantedAt),
    expiresAt: iso(c.expiresAt),
    recordedBy: c.recordedBy,
    recordedAt: iso(c.recordedAt),
    override: c.override && {
      reason: c.override.reason,
      note: c.override.note,
      requestedBy: c.override.requestedBy,
      approvedBy: c.override.approvedBy,
      approvedAt: iso(c.override.approvedAt),
    },
    erasedAt: iso(c.erasedAt),
    revocations: revocations.map(exportRevocation),
  };
}

/**
 * Everything this node holds about one person, as one JSON document (wire values, ISO times): the
 * consents recorded for them with their revocations, every referral about them with the fields it
 * holds and its timeline, the revocations received from origins, and the erasures made here.
 * Supervisors and admins only: it is the whole file on a person.
 */
export async function exportSubject(
  ctx: DomainContext,
  staff: Staff,
  subjectRef: string,
  originOrgId?: string | null,
) {
  requireRole(staff, "supervisor");
  const person = personOf(ctx, subjectRef, originOrgId);
  const now = ctx.clock.now();
  // Consents are recorded by the origin only: this node's own people.
  const consents = person.originOrgId === ctx.orgId ? await listConsents(ctx.db, ctx, subjectRef) : [];
  const rows = await ctx.db
    .selectFrom("referral")
    .selectAll()
    .where("origin_org_id", "=", person.originOrgId)
    .where("subject_ref", "=", subjectRef)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  const referrals = [];
  for (const row of rows) {
    const r = toReferralRecord(row, ctx.vault);
    const timeline = await timelineOf(ctx.db, ctx.vault, r.id);
    referrals.push({
      id: r.id,
      direction: r.direction,
      status: r.status,
      originOrgId: r.originOrgId,
      destinationOrgId: r.destinationOrgId,
      urgency: r.urgency,
      services: r.services,
      summary: r.summary,
      proposedArrival: r.proposedArrival,
      respondBy: iso(r.respondBy),
      subject: r.subject,
      consent: r.consent,
      declineReason: r.declineReason,
      outcome: r.outcome,
      arrangements: r.arrangements,
      createdBy: r.createdBy,
      createdAt: iso(r.createdAt),
      updatedAt: iso(r.updatedAt),
      erasure: r.erasure && { ...r.erasure, at: iso(r.erasure.at) },
      timeline: timeline.map((e) => ({
        kind: e.kind,
        status: e.status,
        actorOrgId: e.actorOrgId,
        actorStaff: e.actorStaff,
        note: e.note,
        messageId: e.messageId,
        at: iso(e.at),
      })),
    });
  }
  const received = [];
  const incoming = rows.filter((r) => r.direction === "incoming");
  for (const key of new Set(incoming.map((r) => `${r.origin_org_id}\u0000${r.consent_id}`))) {
    const [origin, consentId] = key.split("\u0000") as [string, string];
    const rv = await ctx.db
      .selectFrom("consent_revoked_by_origin")
      .selectAll()
      .where("origin_org_id", "=", origin)
      .where("consent_id", "=", consentId)
      .executeTakeFirst();
    if (rv) {
      received.push({
        originOrgId: rv.origin_org_id,
        consentId: rv.consent_id,
        scopes: JSON.parse(rv.scopes) as string[],
        all: Number(rv.revoked_all) === 1,
        firstAt: iso(Number(rv.first_at)),
        lastAt: iso(Number(rv.last_at)),
      });
    }
  }
  const erasures = await ctx.db
    .selectFrom("subject_erasure")
    .selectAll()
    .where("origin_org_id", "=", person.originOrgId)
    .where("subject_ref", "=", subjectRef)
    .orderBy("erased_at")
    .execute();
  const quarantined = await ctx.db
    .selectFrom("quarantine")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("iss", "=", person.originOrgId)
    .where("subject_ref", "=", subjectRef)
    .where("envelope", "!=", "")
    .executeTakeFirstOrThrow();
  const doc = {
    format: "refnet-subject-export/1",
    node: ctx.orgId,
    originOrgId: person.originOrgId,
    subjectRef,
    exportedAt: iso(now),
    exportedBy: staff.username,
    consents: await Promise.all(
      consents.map(async (c) => exportConsent(c, now, await listRevocations(ctx.db, c.id, now))),
    ),
    referrals,
    revocationsReceived: received,
    erasures: erasures.map((e) => ({
      at: iso(Number(e.erased_at)),
      by: e.erased_by,
      reason: e.reason as SubjectErasureReason,
      referrals: Number(e.referrals),
      consentsRevoked: Number(e.consents_revoked),
    })),
    /** Refused messages about them still held (as ciphertext this node's key opens). */
    quarantinedMessages: Number(quarantined.n),
  };
  // docs/audit.md: recorded before the document is returned; when it cannot be, nothing is returned.
  await ctx.audit.record([
    {
      kind: "export",
      actor: staffActor(staff),
      subjectRef,
      partnerOrgId: person.originOrgId === ctx.orgId ? null : person.originOrgId,
      detail: {
        consents: doc.consents.length,
        referralCount: referrals.length,
        referrals: fitList(referrals.map((r) => r.id)),
        revocationsReceived: received.length,
        erasures: erasures.length,
      },
    },
  ]);
  return doc;
}

export interface SubjectErasureResult {
  originOrgId: string;
  subjectRef: string;
  erasedAt: number;
  /** Referral rows erased on this node. */
  referrals: number;
  /** Consents of the person revoked now (each sends consent.revoke to whoever received data). */
  consentsRevoked: number;
  revocations: RevocationRecord[];
}

/**
 * Erases everything this node holds about one person, in ONE transaction: every consent recorded for
 * them still in force is revoked whole (so each organization that received their data is told to
 * erase it, and tracked until it answers), then every subject field, note and quarantined envelope
 * about them is erased here. The pseudonym and the consent records remain, as the evidence of what
 * was done. Supervisors and admins only; the reason (one of a closed list) is kept with the erasure
 * record.
 */
export async function eraseSubject(
  ctx: DomainContext,
  staff: Staff,
  subjectRef: string,
  reason: SubjectErasureReason,
  originOrgId?: string | null,
): Promise<SubjectErasureResult> {
  requireRole(staff, "supervisor");
  const person = personOf(ctx, subjectRef, originOrgId);
  if (!SUBJECT_ERASURE_REASONS.includes(reason)) {
    throw new InvalidInputError(`reason must be one of ${SUBJECT_ERASURE_REASONS.join(", ")}.`);
  }
  let queued = false;
  const events: ReferralEventRecord[] = [];
  const result = await ctx.db.transaction().execute(async (trx) => {
    const ids =
      person.originOrgId === ctx.orgId
        ? await trx
            .selectFrom("consent")
            .select("id")
            .where("subject_ref", "=", subjectRef)
            .orderBy("id")
            .execute()
        : [];
    const revocations: RevocationRecord[] = [];
    const now = ctx.clock.now();
    for (const { id } of ids) {
      const c = await lockConsent(trx, ctx, id, "update");
      if (!c) continue;
      if (!c.revokedAll) {
        const r = await revokeLocked(trx, ctx, staff, c, null, "subject_erased");
        revocations.push(r.revocation);
        events.push(...r.events);
        queued ||= r.queued;
      }
      await trx
        .updateTable("consent")
        .set({ erased_at: now, override_note: null, updated_at: now })
        .where("id", "=", id)
        .execute();
    }
    const erased = await eraseSubjectFields(trx, ctx, {
      person,
      scopes: "all",
      reason: "subject_erased",
      by: { type: "staff", staff },
      auditDetail: { request: reason, consentsRevoked: revocations.length },
    });
    events.push(...erased.events);
    await trx
      .insertInto("subject_erasure")
      .values({
        id: ctx.ids.newId(),
        origin_org_id: person.originOrgId,
        subject_ref: subjectRef,
        reason,
        erased_by: staff.username,
        erased_at: erased.at,
        referrals: erased.referralIds.length,
        consents_revoked: revocations.length,
      })
      .execute();
    return {
      originOrgId: person.originOrgId,
      subjectRef,
      erasedAt: erased.at,
      referrals: erased.referralIds.length,
      consentsRevoked: revocations.length,
      revocations,
    };
  });
  ctx.events.publish(events);
  if (queued) ctx.outboxChanged();
  return result;
}
