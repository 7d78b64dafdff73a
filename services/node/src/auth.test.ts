import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authenticate,
  createStaff,
  disableStaff,
  hashToken,
  hasRole,
  listStaff,
  requireRole,
  type Staff,
} from "./auth.ts";
import { migrateToLatest, type OpenDatabase, openDatabase } from "./db/index.ts";
import type { Database } from "./db/schema.ts";
import { AppError } from "./errors.ts";

let dir: string;
let opened: OpenDatabase;
let db: Kysely<Database>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-auth-"));
  opened = openDatabase({ database: { kind: "sqlite", path: join(dir, "node.db") } });
  db = opened.db;
  await migrateToLatest(db);
});
afterAll(async () => {
  await opened.close();
  await rm(dir, { recursive: true, force: true });
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error("expected a refusal");
}

describe("staff tokens", () => {
  it("creates an account whose token is shown once and stored only as its SHA-256", async () => {
    const { staff, token } = await createStaff(db, {
      username: "amina",
      role: "caseworker",
      displayName: "Amina",
    });
    expect(token).toMatch(/^rn_[A-Za-z0-9_-]{43}$/);
    const row = await db.selectFrom("staff").selectAll().where("id", "=", staff.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const me = await authenticate(db, `Bearer ${token}`);
    expect(me).toMatchObject({
      username: "amina",
      role: "caseworker",
      displayName: "Amina",
      disabled: false,
    });
  });

  it("gives every account its own token", async () => {
    const a = await createStaff(db, { username: "a1", role: "caseworker" });
    const b = await createStaff(db, { username: "b1", role: "caseworker" });
    expect(a.token).not.toBe(b.token);
  });

  it("refuses a missing, malformed or unknown token with one message", async () => {
    const messages = new Set<string>();
    for (const header of [
      undefined,
      null,
      "",
      "Basic abc",
      "Bearer",
      "Bearer rn_short",
      `Bearer rn_${"A".repeat(43)}`,
    ]) {
      try {
        await authenticate(db, header);
        throw new Error("accepted");
      } catch (err) {
        expect((err as AppError).code).toBe("ERR_UNAUTHENTICATED");
        messages.add((err as Error).message);
      }
    }
    expect(messages.size).toBe(1);
  });

  it("refuses a disabled account at once", async () => {
    const { token } = await createStaff(db, { username: "leaver", role: "supervisor" });
    await authenticate(db, `Bearer ${token}`);
    const s = await disableStaff(db, "leaver");
    expect(s.disabled).toBe(true);
    expect(await code(authenticate(db, `Bearer ${token}`))).toBe("ERR_UNAUTHENTICATED");
    expect((await listStaff(db)).find((x) => x.username === "leaver")?.disabled).toBe(true);
  });

  it("refuses bad usernames, roles and duplicates", async () => {
    expect(await code(createStaff(db, { username: "Has Space", role: "caseworker" }))).toBe(
      "ERR_INVALID_INPUT",
    );
    expect(await code(createStaff(db, { username: "ok-name", role: "root" as never }))).toBe(
      "ERR_INVALID_INPUT",
    );
    expect(await code(createStaff(db, { username: "amina", role: "admin" }))).toBe("ERR_INVALID_INPUT");
    expect(await code(disableStaff(db, "nobody"))).toBe("ERR_NOT_FOUND");
  });
});

describe("roles", () => {
  const as = (role: Staff["role"]): Staff => ({
    id: "x",
    username: "x",
    displayName: null,
    role,
    disabled: false,
    createdAt: 0,
  });
  it("orders caseworker < supervisor < admin", () => {
    expect(hasRole(as("caseworker"), "caseworker")).toBe(true);
    expect(hasRole(as("caseworker"), "supervisor")).toBe(false);
    expect(hasRole(as("supervisor"), "caseworker")).toBe(true);
    expect(hasRole(as("supervisor"), "admin")).toBe(false);
    expect(hasRole(as("admin"), "supervisor")).toBe(true);
    expect(() => requireRole(as("supervisor"), "admin")).toThrow(
      expect.objectContaining({ code: "ERR_FORBIDDEN" }),
    );
    expect(() => requireRole(as("admin"), "admin")).not.toThrow();
  });

  it("keeps the auditor outside that order: the audit trail for auditors and admins, nothing else", () => {
    for (const role of ["caseworker", "supervisor", "admin"] as const) {
      expect(hasRole(as("auditor"), role)).toBe(false);
    }
    expect(hasRole(as("auditor"), "auditor")).toBe(true);
    expect(hasRole(as("admin"), "auditor")).toBe(true);
    expect(hasRole(as("supervisor"), "auditor")).toBe(false);
    expect(hasRole(as("caseworker"), "auditor")).toBe(false);
    expect(() => requireRole(as("caseworker"), "auditor")).toThrow(
      expect.objectContaining({ code: "ERR_FORBIDDEN", message: "This needs the auditor or admin role." }),
    );
  });
});
