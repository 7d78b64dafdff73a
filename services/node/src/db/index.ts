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
import { GroupCommit } from "./group-commit.ts";
import { migrations } from "./migrations/index.ts";
import type { Database } from "./schema.ts";

export type { Database } from "./schema.ts";

export type DialectName = "sqlite" | "postgres";

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /**
   * Resolves once every transaction committed before the call is on disk. Immediate unless the
   * database was opened with group commit (SQLite); PostgreSQL commits are durable when they return.
   */
  durable(): Promise<void>;
  /** The group commit of a SQLite database opened with it (how many flushes ran, for tests and metrics). */
  groupCommit?: GroupCommit;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /**
   * SQLite: commits return without waiting for the disk and `durable()` flushes them, many at a time,
   * off the event loop (group-commit.ts). For the node process, which calls durable() before anything
   * outside relies on a commit; every other user of the database commits at synchronous=FULL.
   */
  groupCommit?: boolean;
}

const INT8_OID = 20;

export function openDatabase(
  config: { database: DatabaseConfig },
  options: OpenDatabaseOptions = {},
): OpenDatabase {
  const dialect = createDialect(config.database, options);
  const db = new Kysely<Database>({ dialect: dialect.dialect });
  const group = dialect.groupCommit;
  let closed = false;
  return {
    db,
    dialect: dialect.name,
    durable: group ? () => group.durable() : () => Promise.resolve(),
    ...(group ? { groupCommit: group } : {}),
    async close() {
      if (closed) return;
      closed = true;
      // What was committed reaches the disk before the connection goes (closing the last connection
      // also checkpoints the log into the database file, synced).
      await group?.durable().catch(() => undefined);
      await group?.close();
      await db.destroy();
    },
  };
}

function createDialect(
  cfg: DatabaseConfig,
  options: OpenDatabaseOptions,
): { name: DialectName; dialect: Dialect; groupCommit?: GroupCommit } {
  if (cfg.kind === "sqlite") {
    if (cfg.path !== ":memory:") mkdirSync(dirname(cfg.path), { recursive: true, mode: 0o700 });
    const database = new SQLite(cfg.path);
    // WAL lets the CLI read and write while the node runs; busy_timeout makes a writer wait for the
    // other instead of failing at once; foreign keys are off in SQLite unless asked for.
    database.pragma("journal_mode = WAL");
    database.pragma("foreign_keys = ON");
    database.pragma("busy_timeout = 5000");
    // A commit the broker or a partner relies on must survive a power cut: the inbox acknowledges a
    // message once the transaction that stored it is on disk, and the relay publishes only what a
    // transaction on disk enqueued. FULL flushes at every commit; group commit (the node) runs at
    // NORMAL and flushes with durable() before either happens (group-commit.ts).
    const groupCommit =
      options.groupCommit && cfg.path !== ":memory:" ? new GroupCommit({ path: cfg.path }) : undefined;
    database.pragma(groupCommit ? "synchronous = NORMAL" : "synchronous = FULL");
    // Deleted and overwritten content is zeroed, not left in free pages: what the retention job and
    // erasure remove is gone from the file too (docs/data-at-rest.md).
    database.pragma("secure_delete = ON");
    return {
      name: "sqlite",
      dialect: new SqliteDialect({ database: withStatementCache(database, groupCommit) }),
      ...(groupCommit ? { groupCommit } : {}),
    };
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
function withStatementCache(
  database: SQLite.Database,
  groupCommit: GroupCommit | undefined,
  max = 512,
): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
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
        const prepared = database.prepare(text);
        // What may write, or make writes final: `readonly` is false for a write (an UPDATE … RETURNING
        // is a reader too) but true for COMMIT and RELEASE, which are what must reach the disk.
        stmt =
          groupCommit && (!prepared.readonly || COMMITS.test(text))
            ? countingWrites(prepared, groupCommit)
            : (prepared as unknown as SqliteStatement);
        if (cache.size >= max) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}

const COMMITS = /^\s*(commit|end|release)\b/i;

/** A statement that may write: each run is counted, so durable() knows what it must cover. */
function countingWrites(stmt: SQLite.Statement, group: GroupCommit): SqliteStatement {
  return {
    reader: stmt.reader,
    all: (parameters: ReadonlyArray<unknown>) => {
      const rows = stmt.all(parameters);
      group.noteWrite();
      return rows;
    },
    run: (parameters: ReadonlyArray<unknown>) => {
      const res = stmt.run(parameters);
      group.noteWrite();
      return res;
    },
    iterate: (parameters: ReadonlyArray<unknown>) => stmt.iterate(parameters),
  } as unknown as SqliteStatement;
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
