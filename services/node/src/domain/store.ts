// Reading and writing referral rows and their events, shared by the outgoing actions (referrals.ts)
// and the inbound handler (inbound.ts).
import type { Consent, ReferralState, Subject } from "@refnet/protocol";
import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type { DialectName } from "../db/index.ts";
import type { Database, ReferralEventTable, ReferralTable } from "../db/schema.ts";
import type { EventKind, IdGenerator, ReferralEventRecord, ReferralRecord } from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

export function toReferralRecord(row: Selectable<ReferralTable>): ReferralRecord {
  return {
    id: row.id,
    direction: row.direction,
    status: row.status as ReferralState,
    originOrgId: row.origin_org_id,
    destinationOrgId: row.destination_org_id,
    urgency: row.urgency as ReferralRecord["urgency"],
    services: JSON.parse(row.services) as ReferralRecord["services"],
    summary: row.summary,
    proposedArrival: row.proposed_arrival,
    respondBy: row.respond_by === null ? null : Number(row.respond_by),
    subject: JSON.parse(row.subject) as Subject,
    consent: JSON.parse(row.consent) as Consent,
    declineReason: row.decline_reason as ReferralRecord["declineReason"],
    outcome: row.outcome as ReferralRecord["outcome"],
    arrangements: row.arrangements,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toEventRecord(row: Selectable<ReferralEventTable>): ReferralEventRecord {
  return {
    id: row.id,
    referralId: row.referral_id,
    seq: Number(row.seq),
    kind: row.kind as EventKind,
    status: row.status as ReferralState,
    actorOrgId: row.actor_org_id,
    actorStaff: row.actor_staff,
    note: row.note,
    messageId: row.message_id,
    at: Number(row.at),
  };
}

export async function findReferral(db: Db, id: string): Promise<ReferralRecord | undefined> {
  const row = await db.selectFrom("referral").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toReferralRecord(row) : undefined;
}

/**
 * Loads a referral inside a transaction and locks its row on PostgreSQL, so two concurrent actions on
 * one referral serialise (and the event `seq` they assign cannot collide). SQLite already serialises
 * writers, and has no FOR UPDATE.
 */
export async function lockReferral(
  trx: Transaction<Database>,
  dialect: DialectName,
  id: string,
): Promise<ReferralRecord | undefined> {
  let q = trx.selectFrom("referral").selectAll().where("id", "=", id);
  if (dialect === "postgres") q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? toReferralRecord(row) : undefined;
}

/** Moves the row from `from` to `to` (with the other columns given); false when it was not in `from`. */
export async function updateStatus(
  trx: Transaction<Database>,
  id: string,
  from: ReferralState,
  to: ReferralState,
  now: number,
  set: Partial<Pick<ReferralTable, "decline_reason" | "outcome" | "arrangements">> = {},
): Promise<boolean> {
  const res = await trx
    .updateTable("referral")
    .set({ ...set, status: to, updated_at: now })
    .where("id", "=", id)
    .where("status", "=", from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Appends an event at the next `seq` of its referral, in one statement: the caller holds the
 * referral's row lock (or SQLite's single writer), so the max it reads cannot move before the insert.
 */
export async function insertEvent(
  trx: Transaction<Database>,
  ids: IdGenerator,
  e: Omit<ReferralEventRecord, "id" | "seq">,
): Promise<ReferralEventRecord> {
  const id = ids.newId();
  const row = await trx
    .insertInto("referral_event")
    .values((eb) => ({
      id,
      referral_id: e.referralId,
      seq: eb
        .selectFrom("referral_event")
        .select(sql<number>`coalesce(max(seq), 0) + 1`.as("next"))
        .where("referral_id", "=", e.referralId),
      kind: e.kind,
      status: e.status,
      actor_org_id: e.actorOrgId,
      actor_staff: e.actorStaff,
      note: e.note,
      message_id: e.messageId,
      at: e.at,
    }))
    .returning("seq")
    .executeTakeFirstOrThrow();
  return { ...e, id, seq: Number(row.seq) };
}

export async function timelineOf(db: Db, referralId: string): Promise<ReferralEventRecord[]> {
  const rows = await db
    .selectFrom("referral_event")
    .selectAll()
    .where("referral_id", "=", referralId)
    .orderBy("seq")
    .execute();
  return rows.map(toEventRecord);
}
