// Reading the audit trail for auditors: filters and keyset pagination, newest first. The cursor is the
// one of domain/queries.ts ([t, id]) with the entry's seq as both: seqs are unique and only grow.
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { decodeCursor, type Page, pageSize, toPage } from "../domain/queries.ts";
import { InvalidInputError } from "../errors.ts";
import { toAuditEntry } from "./audit-log.ts";
import { AUDIT_KINDS, type AuditEntry, type AuditKind } from "./entry.ts";

export interface AuditFilter {
  kind?: AuditKind | null;
  subjectRef?: string | null;
  referralId?: string | null;
  /** Milliseconds, inclusive. */
  since?: number | null;
  /** Milliseconds, exclusive. */
  until?: number | null;
}

/** An entry with the `id` a page item needs (its seq, as text). */
export type AuditEntryNode = AuditEntry & { id: string };

export async function listAuditLog(
  db: Kysely<Database>,
  filter: AuditFilter,
  page: { first?: number | null; after?: string | null },
): Promise<Page<AuditEntryNode>> {
  const first = pageSize(page.first);
  let q = db.selectFrom("audit_log").selectAll();
  if (filter.kind) {
    if (!AUDIT_KINDS.includes(filter.kind)) throw new InvalidInputError("kind is not an audit entry kind.");
    q = q.where("kind", "=", filter.kind);
  }
  if (filter.subjectRef) q = q.where("subject_ref", "=", filter.subjectRef);
  if (filter.referralId) q = q.where("referral_id", "=", filter.referralId);
  if (filter.since != null) q = q.where("at", ">=", filter.since);
  if (filter.until != null) q = q.where("at", "<", filter.until);
  if (page.after) {
    const c = decodeCursor(page.after);
    if (String(c.t) !== c.id)
      throw new InvalidInputError("The `after` cursor is not one this node gave out.");
    q = q.where("seq", "<", c.t);
  }
  const rows = await q
    .orderBy("seq", "desc")
    .limit(first + 1)
    .execute();
  return toPage(
    rows,
    first,
    (row): AuditEntryNode => {
      const e = toAuditEntry(row);
      return { ...e, id: String(e.seq) };
    },
    (n) => n.seq,
  );
}
