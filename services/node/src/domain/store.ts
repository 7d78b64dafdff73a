// Reading and writing referral rows and their events, shared by the outgoing actions (referrals.ts)
// and the inbound handler (inbound.ts). The person's columns are sealed on every write and opened on
// every read here (personal-data.ts, docs/data-at-rest.md): nothing else writes or reads them.
import type { ReferralState, Scope, Subject } from "@refnet/protocol";
import { type Kysely, type Selectable, sql, type Transaction, type Updateable } from "kysely";
import type { DialectName } from "../db/index.ts";
import type { Database, ReferralEventTable, ReferralTable } from "../db/schema.ts";
import type { Person, PersonVault } from "../person-vault.ts";
import {
  openEventNote,
  openReferralRow,
  personOf,
  personOfRow,
  sealColumns,
  sealEventNote,
} from "./personal-data.ts";
import type { ErasureReason, EventKind, IdGenerator, ReferralEventRecord, ReferralRecord } from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

export function toReferralRecord(row: Selectable<ReferralTable>, vault: PersonVault): ReferralRecord {
  const opened = openReferralRow(vault, row);
  const erasure: ReferralRecord["erasure"] =
    row.erased_at === null || row.erased_at === undefined
      ? null
      : {
          at: Number(row.erased_at),
          reason: (row.erased_reason ?? "consent_revoked") as ErasureReason,
          all: Number(row.erased_all) === 1,
          scopes: row.erased_scopes ? (JSON.parse(row.erased_scopes) as Scope[]) : [],
        };
  return {
    id: row.id,
    direction: row.direction,
    status: row.status as ReferralState,
    originOrgId: row.origin_org_id,
    destinationOrgId: row.destination_org_id,
    urgency: row.urgency as ReferralRecord["urgency"],
    services: JSON.parse(row.services) as ReferralRecord["services"],
    summary: opened.summary,
    proposedArrival: row.proposed_arrival,
    respondBy: row.respond_by === null ? null : Number(row.respond_by),
    subject: opened.subject,
    consent: opened.consent,
    declineReason: row.decline_reason as ReferralRecord["declineReason"],
    outcome: row.outcome as ReferralRecord["outcome"],
    arrangements: opened.arrangements,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    // Data that cannot be read any more is erased, whatever the row recorded: purged by retention, or
    // its person's key destroyed (also when this row comes from a backup made before the erasure).
    erasure: !opened.gone
      ? erasure
      : {
          at: Number(row.purged_at ?? erasure?.at ?? row.updated_at),
          reason: row.purged_at != null ? "retention" : (erasure?.reason ?? "key_destroyed"),
          all: true,
          scopes: erasure?.scopes ?? [],
        },
  };
}

/** `person`: the person of the event's referral (its note is sealed for them). */
export function toEventRecord(
  row: Selectable<ReferralEventTable>,
  vault: PersonVault,
  person: Person | undefined,
): ReferralEventRecord {
  return {
    id: row.id,
    referralId: row.referral_id,
    seq: Number(row.seq),
    kind: row.kind as EventKind,
    status: row.status as ReferralState,
    actorOrgId: row.actor_org_id,
    actorStaff: row.actor_staff,
    note: openEventNote(vault, person, row.id, row.note),
    messageId: row.message_id,
    at: Number(row.at),
  };
}

export async function findReferral(
  db: Db,
  vault: PersonVault,
  id: string,
): Promise<ReferralRecord | undefined> {
  const row = await db.selectFrom("referral").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toReferralRecord(row, vault) : undefined;
}

/**
 * Loads a referral inside a transaction and locks its row on PostgreSQL, so two concurrent actions on
 * one referral serialise (and the event `seq` they assign cannot collide). SQLite already serialises
 * writers, and has no FOR UPDATE.
 */
export async function lockReferral(
  trx: Transaction<Database>,
  ctx: { dialect: DialectName; vault: PersonVault },
  id: string,
): Promise<ReferralRecord | undefined> {
  let q = trx.selectFrom("referral").selectAll().where("id", "=", id);
  if (ctx.dialect === "postgres") q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? toReferralRecord(row, ctx.vault) : undefined;
}

/**
 * Moves the row from `r.status` to `to` (with the other columns given, in the clear: the person's
 * columns are sealed here); false when it was no longer in `r.status`.
 */
export async function updateStatus(
  trx: Transaction<Database>,
  vault: PersonVault,
  r: Pick<ReferralRecord, "id" | "status" | "originOrgId" | "subject">,
  to: ReferralState,
  now: number,
  set: Partial<
    Pick<ReferralTable, "decline_reason" | "outcome" | "arrangements" | "subject" | "consent">
  > = {},
): Promise<boolean> {
  const res = await trx
    .updateTable("referral")
    .set({ ...sealColumns(vault, personOf(r), r.id, set), status: to, updated_at: now })
    .where("id", "=", r.id)
    .where("status", "=", r.status)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Appends an event at the next `seq` of its referral, in one statement: the caller holds the
 * referral's row lock (or SQLite's single writer), so the max it reads cannot move before the insert.
 */
export async function insertEvent(
  trx: Transaction<Database>,
  ctx: { ids: IdGenerator; vault: PersonVault },
  e: Omit<ReferralEventRecord, "id" | "seq">,
): Promise<ReferralEventRecord> {
  const id = ctx.ids.newId();
  let note: string | null = null;
  if (e.note !== null) {
    // A note is sealed for the referral's person, like the rest of what is said about them.
    const r = await trx
      .selectFrom("referral")
      .select(["origin_org_id", "subject_ref"])
      .where("id", "=", e.referralId)
      .executeTakeFirstOrThrow();
    note = sealEventNote(ctx.vault, personOfRow(r), id, e.note);
  }
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
      note,
      message_id: e.messageId,
      at: e.at,
    }))
    .returning("seq")
    .executeTakeFirstOrThrow();
  return { ...e, id, seq: Number(row.seq) };
}

export async function timelineOf(
  db: Db,
  vault: PersonVault,
  referralId: string,
): Promise<ReferralEventRecord[]> {
  const r = await db
    .selectFrom("referral")
    .select(["origin_org_id", "subject_ref"])
    .where("id", "=", referralId)
    .executeTakeFirst();
  const rows = await db
    .selectFrom("referral_event")
    .selectAll()
    .where("referral_id", "=", referralId)
    .orderBy("seq")
    .execute();
  const person = r ? personOfRow(r) : undefined;
  return rows.map((row) => toEventRecord(row, vault, person));
}

/**
 * Rewrites the person's fields of one referral (the caller holds its row lock): the one place a stored
 * subject is replaced after the row was written, used by erasure (erasure.ts) and by the re-minimising
 * of drafts after a revocation.
 */
export async function updateSubject(
  trx: Transaction<Database>,
  vault: PersonVault,
  r: Pick<ReferralRecord, "id" | "originOrgId" | "subject">,
  subject: Subject,
  set: Partial<
    Pick<
      Updateable<ReferralTable>,
      "summary" | "arrangements" | "consent" | "erased_at" | "erased_scopes" | "erased_all" | "erased_reason"
    >
  > & { updated_at: number },
): Promise<void> {
  // Sealed under the person's current key: after a partial erasure the removed fields are gone from
  // this database, and from its backups once the person's key is destroyed (docs/data-at-rest.md).
  await trx
    .updateTable("referral")
    .set({
      ...set,
      ...sealColumns(vault, personOf(r), r.id, {
        subject: JSON.stringify({ ...subject, ref: r.subject.ref }),
        summary: set.summary,
        arrangements: set.arrangements,
        consent: set.consent,
      }),
    })
    .where("id", "=", r.id)
    .execute();
}
