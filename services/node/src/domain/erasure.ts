// Erasure of a person's data (docs/protocol.md §5.6, docs/consent.md). ONE function removes subject
// fields wherever this node keeps them: eraseSubjectFields. Everything that erases calls it: a
// received consent.revoke, the expiry sweep, the re-minimising of drafts after a revocation at the
// origin, and the erasure of a whole person (subject-rights.ts). The fields are deleted, not hidden:
// after it commits, no query can return them, because they are no longer stored.
//
// Where a person's fields can be on a node, and what happens to each:
// - referral.subject: the fields of the erased scopes are removed and the rest sealed again under the
//   person's key (store.ts updateSubject); with "all", every member but `ref` (§5.6), and the
//   referral's summary too (free text written about the person);
// - referral_event.note: with "all", the notes the partner wrote (they came with the person's data);
//   for the erasure of a whole person, every note, the arrangements and an override's grounds;
// - quarantine.envelope: ciphertext this node's own key opens (§8): blanked for the refused messages
//   of the same threads, consent or person;
// - outbox.envelope: an offer already published is ciphertext only its recipient can open; it is
//   blanked all the same (the row stays: its jti still matches the receipt);
// - the person's data key (person-vault.ts): destroyed for the erasure of a whole person, so that
//   copies of their fields in backups of the database can no longer be read.
import { SCOPE_FIELDS } from "@refnet/consent";
import type { Consent, ConsentRevokeBody, MessageClaims, Scope, Subject } from "@refnet/protocol";
import { SCOPES } from "@refnet/protocol";
import type { Transaction } from "kysely";
import { partnerActor, SYSTEM_ACTOR, staffActor } from "../audit/entry.ts";
import type { Staff } from "../auth.ts";
import type { Database } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { Person } from "../person-vault.ts";
import { lockPerson, personOf, rekeyPerson } from "./personal-data.ts";
import { insertEvent, lockReferral, updateSubject } from "./store.ts";
import type { DomainContext, ReferralEventRecord, ReferralRecord } from "./types.ts";

export interface ErasureTarget {
  /** Every referral about this person (either direction). */
  person?: Person;
  /** Every referral received from `from` under consent `consentId` (a consent id is its origin's). */
  received?: { from: string; consentId: string };
  /** Exactly these referrals. */
  referralIds?: readonly string[];
  /** The scopes whose fields go, or "all": every member of `subject` but `ref`. */
  scopes: readonly Scope[] | "all";
  reason: "consent_revoked" | "consent_expired" | "subject_erased";
  /** Threads whose quarantined messages from `received.from` go too, besides the referrals' own. */
  threads?: readonly string[];
  /** Who erases, for the timeline and the audit trail. */
  by: ErasureActor;
  /** More for the audit entry's detail (codes and counts only, docs/audit.md). */
  auditDetail?: Readonly<Record<string, string | number | boolean | null>>;
  /** A new consent snapshot for the referrals touched (drafts re-minimised after a revocation). */
  consent?: Consent;
}

/** A staff member of this node, a partner by its message (a revoke), or the node itself (expiry). */
export type ErasureActor =
  | { type: "staff"; staff: Pick<Staff, "id" | "username"> }
  | { type: "partner"; orgId: string; messageId: string }
  | { type: "system" };

export interface ErasureResult {
  /** The referrals whose rows were rewritten. */
  referralIds: string[];
  /** Quarantined envelopes blanked. */
  quarantined: number;
  /** Milliseconds, the time recorded on every row. */
  at: number;
  /** Timeline events, to publish after commit. */
  events: ReferralEventRecord[];
}

/**
 * Erases subject fields, inside the caller's transaction (which must also hold the lock of any consent
 * row it relies on; referral rows are locked here). The filters of `target` combine with AND; at least
 * one of person, received and referralIds is required. The erasure of a whole person (reason
 * subject_erased, target.person, "all") also destroys the person's data key (crypto-shredding), so
 * that copies of their fields in backups of the database can no longer be read either.
 */
export async function eraseSubjectFields(
  trx: Transaction<Database>,
  ctx: DomainContext,
  target: ErasureTarget,
): Promise<ErasureResult> {
  if (target.person === undefined && target.received === undefined && target.referralIds === undefined) {
    throw new Error("eraseSubjectFields needs a person, a received consent or referralIds");
  }
  const at = ctx.clock.now();
  const all = target.scopes === "all";
  const scopes: Scope[] = all
    ? [...SCOPES]
    : SCOPES.filter((s) => (target.scopes as readonly Scope[]).includes(s));
  const whole = target.reason === "subject_erased";

  let q = trx.selectFrom("referral").select("id");
  if (target.person !== undefined) {
    q = q
      .where("origin_org_id", "=", target.person.originOrgId)
      .where("subject_ref", "=", target.person.subjectRef);
  }
  if (target.received !== undefined) {
    q = q
      .where("direction", "=", "incoming")
      .where("origin_org_id", "=", target.received.from)
      .where("consent_id", "=", target.received.consentId);
  }
  if (target.referralIds !== undefined) {
    if (target.referralIds.length === 0) return { referralIds: [], quarantined: 0, at, events: [] };
    q = q.where("id", "in", [...target.referralIds]);
  }
  const rows = await q.select(["origin_org_id", "subject_ref"]).orderBy("id").execute();
  const timelineActor =
    target.by.type === "staff"
      ? { actorOrgId: ctx.orgId, actorStaff: target.by.staff.username, messageId: null }
      : target.by.type === "partner"
        ? { actorOrgId: target.by.orgId, actorStaff: null, messageId: target.by.messageId }
        : { actorOrgId: ctx.orgId, actorStaff: null, messageId: null };

  const events: ReferralEventRecord[] = [];
  const touched: ReferralRecord[] = [];
  for (const { id, origin_org_id, subject_ref } of rows) {
    // The person before the row (the order draftReferral and retention take them in): their key is
    // not destroyed while the rewritten fields are sealed under it (docs/data-at-rest.md).
    await lockPerson(trx, ctx.dialect, { originOrgId: origin_org_id, subjectRef: subject_ref });
    const r = await lockReferral(trx, ctx, id);
    if (!r) continue;
    // Already unreadable (purged by retention, or the person's key destroyed): sealing anything for the
    // person again would only make them a new key. Already erased whole: nothing of the subject is
    // left, unless the whole person is now erased (arrangements and notes go too).
    const gone = r.erasure?.reason === "retention" || r.erasure?.reason === "key_destroyed";
    if (gone || (r.erasure?.all === true && !whole)) continue;
    touched.push(r);
    const before = r.erasure;
    const erasedScopes = SCOPES.filter((s) => scopes.includes(s) || (before?.scopes ?? []).includes(s));
    const allNow = all || before?.all === true;
    const consent = target.consent ?? (whole ? withoutOverrideNote(r) : undefined);
    await updateSubject(trx, ctx.vault, r, stripSubject(r.subject, all ? "all" : scopes), {
      ...(all ? { summary: null } : {}),
      ...(whole ? { arrangements: null } : {}),
      ...(consent !== undefined ? { consent: JSON.stringify(consent) } : {}),
      erased_at: at,
      erased_scopes: JSON.stringify(erasedScopes),
      erased_all: allNow ? 1 : 0,
      erased_reason: target.reason,
      updated_at: at,
    });
    if (whole) {
      await trx.updateTable("referral_event").set({ note: null }).where("referral_id", "=", r.id).execute();
    } else if (all) {
      // Notes the partner wrote came with the person's data (a withdrawal's note, say).
      const partner = r.direction === "incoming" ? r.originOrgId : r.destinationOrgId;
      await trx
        .updateTable("referral_event")
        .set({ note: null })
        .where("referral_id", "=", r.id)
        .where("actor_org_id", "=", partner)
        .where("kind", "not in", ["problem", "consent_revoked", "consent_erased", "erased"])
        .execute();
    }
    events.push(
      await insertEvent(trx, ctx, {
        referralId: r.id,
        kind: "erased",
        status: r.status,
        ...timelineActor,
        note: `${target.reason}: ${all ? "all" : scopes.join(", ")}`,
        at,
      }),
    );
  }

  const quarantined = await blankQuarantine(trx, target, touched);
  if (touched.length > 0) {
    // Offers already published stay only as ciphertext for their recipient; nothing needs it any more.
    await trx
      .updateTable("outbox")
      .set({ envelope: "" })
      .where(
        "thid",
        "in",
        touched.map((r) => r.id),
      )
      .where("type", "=", "referral.offer")
      .where("status", "!=", "pending")
      .where("envelope", "!=", "")
      .execute();
  }
  let keyDestroyed = false;
  if (whole && all && target.person !== undefined) {
    // Last, after every row above was sealed again: a seal for the person after this would make them a
    // new key. Not part of the transaction: if it rolled back, the person's data would stay unreadable,
    // which errs on the side the erasure was asked for.
    await lockPerson(trx, ctx.dialect, target.person);
    keyDestroyed = ctx.vault.destroy(target.person) > 0;
  } else {
    // docs/data-at-rest.md: what remains of each person is sealed again under a new key; the old key,
    // which the removed fields in backups of the database are sealed under, is destroyed by the
    // retention job (destroyRetiredKeys) once no row needs it.
    const people = new Map(touched.map((r) => [`${r.originOrgId}\n${r.subject.ref}`, personOf(r)]));
    for (const person of people.values()) await rekeyPerson(trx, ctx, person);
  }
  const referralIds = touched.map((r) => r.id);
  // docs/audit.md: what was erased, why and by whom, committed with the erasure itself.
  await ctx.audit.append(trx, {
    kind: "erasure",
    actor:
      target.by.type === "staff"
        ? staffActor(target.by.staff)
        : target.by.type === "partner"
          ? partnerActor(target.by.orgId)
          : SYSTEM_ACTOR,
    subjectRef: target.person?.subjectRef ?? touched[0]?.subject.ref ?? null,
    consentId: target.received?.consentId ?? touched[0]?.consent.id ?? null,
    referralId: referralIds.length === 1 ? referralIds[0]! : null,
    partnerOrgId:
      target.received?.from ??
      (target.person && target.person.originOrgId !== ctx.orgId ? target.person.originOrgId : null),
    detail: {
      cause: target.reason,
      all,
      scopes,
      referralCount: referralIds.length,
      // The list itself while it fits an entry (docs/audit.md: at most 64 items).
      referrals: referralIds.length <= 64 ? referralIds : [],
      quarantined,
      keyDestroyed,
      ...(target.by.type === "partner" ? { jti: target.by.messageId } : {}),
      ...target.auditDetail,
    },
  });
  return { referralIds, quarantined, at, events };
}

/** The subject without the fields of `scopes` ("all": without anything but `ref`). */
export function stripSubject(subject: Subject, scopes: readonly Scope[] | "all"): Subject {
  if (scopes === "all") return { ref: subject.ref };
  const drop = new Set<string>(scopes.flatMap((s) => SCOPE_FIELDS[s]));
  return Object.fromEntries(Object.entries(subject).filter(([k]) => !drop.has(k))) as unknown as Subject;
}

function withoutOverrideNote(r: ReferralRecord) {
  if (!r.consent.override) return r.consent;
  return { ...r.consent, override: { ...r.consent.override, note: "(erased)" } };
}

/** Quarantined envelopes of the same threads, consent or person: the node's own key opens them. */
async function blankQuarantine(
  trx: Transaction<Database>,
  target: ErasureTarget,
  touched: ReferralRecord[],
): Promise<number> {
  const res = await trx
    .updateTable("quarantine")
    .set({ envelope: "" })
    .where("envelope", "!=", "")
    .where((eb) => {
      const any = touched.map((r) =>
        eb.and([
          eb("iss", "=", r.direction === "incoming" ? r.originOrgId : r.destinationOrgId),
          eb("thid", "=", r.id),
        ]),
      );
      const received = target.received;
      if (received !== undefined) {
        any.push(eb.and([eb("iss", "=", received.from), eb("consent_id", "=", received.consentId)]));
        if (target.threads && target.threads.length > 0) {
          any.push(eb.and([eb("iss", "=", received.from), eb("thid", "in", [...target.threads])]));
        }
      }
      const person = target.person;
      if (person !== undefined) {
        any.push(eb.and([eb("iss", "=", person.originOrgId), eb("subject_ref", "=", person.subjectRef)]));
      }
      return any.length > 0 ? eb.or(any) : eb.val(false);
    })
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

// --- At a recipient: consent.revoke (docs/protocol.md §5.6) ---------------------------------------

/**
 * Applies a received `consent.revoke`, inside the transaction that stores it: remembers the revocation
 * (later messages under the consent are refused, e.p.consent.revoked), erases the revoked fields from
 * everything received from that origin under the consent, and queues `consent.erased`. A revoke for a
 * consent this node holds nothing under is remembered and answered all the same (§5.6).
 */
export async function applyRevocation(
  trx: Transaction<Database>,
  claims: MessageClaims<"consent.revoke"> & { body: ConsentRevokeBody },
  ctx: DomainContext,
): Promise<ReferralEventRecord[]> {
  const { consentId } = claims.body;
  const scopes = claims.body.scopes ?? null;
  const now = ctx.clock.now();
  const existing = await trx
    .selectFrom("consent_revoked_by_origin")
    .selectAll()
    .where("origin_org_id", "=", claims.iss)
    .where("consent_id", "=", consentId)
    .executeTakeFirst();
  if (existing) {
    const known = JSON.parse(existing.scopes) as Scope[];
    const merged = SCOPES.filter((s) => known.includes(s) || (scopes ?? SCOPES).includes(s));
    await trx
      .updateTable("consent_revoked_by_origin")
      .set({
        scopes: JSON.stringify(merged),
        revoked_all: scopes === null ? 1 : Number(existing.revoked_all),
        last_at: now,
      })
      .where("origin_org_id", "=", claims.iss)
      .where("consent_id", "=", consentId)
      .execute();
  } else {
    await trx
      .insertInto("consent_revoked_by_origin")
      .values({
        origin_org_id: claims.iss,
        consent_id: consentId,
        scopes: JSON.stringify(scopes ?? SCOPES),
        revoked_all: scopes === null ? 1 : 0,
        first_at: now,
        last_at: now,
      })
      .execute();
  }
  const erased = await eraseSubjectFields(trx, ctx, {
    received: { from: claims.iss, consentId },
    scopes: scopes ?? "all",
    reason: "consent_revoked",
    threads: [claims.thid],
    by: { type: "partner", orgId: claims.iss, messageId: claims.jti },
  });
  try {
    await ctx.messages.enqueue(trx, {
      type: "consent.erased",
      aud: claims.iss,
      thid: claims.thid,
      body: { consentId, scopes: scopes ?? [...SCOPES], erasedAt: Math.floor(erased.at / 1000) },
    });
  } catch (err) {
    // The origin is no longer reachable (suspended, no key in force): the erasure stands, only the
    // receipt is lost. A database error is not caught: the transaction must fail.
    if (!(err instanceof AppError)) throw err;
  }
  return erased.events;
}

// --- At a recipient: expiry (docs/consent.md) -----------------------------------------------------

/**
 * Erases what this node received under consents that have expired: every member of `subject` but
 * `ref` (the consent no longer allows keeping them), and quarantined envelopes under them. Run by the
 * node's sweep (server.ts). Returns the referrals erased.
 */
export async function eraseExpiredConsents(ctx: DomainContext, limit = 200): Promise<string[]> {
  const now = ctx.clock.now();
  const due = await ctx.db
    .selectFrom("referral")
    .select(["origin_org_id", "consent_id"])
    .distinct()
    .where("direction", "=", "incoming")
    .where("erased_all", "=", 0)
    .where("consent_expires_at", "is not", null)
    .where("consent_expires_at", "<=", now)
    .limit(limit)
    .execute();
  const erased: string[] = [];
  for (const { origin_org_id, consent_id } of due) {
    const res = await ctx.db.transaction().execute((trx) =>
      eraseSubjectFields(trx, ctx, {
        received: { from: origin_org_id, consentId: consent_id },
        scopes: "all",
        reason: "consent_expired",
        by: { type: "system" },
      }),
    );
    ctx.events.publish(res.events);
    erased.push(...res.referralIds);
  }
  await ctx.db
    .updateTable("quarantine")
    .set({ envelope: "" })
    .where("envelope", "!=", "")
    .where("consent_expires_at", "is not", null)
    .where("consent_expires_at", "<=", now)
    .execute();
  return erased;
}
