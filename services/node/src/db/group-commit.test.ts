import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.ts";
import { migrateToLatest, openDatabase } from "./index.ts";

/** A flush the test releases by hand, counting how many were asked for. */
function manualSync() {
  const calls: { file: string; release(): void; fail(err: Error): void }[] = [];
  const sync = (file: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ file, release: resolve, fail: reject });
    });
  return { calls, sync };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("GroupCommit", () => {
  it("flushes nothing when nothing was written", async () => {
    const m = manualSync();
    const g = new GroupCommit({ path: "/data/node.db", sync: m.sync });
    await g.durable();
    expect(m.calls).toHaveLength(0);
  });

  it("covers every caller that arrives before a flush starts with one flush of the log", async () => {
    const m = manualSync();
    const g = new GroupCommit({ path: "/data/node.db", sync: m.sync });
    g.noteWrite();
    g.noteWrite();
    let resolved = 0;
    const waits = Array.from({ length: 10 }, () => g.durable().then(() => resolved++));
    await tick();
    expect(m.calls).toHaveLength(1);
    expect(m.calls[0]!.file).toBe("/data/node.db-wal");
    expect(resolved).toBe(0);
    m.calls[0]!.release();
    await Promise.all(waits);
    expect(resolved).toBe(10);
    // Covered: nothing new, nothing to flush.
    await g.durable();
    expect(m.calls).toHaveLength(1);
    expect(g.syncs).toBe(1);
  });

  it("makes a write during a running flush wait for the next one, shared by everyone who arrives meanwhile", async () => {
    const m = manualSync();
    const g = new GroupCommit({ path: "/data/node.db", sync: m.sync });
    g.noteWrite();
    const first = g.durable();
    await tick();
    expect(m.calls).toHaveLength(1);
    // Written after the flush started: the running flush may not cover it.
    g.noteWrite();
    let secondDone = false;
    const second = g.durable().then(() => {
      secondDone = true;
    });
    g.noteWrite();
    const third = g.durable();
    m.calls[0]!.release();
    await first;
    await tick();
    expect(secondDone).toBe(false);
    expect(m.calls).toHaveLength(2);
    m.calls[1]!.release();
    await Promise.all([second, third]);
    expect(secondDone).toBe(true);
    expect(m.calls).toHaveLength(2);
  });

  it("fails for good after a failed flush, even with nothing new written", async () => {
    const m = manualSync();
    const g = new GroupCommit({ path: "/data/node.db", sync: m.sync });
    g.noteWrite();
    const p = g.durable();
    await tick();
    m.calls[0]!.fail(Object.assign(new Error("I/O error"), { code: "EIO" }));
    await expect(p).rejects.toThrow(/EIO.*restart the node/);
    await expect(g.durable()).rejects.toThrow(/restart the node/);
    g.noteWrite();
    await expect(g.durable()).rejects.toThrow(/restart the node/);
    expect(m.calls).toHaveLength(1);
  });
});

describe("a database opened with group commit", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "refnet-gc-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs at synchronous=NORMAL and flushes the log of a real file on durable()", async () => {
    const opened = openDatabase(
      { database: { kind: "sqlite", path: join(dir, "node.db") } },
      { groupCommit: true },
    );
    try {
      await migrateToLatest(opened.db);
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(opened.db);
      expect(sync.rows[0]?.synchronous).toBe(1);
      await opened.durable();
      await opened.db.insertInto("node_state").values({ key: "k", value: "v", updated_at: 1 }).execute();
      await opened.durable();
      const row = await opened.db
        .selectFrom("node_state")
        .selectAll()
        .where("key", "=", "k")
        .executeTakeFirst();
      expect(row?.value).toBe("v");
    } finally {
      await opened.close();
    }
  });

  it("counts the COMMIT itself: a flush that ran inside a transaction does not cover its commit", async () => {
    const opened = openDatabase(
      { database: { kind: "sqlite", path: join(dir, "node.db") } },
      { groupCommit: true },
    );
    try {
      await migrateToLatest(opened.db);
      await opened.durable();
      const group = opened.groupCommit!;
      const start = group.syncs;
      await opened.db.transaction().execute(async (trx) => {
        await trx.insertInto("node_state").values({ key: "a", value: "1", updated_at: 1 }).execute();
        // Another caller flushes while this transaction is still open: it covers the insert, not the commit.
        await opened.durable();
        expect(group.syncs).toBe(start + 1);
      });
      await opened.durable();
      expect(group.syncs).toBe(start + 2);
      // Nothing written since: no further flush.
      await opened.durable();
      expect(group.syncs).toBe(start + 2);
    } finally {
      await opened.close();
    }
  });

  it("leaves other users of the database at synchronous=FULL", async () => {
    const opened = openDatabase({ database: { kind: "sqlite", path: join(dir, "node.db") } });
    try {
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(opened.db);
      expect(sync.rows[0]?.synchronous).toBe(2);
      await opened.durable();
    } finally {
      await opened.close();
    }
  });
});
