// Retention (docs/data-at-rest.md): a referral keeps its person's data only for a set time after it
// reached a final state; then the retention job, run by the node on a schedule (server.ts), purges it:
//
// - the referral's subject, summary and arrangements, the grounds of an override, and every note of its
//   timeline are removed from the row (`subject` becomes "erased", `purged_at` is set); the row itself
//   stays, with its states, times, services and organizations, and no personal data;
// - the quarantined messages of its thread from its parties (ciphertext the node's own key opens,
//   docs/protocol.md §8), and its outbox rows already sent (ciphertext for the partner), are deleted;
// - when no other referral of the same person still holds their data, the person's data key is
//   destroyed (person-vault.ts), so the copies in backups of the database can no longer be read;
// - the purge is recorded on the timeline (`purged`) and in the audit trail (`retention.purge`), in the
//   same transaction.
//
// Refused messages are kept for `quarantineDays` at most, whatever they are about.
import type { ReferralState } from "@refnet/protocol";
import { SYSTEM_ACTOR } from "../audit/entry.ts";
import type { RetentionConfig } from "../config.ts";
import { destroyRetiredKeys, ERASED_SUBJECT, lockPerson, personOfRow, rekeyPerson } from "./personal-data.ts";
import { insertEvent } from "./store.ts";
import type { DomainContext, ReferralEventRecord } from "./types.ts";

const DAY_MS = 86_400_000;
/** Referrals looked at per query; a run goes on until none is due, up to MAX_PER_RUN. */
const BATCH = 200;
const MAX_PER_RUN = 5000;

export interface RetentionResult {
  /** Referrals whose personal data was purged in this run. */
  purged: string[];
  /**
   * Person keys destroyed by the purges: the person's last referral holding data was purged, or the
   * key their purged values were sealed under was replaced.
   */
  keysDestroyed: number;
  /** Retired person keys no value needed any more, destroyed at the end of the run. */
  retiredKeysDestroyed: number;
  /** Quarantine rows deleted for being older than `quarantineDays`. */
  quarantineDeleted: number;
}

/** The final states and how many days each keeps the person's data (RetentionConfig). */
export function retentionRules(policy: RetentionConfig): [ReferralState, number][] {
  return [
    ["completed", policy.days.completed],
    ["closed", policy.days.closed],
    ["declined", policy.days.declined],
    ["withdrawn", policy.days.withdrawn],
    ["expired", policy.days.expired],
  ];
}

/** One run of the retention job: every referral past its limit, then old quarantine rows. */
export async function purgeExpiredPersonalData(
  ctx: DomainContext,
  policy: RetentionConfig,
): Promise<RetentionResult> {
  const result: RetentionResult = {
    purged: [],
    keysDestroyed: 0,
    quarantineDeleted: 0,
    retiredKeysDestroyed: 0,
  };
  const now = ctx.clock.now();
  let budget = MAX_PER_RUN;
  for (const [status, days] of retentionRules(policy)) {
    const cutoff = now - days * DAY_MS;
    let after: { t: number; id: string } | undefined;
    while (budget > 0) {
      let q = ctx.db
        .selectFrom("referral")
        .select(["id", "updated_at"])
        .where("status", "=", status)
        .where("updated_at", "<=", cutoff)
        .where("purged_at", "is", null);
      if (after) {
        const { t, id } = after;
        q = q.where((eb) =>
          eb.or([eb("updated_at", ">", t), eb.and([eb("updated_at", "=", t), eb("id", ">", id)])]),
        );
      }
      const due = await q.orderBy("updated_at").orderBy("id").limit(Math.min(BATCH, budget)).execute();
      if (due.length === 0) break;
      for (const row of due) {
        budget--;
        const purged = await purgeReferral(ctx, row.id, status, cutoff, days, now);
        if (purged) {
          result.purged.push(row.id);
          if (purged.keyDestroyed) result.keysDestroyed++;
        }
      }
      const last = due.at(-1)!;
      after = { t: Number(last.updated_at), id: last.id };
    }
  }
  result.quarantineDeleted = await purgeQuarantine(ctx, now - policy.quarantineDays * DAY_MS, policy);
  // Keys retired by re-sealing elsewhere (a partial erasure) or left by a run that stopped half-way.
  result.retiredKeysDestroyed = await destroyRetiredKeys(ctx);
  return result;
}

/**
 * Purges one referral, re-checked under its lock (an answer or another run may have come first).
 * Undefined when it was no longer due.
 */
async function purgeReferral(
  ctx: DomainContext,
  id: string,
  status: ReferralState,
  cutoff: number,
  days: number,
  now: number,
): Promise<{ keyDestroyed: boolean } | undefined> {
  const done = await ctx.db.transaction().execute(async (trx) => {
    const head = await trx
      .selectFrom("referral")
      .select(["origin_org_id", "subject_ref"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!head) return undefined;
    const person = personOfRow(head);
    // Every referral of the person, locked in id order as erasure locks them (the purge may seal them
    // all again). Raw rows: nothing needs opening, and a row whose key is gone is purged all the same.
    let q = trx
      .selectFrom("referral")
      .select([
        "id",
        "status",
        "updated_at",
        "purged_at",
        "direction",
        "origin_org_id",
        "destination_org_id",
        "subject_ref",
        "consent",
        "consent_id",
      ])
      .where("origin_org_id", "=", person.originOrgId)
      .where("subject_ref", "=", person.subjectRef)
      .orderBy("id");
    if (ctx.dialect === "postgres") q = q.forUpdate();
    const rows = await q.execute();
    const row = rows.find((r) => r.id === id);
    if (!row || row.status !== status || Number(row.updated_at) > cutoff || row.purged_at !== null)
      return undefined;
    // Held until commit: no first referral of this person can be sealed under the key destroyed below.
    await lockPerson(trx, ctx.dialect, person);

    await trx
      .updateTable("referral")
      .set({
        subject: ERASED_SUBJECT,
        summary: null,
        arrangements: null,
        consent: withoutOverrideNote(row.consent),
        purged_at: now,
      })
      .where("id", "=", id)
      .execute();
    await trx.updateTable("referral_event").set({ note: null }).where("referral_id", "=", id).execute();
    const partner = row.direction === "incoming" ? row.origin_org_id : row.destination_org_id;
    const quarantine = await trx
      .deleteFrom("quarantine")
      .where("thid", "=", id)
      .where("iss", "=", partner)
      .executeTakeFirst();
    // Pending rows are still to be published (a final update, a receipt): they go on their own.
    const outbox = await trx
      .deleteFrom("outbox")
      .where("thid", "=", id)
      .where("status", "!=", "pending")
      .executeTakeFirst();
    const event = await insertEvent(trx, ctx, {
      referralId: id,
      kind: "purged",
      status,
      actorOrgId: ctx.orgId,
      actorStaff: null,
      note: null,
      messageId: null,
      at: now,
    });

    // The person's key goes with their last referral holding data. Otherwise what remains is sealed
    // again under a new key, and the old one, which the purged values in backups are sealed under, is
    // destroyed once this commits (destroyRetiredKeys).
    const destroyKey = !rows.some((r) => r.id !== id && r.purged_at === null);
    if (!destroyKey) await rekeyPerson(trx, ctx, person);
    await ctx.audit.append(trx, {
      kind: "retention.purge",
      actor: SYSTEM_ACTOR,
      subjectRef: row.subject_ref,
      consentId: row.consent_id,
      referralId: id,
      partnerOrgId: partner,
      detail: {
        status,
        retentionDays: days,
        quarantineDeleted: Number(quarantine.numDeletedRows),
        outboxDeleted: Number(outbox.numDeletedRows),
        personKeyDestroyed: destroyKey,
        personKeyReplaced: !destroyKey,
      },
    });
    // Last, after every write above: should the commit itself fail, the rows stay unreadable, which
    // errs on the side of the purge that was due.
    const keyDestroyed = destroyKey && ctx.vault.destroy(person) > 0;
    return { event, keyDestroyed, person };
  });
  if (!done) return undefined;
  ctx.events.publish([done.event] as ReferralEventRecord[]);
  const retired = done.keyDestroyed ? 0 : await destroyRetiredKeys(ctx, done.person);
  return { keyDestroyed: done.keyDestroyed || retired > 0 };
}

/** The consent as stored, without the grounds of an override (free text about the person). */
function withoutOverrideNote(text: string): string {
  const consent = JSON.parse(text) as { override?: { note?: string } };
  if (consent.override?.note === undefined) return text;
  return JSON.stringify({ ...consent, override: { ...consent.override, note: "" } });
}

async function purgeQuarantine(ctx: DomainContext, cutoff: number, policy: RetentionConfig): Promise<number> {
  return ctx.db.transaction().execute(async (trx) => {
    const res = await trx.deleteFrom("quarantine").where("received_at", "<=", cutoff).executeTakeFirst();
    const n = Number(res.numDeletedRows);
    if (n > 0) {
      await ctx.audit.append(trx, {
        kind: "retention.purge",
        actor: SYSTEM_ACTOR,
        detail: { quarantineDeleted: n, retentionDays: policy.quarantineDays },
      });
    }
    return n;
  });
}
