// Staff accounts and bearer tokens. A token is shown once, at creation; the database keeps only its
// SHA-256, so a copy of the database does not let anyone act as staff.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "./db/schema.ts";
import { AppError, InvalidInputError, NotFoundError } from "./errors.ts";

export const ROLES = ["caseworker", "supervisor", "admin", "auditor"] as const;
export type Role = (typeof ROLES)[number];

/**
 * caseworker < supervisor < admin. An auditor stands outside that order: it reads the audit trail
 * (docs/audit.md) and nothing about people, so it holds none of the other roles.
 */
const RANK: Record<Role, number> = { auditor: 0, caseworker: 1, supervisor: 2, admin: 3 };

export interface Staff {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  createdAt: number;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,62}$/;
/** `rn_` and 32 random bytes in base64url (43 characters). */
const TOKEN_PATTERN = /^rn_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function newToken(): string {
  return `rn_${randomBytes(32).toString("base64url")}`;
}

export interface CreateStaffInput {
  username: string;
  role: Role;
  displayName?: string | null;
}

/** Creates a staff account; the returned token is the only copy that will ever exist. */
export async function createStaff(
  db: Kysely<Database>,
  input: CreateStaffInput,
  opts: { now?: number; id?: string } = {},
): Promise<{ staff: Staff; token: string }> {
  if (!USERNAME_PATTERN.test(input.username)) {
    throw new InvalidInputError(
      "A username is 2 to 63 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.",
    );
  }
  if (!ROLES.includes(input.role)) {
    throw new InvalidInputError(`A role is one of ${ROLES.join(", ")}.`);
  }
  const displayName = input.displayName?.trim() || null;
  if (displayName !== null && displayName.length > 200) {
    throw new InvalidInputError("A display name is at most 200 characters.");
  }
  const existing = await db
    .selectFrom("staff")
    .select("id")
    .where("username", "=", input.username)
    .executeTakeFirst();
  if (existing) throw new InvalidInputError(`A staff account named ${input.username} already exists.`);
  const token = newToken();
  const staff: Staff = {
    id: opts.id ?? randomUUID(),
    username: input.username,
    displayName,
    role: input.role,
    disabled: false,
    createdAt: opts.now ?? Date.now(),
  };
  await db
    .insertInto("staff")
    .values({
      id: staff.id,
      username: staff.username,
      display_name: staff.displayName,
      role: staff.role,
      token_hash: hashToken(token),
      disabled: 0,
      created_at: staff.createdAt,
    })
    .execute();
  return { staff, token };
}

/**
 * The staff member an `Authorization: Bearer …` header belongs to. Throws ERR_UNAUTHENTICATED for a
 * missing, malformed, unknown or disabled token, with one message for all of them (no account oracle).
 */
export async function authenticate(
  db: Kysely<Database>,
  authorization: string | null | undefined,
): Promise<Staff> {
  // Built only when refusing: an Error's stack trace is not free on every request.
  const refused = () => new AppError("ERR_UNAUTHENTICATED", "A valid staff bearer token is required.");
  if (!authorization) throw refused();
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!m || !TOKEN_PATTERN.test(m[1]!)) throw refused();
  // The lookup is by the token's hash through a unique index: timing reveals nothing about the token.
  const row = await db
    .selectFrom("staff")
    .selectAll()
    .where("token_hash", "=", hashToken(m[1]!))
    .executeTakeFirst();
  if (row?.disabled !== 0) throw refused();
  return toStaff(row);
}

export function hasRole(staff: Staff, atLeast: Role): boolean {
  // The audit trail is for auditors, and for admins, who answer for the node.
  if (atLeast === "auditor") return staff.role === "auditor" || staff.role === "admin";
  return RANK[staff.role] >= RANK[atLeast];
}

/**
 * Throws ERR_FORBIDDEN unless `staff` holds `atLeast` (caseworker < supervisor < admin; "auditor":
 * an auditor or an admin).
 */
export function requireRole(staff: Staff, atLeast: Role): void {
  if (!hasRole(staff, atLeast)) {
    throw new AppError(
      "ERR_FORBIDDEN",
      atLeast === "auditor"
        ? "This needs the auditor or admin role."
        : `This needs the ${atLeast} role or higher.`,
    );
  }
}

export async function listStaff(db: Kysely<Database>): Promise<Staff[]> {
  const rows = await db.selectFrom("staff").selectAll().orderBy("username").execute();
  return rows.map(toStaff);
}

/** Disables an account: its token stops working at once. Idempotent. */
export async function disableStaff(db: Kysely<Database>, username: string): Promise<Staff> {
  const res = await db
    .updateTable("staff")
    .set({ disabled: 1 })
    .where("username", "=", username)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new NotFoundError(`No staff account named ${username}.`);
  const row = await db
    .selectFrom("staff")
    .selectAll()
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  return toStaff(row);
}

function toStaff(row: {
  id: string;
  username: string;
  display_name: string | null;
  role: string;
  disabled: number;
  created_at: number;
}): Staff {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    disabled: Number(row.disabled) !== 0,
    createdAt: Number(row.created_at),
  };
}
