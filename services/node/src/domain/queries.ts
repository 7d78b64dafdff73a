// Read side: referral lists with filters and keyset pagination, the quarantine list. Cursors are
// opaque to clients (base64url of created_at and id) and stable under inserts: newest first.
import type { Purpose, ReferralState, Urgency } from "@refnet/protocol";
import { type Kysely, type SelectQueryBuilder, sql } from "kysely";
import type { Database } from "../db/schema.ts";
import { InvalidInputError } from "../errors.ts";
import type { PersonVault } from "../person-vault.ts";
import { toReferralRecord } from "./store.ts";
import type { Direction, ReferralRecord } from "./types.ts";

export const MAX_PAGE_SIZE = 100;

export interface ReferralFilter {
  direction?: Direction | null;
  status?: ReferralState[] | null;
  /** The organization on the other side of the referral. */
  partnerOrgId?: string | null;
  urgency?: Urgency | null;
  service?: Purpose | null;
}

export interface Page<T> {
  items: { cursor: string; node: T }[];
  hasNextPage: boolean;
  endCursor: string | null;
}

interface Cursor {
  t: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id]), "utf8").toString("base64url");
}

export function decodeCursor(s: string): Cursor {
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(s)) throw new Error("shape");
    const v = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === "string") {
      return { t: v[0] as number, id: v[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidInputError("The `after` cursor is not one this node gave out.");
}

export function pageSize(first: number | null | undefined): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new InvalidInputError(`first must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
  return n;
}

/**
 * Keyset pagination of a list kept by arrival (quarantine, refused trust lists): newest first, ties by
 * id, after the cursor when given, one spare row to tell whether there is more (toPage).
 */
function receivedNewestFirst<TB extends "quarantine" | "trust_refusal", O>(
  q: SelectQueryBuilder<Database, TB, O>,
  after: string | null | undefined,
  first: number,
): SelectQueryBuilder<Database, TB, O> {
  let out = q;
  if (after) {
    const c = decodeCursor(after);
    // Raw SQL: Kysely cannot type a column reference over a generic table; both tables have these two.
    out = out.where(
      sql<boolean>`(${sql.ref("received_at")} < ${c.t} or (${sql.ref("received_at")} = ${c.t} and ${sql.ref("id")} < ${c.id}))`,
    );
  }
  return out
    .orderBy("received_at", "desc")
    .orderBy("id", "desc")
    .limit(first + 1);
}

/** One page, newest first: the query fetched first + 1 rows, so a spare row means there is more. */
export function toPage<R, T extends { id: string }>(
  rows: R[],
  first: number,
  toNode: (row: R) => T,
  timeOf: (node: T) => number,
): Page<T> {
  const items = rows.slice(0, first).map((row) => {
    const node = toNode(row);
    return { cursor: encodeCursor({ t: timeOf(node), id: node.id }), node };
  });
  return { items, hasNextPage: rows.length > first, endCursor: items.at(-1)?.cursor ?? null };
}

export async function listReferrals(
  db: Kysely<Database>,
  vault: PersonVault,
  filter: ReferralFilter,
  page: { first?: number | null; after?: string | null },
): Promise<Page<ReferralRecord>> {
  const first = pageSize(page.first);
  let q = db.selectFrom("referral").selectAll();
  if (filter.direction) q = q.where("direction", "=", filter.direction);
  if (filter.status && filter.status.length > 0) q = q.where("status", "in", filter.status);
  if (filter.urgency) q = q.where("urgency", "=", filter.urgency);
  if (filter.partnerOrgId) {
    const partner = filter.partnerOrgId;
    q = q.where((eb) =>
      eb.or([
        eb.and([eb("direction", "=", "outgoing"), eb("destination_org_id", "=", partner)]),
        eb.and([eb("direction", "=", "incoming"), eb("origin_org_id", "=", partner)]),
      ]),
    );
  }
  if (filter.service) {
    // services is a JSON array of codes from a closed list (§5.3), so the quoted code matches exactly.
    q = q.where("services", "like", `%"${filter.service}"%`);
  }
  if (page.after) {
    const c = decodeCursor(page.after);
    q = q.where((eb) =>
      eb.or([eb("created_at", "<", c.t), eb.and([eb("created_at", "=", c.t), eb("id", "<", c.id)])]),
    );
  }
  const rows = await q
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(first + 1)
    .execute();
  return toPage(
    rows,
    first,
    (row) => toReferralRecord(row, vault),
    (r) => r.createdAt,
  );
}

export interface QuarantineRecord {
  id: string;
  receivedAt: number;
  code: string;
  detail: string;
  /** Only when the signature verified (the columns are null otherwise). */
  senderOrgId: string | null;
  messageId: string | null;
  type: string | null;
  size: number;
}

export async function listQuarantine(
  db: Kysely<Database>,
  page: { first?: number | null; after?: string | null },
): Promise<Page<QuarantineRecord>> {
  const first = pageSize(page.first);
  // The envelope column (ciphertext) is not read: the API never returns it.
  const q = db
    .selectFrom("quarantine")
    .select(["id", "received_at", "code", "detail", "iss", "jti", "type", "size"]);
  const rows = await receivedNewestFirst(q, page.after, first).execute();
  return toPage(
    rows,
    first,
    (r): QuarantineRecord => ({
      id: r.id,
      receivedAt: Number(r.received_at),
      code: r.code,
      detail: r.detail,
      senderOrgId: r.iss,
      messageId: r.jti,
      type: r.type,
      size: Number(r.size),
    }),
    (n) => n.receivedAt,
  );
}

export interface TrustRefusalRecord {
  id: string;
  receivedAt: number;
  version: number | null;
  code: string;
  detail: string;
  source: string;
  list: string | null;
}

/** Refused trust lists (docs/protocol.md §6.4), newest first. */
export async function listTrustRefusals(
  db: Kysely<Database>,
  page: { first?: number | null; after?: string | null },
): Promise<Page<TrustRefusalRecord>> {
  const first = pageSize(page.first);
  const q = db.selectFrom("trust_refusal").selectAll();
  const rows = await receivedNewestFirst(q, page.after, first).execute();
  return toPage(
    rows,
    first,
    (r): TrustRefusalRecord => ({
      id: r.id,
      receivedAt: Number(r.received_at),
      version: r.version === null ? null : Number(r.version),
      code: r.code,
      detail: r.detail,
      source: r.source,
      list: r.list,
    }),
    (n) => n.receivedAt,
  );
}
