// Opens the node's database (SQLite by default, PostgreSQL for production) and runs its migrations.
// Both dialects return integer milliseconds as JS numbers, so the code above never sees a bigint string.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import {
  type Dialect,
  Kysely,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
  sql,
} from "kysely";
import pg from "pg";
import type { DatabaseConfig } from "../config.ts";
import { migrations } from "./migrations/index.ts";
import type { Database } from "./schema.ts";

export type { Database } from "./schema.ts";

export type DialectName = "sqlite" | "postgres";

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

const INT8_OID = 20;

export function openDatabase(config: { database: DatabaseConfig }): OpenDatabase {
  const dialect = createDialect(config.database);
  const db = new Kysely<Database>({ dialect: dialect.dialect });
  let closed = false;
  return {
    db,
    dialect: dialect.name,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

function createDialect(cfg: DatabaseConfig): { name: DialectName; dialect: Dialect } {
  if (cfg.kind === "sqlite") {
    if (cfg.path !== ":memory:") mkdirSync(dirname(cfg.path), { recursive: true, mode: 0o700 });
    const database = new SQLite(cfg.path);
    // WAL lets the CLI read and write while the node runs; busy_timeout makes a writer wait for the
    // other instead of failing at once; foreign keys are off in SQLite unless asked for.
    database.pragma("journal_mode = WAL");
    database.pragma("foreign_keys = ON");
    database.pragma("busy_timeout = 5000");
    // FULL: a commit is on disk before it returns. The inbox acknowledges a message to the broker
    // once its transaction commits, and the relay publishes what a committed transaction enqueued;
    // with NORMAL a power cut could undo such a commit after the broker forgot the message, or leave
    // a partner holding a referral this node no longer knows it sent.
    database.pragma("synchronous = FULL");
    // Deleted and overwritten content is zeroed, not left in free pages: what the retention job and
    // erasure remove is gone from the file too (docs/data-at-rest.md).
    database.pragma("secure_delete = ON");
    return { name: "sqlite", dialect: new SqliteDialect({ database: withStatementCache(database) }) };
  }
  const pool = new pg.Pool({
    connectionString: cfg.url,
    max: 10,
    // Per pool, not pg.types globally: bigint (our millisecond columns, count(*)) as a JS number.
    // Milliseconds stay far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === INT8_OID) return (v: string) => Number(v);
        return format === "binary"
          ? pg.types.getTypeParser(oid, "binary")
          : pg.types.getTypeParser(oid, "text");
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that errors (the server restarted) must not crash the process; the pool replaces it.
  pool.on("error", () => undefined);
  return { name: "postgres", dialect: new PostgresDialect({ pool }) };
}

/**
 * Kysely prepares every query anew; compiling SQL in SQLite costs as much as running these small
 * queries. The node issues a few dozen distinct statements, so a small cache keyed by SQL text keeps
 * them prepared. Statements are only ever run to completion (all/run), so reuse is safe.
 */
function withStatementCache(database: SQLite.Database, max = 512): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (text: string) => {
      let stmt = cache.get(text);
      if (stmt) {
        // Refresh its place: the Map's order is the eviction order.
        cache.delete(text);
      } else {
        stmt = database.prepare(text);
        if (cache.size >= max) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(text, stmt);
      return stmt as unknown as SqliteStatement;
    },
  };
}

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Runs every pending migration; throws (naming the migration) if one fails. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider });
  const res = await migrator.migrateToLatest();
  if (res.error) {
    const failed = res.results?.find((r) => r.status === "Error");
    const what = failed ? `migration ${failed.migrationName}` : "migrations";
    throw new Error(`${what} failed: ${res.error instanceof Error ? res.error.message : String(res.error)}`, {
      cause: res.error,
    });
  }
  return res;
}

/** True when the database answers a trivial query (for readiness). */
export async function pingDatabase(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
