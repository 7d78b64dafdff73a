// Against the real nats-server binary: start, stop, kill, restart on the same port with the same
// JetStream store, and the failure modes a test run can meet (missing binary, port taken).

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { DevEnvError } from "./errors.ts";
import { findNatsServerBinary, NatsServer } from "./nats-server.ts";
import { freePort, waitFor } from "./wait.ts";

const started: NatsServer[] = [];
async function startServer(opts?: Parameters<typeof NatsServer.start>[0]): Promise<NatsServer> {
  const s = await NatsServer.start(opts);
  started.push(s);
  return s;
}

afterEach(async () => {
  for (const s of started.splice(0)) await s.cleanup();
});

async function canConnect(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

async function publishDurable(url: string, stream: string, subject: string, data: string): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    await jetstream(nc).publish(subject, data);
  } finally {
    await nc.close();
  }
}

async function readFirst(url: string, stream: string): Promise<{ count: number; data: string | null }> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const msg = await jsm.streams.getMessage(stream, { seq: info.state.first_seq });
    return { count: info.state.messages, data: msg ? msg.string() : null };
  } finally {
    await nc.close();
  }
}

describe("NatsServer", () => {
  it("starts on a free port with JetStream ready, logs to a file, and stops", async () => {
    const s = await startServer();
    expect(s.url).toBe(`nats://127.0.0.1:${s.port}`);
    expect(s.running).toBe(true);
    expect(s.pid).toBeGreaterThan(0);

    const nc = await connect({ servers: s.url, reconnect: false });
    const info = await (await jetstreamManager(nc)).getAccountInfo();
    expect(info.streams).toBe(0);
    await nc.close();

    expect(await readFile(s.logFile, "utf8")).toMatch(/Server is ready/);
    expect(existsSync(s.storeDir)).toBe(true);

    await s.stop();
    expect(s.running).toBe(false);
    expect(await canConnect(s.url)).toBe(false);
  });

  it("restarts on the same port and keeps JetStream data", async () => {
    const s = await startServer();
    const port = s.port;
    await publishDurable(s.url, "KEEP", "keep.it", "envelope-1");

    await s.restart();
    expect(s.port).toBe(port);
    expect(s.running).toBe(true);
    expect(await readFirst(s.url, "KEEP")).toEqual({ count: 1, data: "envelope-1" });
  });

  it("survives a kill: no connections while down, data back after start", async () => {
    const s = await startServer();
    await publishDurable(s.url, "CRASH", "crash.it", "envelope-2");
    const oldPid = s.pid;

    await s.kill();
    expect(s.running).toBe(false);
    expect(await canConnect(s.url)).toBe(false);

    await s.start();
    expect(s.pid).not.toBe(oldPid);
    expect(await readFirst(s.url, "CRASH")).toEqual({ count: 1, data: "envelope-2" });
  });

  it("keeps a client connection that reconnects across a restart", async () => {
    const s = await startServer();
    const nc = await connect({ servers: s.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    try {
      await s.restart();
      await waitFor(
        async () => {
          await nc.flush();
          return true;
        },
        { timeoutMs: 10_000, what: "client reconnect" },
      );
      expect(nc.isClosed()).toBe(false);
    } finally {
      await nc.close();
    }
  });

  it("uses a given port and store dir, and cleanup removes only its temp dir", async () => {
    const port = await freePort();
    const first = await startServer();
    const storeDir = `${first.dir}/shared-store`;
    const s = await startServer({ port, storeDir });
    expect(s.port).toBe(port);
    expect(s.storeDir).toBe(storeDir);
    await s.cleanup();
    expect(existsSync(s.dir)).toBe(false);
    // The caller's store dir is the caller's to remove.
    expect(existsSync(storeDir)).toBe(true);
  });

  it("keeps a dir given by the caller, with its log and store", async () => {
    const first = await startServer();
    const dir = `${first.dir}/given`;
    const s = await startServer({ dir });
    expect(s.logFile.startsWith(dir)).toBe(true);
    expect(s.storeDir.startsWith(dir)).toBe(true);
    await s.cleanup();
    expect(existsSync(s.logFile)).toBe(true);
  });

  it("runs without JetStream when asked", async () => {
    const s = await startServer({ jetstream: false });
    const nc = await connect({ servers: s.url, reconnect: false });
    await expect(jetstreamManager(nc, { timeout: 1_000 })).rejects.toThrow();
    await nc.close();
  });

  it("fails with the log when the port is taken, and leaves nothing behind", async () => {
    const port = await freePort();
    // The blocker answers nothing; its sockets are destroyed so that close() does not wait on them.
    const sockets: Socket[] = [];
    const blocker: Server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const err = await NatsServer.start({ port, readyTimeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DevEnvError);
      expect((err as DevEnvError).code).toBe("ERR_NATS_SERVER_START");
      expect((err as Error).message).toMatch(/address already in use/);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("is killed when the process that started it exits without stopping it", async () => {
    const script = `
      import { NatsServer } from ${JSON.stringify(new URL("./nats-server.ts", import.meta.url).pathname)};
      const s = await NatsServer.start();
      console.log(JSON.stringify({ pid: s.pid, dir: s.dir }));
      process.exit(0);
    `;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        { timeout: 30_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
    const { pid, dir } = JSON.parse(out.trim().split("\n").pop()!) as { pid: number; dir: string };
    try {
      await waitFor(
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        { timeoutMs: 5_000, what: "the orphaned nats-server to be gone" },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says how to install nats-server when it is missing", () => {
    expect(() => findNatsServerBinary({ PATH: "/nonexistent" }, [])).toThrow(
      expect.objectContaining({
        code: "ERR_NATS_SERVER_NOT_FOUND",
        message: "nats-server not found: run `apt-get install nats-server`",
      }),
    );
    expect(findNatsServerBinary({ PATH: "" })).toMatch(/nats-server$/);
  });
});

describe("freePort", () => {
  it("returns a port that can be bound on 127.0.0.1", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });
});

describe("waitFor", () => {
  it("returns the first truthy value, treating throws as not yet", async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error("not yet");
        return calls === 3 ? false : { ok: calls };
      },
      { intervalMs: 1 },
    );
    expect(value).toEqual({ ok: 4 });
  });

  it("stops at once on an error the caller marks fatal", async () => {
    const started = Date.now();
    const err = await waitFor(
      () => {
        throw new DevEnvError("ERR_NODE_START", "process exited");
      },
      { timeoutMs: 5_000, isFatal: (e) => e instanceof DevEnvError && e.code === "ERR_NODE_START" },
    ).catch((e: unknown) => e);
    expect((err as DevEnvError).code).toBe("ERR_NODE_START");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("times out with a coded error naming what it waited for, and the last error", async () => {
    const err = await waitFor(
      () => {
        throw new Error("connection refused");
      },
      { timeoutMs: 60, intervalMs: 10, what: "node ready" },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevEnvError);
    expect((err as DevEnvError).code).toBe("ERR_WAIT_TIMEOUT");
    expect((err as Error).message).toMatch(/node ready.*connection refused/);
  });
});
