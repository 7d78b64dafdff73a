// Group commit for the node's SQLite database.
//
// better-sqlite3 runs on the event loop: with synchronous=FULL every COMMIT waits there for an fsync
// of the write-ahead log, and nothing else runs meanwhile (about half a millisecond per commit on a
// loaded disk, several commits per referral). The node instead runs its connection at
// synchronous=NORMAL, where a commit is written to the log but not flushed, and makes commits durable
// where it matters with `durable()`: one fsync of the log on libuv's thread pool covers every commit
// written before it started, and callers that arrive while one runs share the next.
//
// Callers wait for durable() before anything outside the database relies on a commit:
// - the inbox acknowledges a message to the broker only after the commit that stored it is durable;
// - the outbox relay publishes only messages whose commit is durable;
// - a GraphQL answer is sent only after what the request committed is durable.
// A power cut can then lose only commits nobody outside the node has been told about.
//
// The person key vault (person-vault.ts) uses the same mechanism for the keys it makes ahead.
//
// A failed fsync is final (as in PostgreSQL): after it the kernel may report later ones as clean
// although the lost pages were never written, so every later durable() fails too and the node must
// be restarted, recovering from the log on disk.
import { closeSync, fsyncSync, openSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";

export interface GroupCommitOptions {
  /** The database file; its write-ahead log is `<path>-wal`. */
  path: string;
  /** How a file is flushed; the default opens it and calls fsync. A seam for tests. */
  sync?: (file: string) => Promise<void>;
}

export class GroupCommit {
  /** Write statements run so far (COMMIT included); a durable() call must cover all of them. */
  #writes = 0;
  /** How many writes the last completed fsync covers. */
  #synced = 0;
  #inflight: { covers: number; done: Promise<void> } | undefined;
  #queued: Promise<void> | undefined;
  #failed: Error | undefined;
  #syncs = 0;
  readonly #sync: (file: string) => Promise<void>;
  readonly #wal: string;
  #handle: Promise<FileHandle> | undefined;
  #dirSynced = false;

  constructor(private readonly opts: GroupCommitOptions) {
    this.#wal = `${opts.path}-wal`;
    this.#sync = opts.sync ?? ((file) => this.#fsync(file));
  }

  /** Called by the connection after every statement that may write (it is not a reader). */
  noteWrite(): void {
    this.#writes++;
  }

  /** How many fsyncs ran (metrics and tests). */
  get syncs(): number {
    return this.#syncs;
  }

  /** Resolves once every write made before this call is on disk; rejects for good after a failed fsync. */
  durable(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const target = this.#writes;
    if (target <= this.#synced) return Promise.resolve();
    const running = this.#inflight;
    if (running && running.covers >= target) return running.done;
    // A flush that starts now covers this call's writes; one already running may have started before
    // them. Queue one (shared by every caller until it starts) behind the running one.
    if (!this.#queued) {
      const after = running ? running.done.catch(() => undefined) : Promise.resolve();
      this.#queued = after.then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    }
    return this.#queued;
  }

  /**
   * Flushes the log now, on the calling thread, for a caller that cannot wait (a person key about to
   * seal before its own flush completed, person-vault.ts). Throws, for good, when the flush fails.
   */
  flushSync(): void {
    if (this.#failed) throw this.#failed;
    const covers = this.#writes;
    try {
      const fd = openSync(this.#wal, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw this.#fail(err);
    }
    this.#syncs++;
    this.#synced = Math.max(this.#synced, covers);
  }

  async close(): Promise<void> {
    await this.#inflight?.done.catch(() => undefined);
    await this.#queued?.catch(() => undefined);
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }

  #start(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const covers = this.#writes;
    const done = this.#sync(this.#wal).then(
      () => {
        this.#syncs++;
        this.#synced = Math.max(this.#synced, covers);
        if (this.#inflight?.done === done) this.#inflight = undefined;
      },
      (err: unknown) => {
        if (this.#inflight?.done === done) this.#inflight = undefined;
        throw this.#fail(err);
      },
    );
    this.#inflight = { covers, done };
    return done;
  }

  /** Records a failed flush: final (see the top of this file). */
  #fail(err: unknown): Error {
    this.#failed ??= new Error(
      `Flushing the database's write-ahead log to disk failed (${err instanceof Error && "code" in err ? String(err.code) : "error"}); restart the node.`,
    );
    return this.#failed;
  }

  async #fsync(file: string): Promise<void> {
    // One handle kept open: the log file is not replaced while the node holds the database open
    // (SQLite deletes it only when the last connection closes; a checkpoint rewrites it in place).
    this.#handle ??= open(file, "r");
    let handle: FileHandle;
    try {
      handle = await this.#handle;
    } catch (err) {
      this.#handle = undefined;
      throw err;
    }
    await handle.sync();
    if (!this.#dirSynced) {
      // The log file's directory entry, once: a log created since the node started must survive too.
      const dir = await open(dirname(this.opts.path), "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      this.#dirSynced = true;
    }
  }
}
