import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateToLatest, openDatabase } from "./index.ts";
import { migrations } from "./migrations/index.ts";

const TABLES = [
  "inbox",
  "node_state",
  "outbox",
  "quarantine",
  "referral",
  "referral_event",
  "staff",
  "trust_refusal",
];

/** Exercises one freshly migrated database: every table, and bigint milliseconds read back as numbers. */
async function exercise(database: Parameters<typeof openDatabase>[0]["database"]) {
  const opened = openDatabase({ database });
  try {
    const first = await migrateToLatest(opened.db);
    expect(first.results?.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations).map((name) => [name, "Success"]),
    );
    // Idempotent: nothing left to run the second time.
    expect((await migrateToLatest(opened.db)).results).toEqual([]);

    const tables = (await opened.db.introspection.getTables()).map((t) => t.name).sort();
    expect(tables).toEqual(expect.arrayContaining(TABLES));

    const big = Date.UTC(2026, 10, 29, 10, 0, 0, 123); // > 2^31: needs bigint on PostgreSQL
    await opened.db.insertInto("node_state").values({ key: "k", value: "v", updated_at: big }).execute();
    const row = await opened.db.selectFrom("node_state").selectAll().executeTakeFirstOrThrow();
    expect(row.updated_at).toBe(big);
    expect(typeof row.updated_at).toBe("number");
    const count = await opened.db
      .selectFrom("node_state")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);

    // A refused trust list: a nullable integer version and up to 1 MiB of text.
    const list = `{"payload":"${"x".repeat(200_000)}","signatures":[]}`;
    await opened.db
      .insertInto("trust_refusal")
      .values({
        id: "r1",
        received_at: big,
        version: null,
        code: "e.t.malformed",
        detail: "d",
        source: "kv",
        list,
      })
      .execute();
    const refusal = await opened.db.selectFrom("trust_refusal").selectAll().executeTakeFirstOrThrow();
    expect(refusal).toEqual({
      id: "r1",
      received_at: big,
      version: null,
      code: "e.t.malformed",
      detail: "d",
      source: "kv",
      list,
    });
    return opened.dialect;
  } finally {
    await opened.close();
  }
}

describe("migrations", () => {
  it("run on SQLite (WAL, foreign keys on, synchronous FULL)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "refnet-mig-"));
    try {
      const path = join(dir, "sub", "node.db");
      expect(await exercise({ kind: "sqlite", path })).toBe("sqlite");
      const opened = openDatabase({ database: { kind: "sqlite", path } });
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(opened.db);
      expect(mode.rows[0]?.journal_mode).toBe("wal");
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(opened.db);
      expect(fk.rows[0]?.foreign_keys).toBe(1);
      // A commit is on disk before it returns (2 = FULL): the inbox acknowledges after it.
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(opened.db);
      expect(sync.rows[0]?.synchronous).toBe(2);
      // Foreign keys hold: an event for a referral that does not exist is refused.
      await expect(
        opened.db
          .insertInto("referral_event")
          .values({
            id: "e1",
            referral_id: "nope",
            seq: 1,
            kind: "created",
            status: "draft",
            actor_org_id: "x",
            actor_staff: null,
            note: null,
            message_id: null,
            at: 1,
          })
          .execute(),
      ).rejects.toThrow();
      await opened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const adminUrl = process.env.REFNET_TEST_POSTGRES_URL;
  describe.skipIf(!adminUrl)("on PostgreSQL", () => {
    const name = `refnet_mig_${randomBytes(4).toString("hex")}`;
    const admin = () => new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    afterAll(async () => {
      const c = admin();
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    });

    it("run on a fresh database, and bigint comes back as a number", async () => {
      const c = admin();
      await c.connect();
      try {
        await c.query(`create database ${name}`);
      } finally {
        await c.end();
      }
      const url = new URL(adminUrl!);
      url.pathname = `/${name}`;
      expect(await exercise({ kind: "postgres", url: url.toString() })).toBe("postgres");
    });
  });
});
