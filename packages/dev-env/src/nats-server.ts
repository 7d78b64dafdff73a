// A real nats-server (Debian's 2.9.10, the version the protocol must work on: docs/protocol.md §3) on a
// free port of 127.0.0.1, with JetStream on a store directory that survives restarts.
import { accessSync, constants as fsConstants } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { killHard, type Managed, spawnLogged, terminate } from "./child.ts";
import { DevEnvError } from "./errors.ts";
import { freePort, waitFor } from "./wait.ts";

export interface NatsServerOptions {
  /**
   * Directory for the log (and the store, unless `storeDir` is given); kept by cleanup(). A fresh temp
   * dir, removed by cleanup(), when absent.
   */
  dir?: string;
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** JetStream store directory; a fresh one in the temp dir when absent. */
  storeDir?: string;
  /** Enable JetStream (default true). */
  jetstream?: boolean;
  /** A nats-server config file; the address, port and store flags given here take precedence over it. */
  configFile?: string;
  /** Debug logging (-D) in the log file. */
  debug?: boolean;
  /** Protocol tracing (-V) in the log file: every message the server routes, payload included. */
  trace?: boolean;
  /**
   * The config file has its own `jetstream { store_dir }` (pass the same dir as `storeDir`): no `-js -sd`
   * flags then, which nats-server 2.9 refuses next to a store_dir in the file ("Duplicate 'store_dir'").
   */
  jetstreamFromConfig?: boolean;
  /** Credentials of the readiness probe, for a config file that requires authentication. */
  probeAuth?: { user: string; pass: string };
  /**
   * Run in its own process group, so a Ctrl-C in the terminal reaches only the parent, which can then
   * stop nodes before the broker. Default false: the server then dies with the terminal's Ctrl-C even if
   * the parent never gets to clean up.
   */
  detached?: boolean;
  /** How long to wait for the server to accept connections (and JetStream to answer); default 15 s. */
  readyTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 5 s. */
  stopTimeoutMs?: number;
}

const INSTALL_HINT = "nats-server not found: run `apt-get install nats-server`";
const FALLBACK_PATHS = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"];

/** The nats-server binary: REFNET_NATS_SERVER_BIN, then PATH, then Debian's /usr/sbin. */
export function findNatsServerBinary(
  env: NodeJS.ProcessEnv = process.env,
  fallbacks: readonly string[] = FALLBACK_PATHS,
): string {
  const candidates: string[] = [];
  if (env.REFNET_NATS_SERVER_BIN) candidates.push(env.REFNET_NATS_SERVER_BIN);
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir) candidates.push(join(dir, "nats-server"));
  }
  candidates.push(...fallbacks);
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // not here; try the next one
    }
  }
  throw new DevEnvError("ERR_NATS_SERVER_NOT_FOUND", INSTALL_HINT);
}

export class NatsServer {
  readonly binary: string;
  readonly port: number;
  readonly url: string;
  readonly storeDir: string;
  /** stdout and stderr of every run of this server, appended. */
  readonly logFile: string;
  readonly jetstream: boolean;
  /** The directory of the log (and the store unless one was given). */
  readonly dir: string;
  private readonly ownsDir: boolean;
  private readonly detached: boolean;
  private readonly args: string[];
  private readonly readyTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly probeAuth: { user: string; pass: string } | undefined;
  private proc: Managed | undefined;

  private constructor(init: {
    binary: string;
    port: number;
    storeDir: string;
    logFile: string;
    dir: string;
    ownsDir: boolean;
    detached: boolean;
    jetstream: boolean;
    args: string[];
    readyTimeoutMs: number;
    stopTimeoutMs: number;
    probeAuth: { user: string; pass: string } | undefined;
  }) {
    this.binary = init.binary;
    this.port = init.port;
    this.url = `nats://127.0.0.1:${init.port}`;
    this.storeDir = init.storeDir;
    this.logFile = init.logFile;
    this.dir = init.dir;
    this.ownsDir = init.ownsDir;
    this.detached = init.detached;
    this.jetstream = init.jetstream;
    this.args = init.args;
    this.readyTimeoutMs = init.readyTimeoutMs;
    this.stopTimeoutMs = init.stopTimeoutMs;
    this.probeAuth = init.probeAuth;
  }

  static async start(opts: NatsServerOptions = {}): Promise<NatsServer> {
    const binary = findNatsServerBinary();
    const jetstream = opts.jetstream ?? true;
    const port = opts.port ? opts.port : await freePort();
    const ownsDir = opts.dir === undefined;
    const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "refnet-nats-")));
    await mkdir(dir, { recursive: true });
    const storeDir = opts.storeDir ?? join(dir, "store");
    await mkdir(storeDir, { recursive: true });
    const args: string[] = [];
    if (opts.configFile) args.push("-c", opts.configFile);
    args.push("-a", "127.0.0.1", "-p", String(port));
    if (jetstream && !(opts.configFile && opts.jetstreamFromConfig)) args.push("-js", "-sd", storeDir);
    if (opts.debug) args.push("-D");
    if (opts.trace) args.push("-V");
    const server = new NatsServer({
      binary,
      port,
      storeDir,
      logFile: join(dir, "nats-server.log"),
      dir,
      ownsDir,
      detached: opts.detached ?? false,
      jetstream,
      args,
      readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
      probeAuth: opts.probeAuth,
    });
    try {
      await server.spawnAndWait();
    } catch (err) {
      if (ownsDir) await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  /** True while the server process is alive. */
  get running(): boolean {
    return this.proc !== undefined && !this.proc.hasExited();
  }

  get pid(): number | undefined {
    return this.running ? this.proc?.child.pid : undefined;
  }

  /** Graceful stop: SIGTERM, then SIGKILL after the stop timeout. Keeps the store and the log. */
  async stop(): Promise<void> {
    if (this.proc) await terminate(this.proc, this.stopTimeoutMs);
  }

  /** A crash: SIGKILL, no shutdown. JetStream recovers its store on the next start. */
  async kill(): Promise<void> {
    if (this.proc) await killHard(this.proc);
  }

  /** Starts again on the same port and store directory (stopping first if running). */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawnAndWait();
  }

  /** Starts a stopped or killed server again; a no-op while running. */
  async start(): Promise<void> {
    if (!this.running) await this.spawnAndWait();
  }

  /** Stops the server if needed and removes its temp dir (a dir or store dir given by the caller is kept). */
  async cleanup(): Promise<void> {
    await this.stop();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  /** The last `lines` lines of the server log, for error messages. */
  async logTail(lines = 20): Promise<string> {
    try {
      const text = await readFile(this.logFile, "utf8");
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  private async spawnAndWait(): Promise<void> {
    const proc = spawnLogged(this.binary, this.args, {
      logFile: this.logFile,
      env: process.env,
      detached: this.detached,
    });
    this.proc = proc;
    try {
      await waitFor(
        async () => {
          // A server that dies (say, port taken) must end the wait at once, not after the timeout.
          const died = proc.exited.then(() => {
            throw new DevEnvError("ERR_NATS_SERVER_START", "nats-server exited during start");
          });
          died.catch(() => {});
          return Promise.race([this.probe(), died, rejectAfter(2_000, "probe timed out")]);
        },
        {
          timeoutMs: this.readyTimeoutMs,
          intervalMs: 50,
          what: `nats-server on ${this.url}`,
          isFatal: () => proc.hasExited(),
        },
      );
    } catch (err) {
      await killHard(proc);
      const tail = await this.logTail();
      throw new DevEnvError(
        "ERR_NATS_SERVER_START",
        `nats-server did not become ready on ${this.url}: ${(err as Error).message}\n--- ${this.logFile} ---\n${tail}`,
        { cause: err },
      );
    }
  }

  /** Ready = accepts a client, and (with JetStream) answers the JetStream account info API. */
  private async probe(): Promise<boolean> {
    const nc = await connect({ servers: this.url, reconnect: false, timeout: 1_000, ...this.probeAuth });
    try {
      if (this.jetstream) {
        const jsm = await jetstreamManager(nc, { timeout: 1_000 });
        await jsm.getAccountInfo();
      }
      return true;
    } finally {
      await nc.close();
    }
  }
}

function rejectAfter(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(message)), ms).unref();
  });
}
