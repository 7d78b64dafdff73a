// A whole refnet network on one machine: a real nats-server and one real node per organization,
// each with its own keys, data directory and database, all trusting one genesis trust list. Used by
// the cross-node scenarios in tests/ and by `npm run demo`.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  createKekFile,
  createStaff,
  KeyEncryptionKey,
  type KeyFile,
  loadConfig,
  migrateToLatest,
  openDatabase,
  type RunningNode,
  startNode as startNodeInProcess,
  writeKeyFile,
} from "@refnet/node";
import { inboxStreamName } from "@refnet/protocol";
import { createTestNetworkTrust, type PartnerRole, type SignedTrustList } from "@refnet/trust";
import pg from "pg";
import { type HubAndLeaves, startHubAndLeaves } from "./broker.ts";
import { killHard, type Managed, spawnLogged, terminate } from "./child.ts";
import { DevEnvError, GraphQLRequestError, type GraphQLResponseError } from "./errors.ts";
import { NatsServer } from "./nats-server.ts";
import { type GqlSubscription, type SubscriptionResult, subscribeSse } from "./sse.ts";
import { freePort, type WaitForOptions, waitFor } from "./wait.ts";

/** The repository root (this file is packages/dev-env/src/network.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface TestOrg {
  orgId: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  roles: PartnerRole[];
}

export type TestDatabase = "sqlite" | { postgresUrl: string };
export type NodeMode = "in-process" | "process";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export type NodeOverrides = NonNullable<Parameters<typeof startNodeInProcess>[1]>;
type TrustOptions = Omit<Parameters<typeof createTestNetworkTrust>[0], "network" | "orgs">;
type TestTrust = Awaited<ReturnType<typeof createTestNetworkTrust>>;

export interface TestNetworkOptions {
  /** Network id; default "demo-net". */
  network?: string;
  orgs: TestOrg[];
  /** "sqlite" (default): a file in each node's data dir; PostgreSQL: one fresh database per org. */
  database?: TestDatabase;
  /** "in-process" (default): startNode() in this process; "process": one `node` process per org. */
  nodeMode?: NodeMode;
  /** The nodes' REFNET_LOG_LEVEL; default "warn" in process (test output), "info" for child processes. */
  logLevel?: LogLevel;
  /**
   * Keep everything (data dirs, nats store and logs) under this directory, emptied first, and leave it
   * in place after stop(). A fresh temp dir, removed by stop(), when absent.
   */
  rootDir?: string;
  /** Passed to createTestNetworkTrust (admins, threshold, lifetime). */
  trust?: TrustOptions;
  /** Extra REFNET_* variables for every node. */
  env?: Record<string, string>;
  /**
   * nats-server logging: "debug" (-D) or "trace" (-D -V, every routed message with its payload, in
   * `nats/nats-server.log`); the server's default when absent.
   */
  natsLogging?: "debug" | "trace";
  /**
   * "single" (default): one nats-server, nodes connect to it without credentials. "hub-leaf": the
   * production topology of infra/nats/README.md, generated from the trust list: a hub with a JetStream
   * domain and one NATS user per organisation, and one leaf nats-server per organisation that its node
   * connects to (REFNET_NATS_JS_DOMAIN set). `nats` is then the hub; `natsAdmin` holds the admins' user.
   */
  broker?: "single" | "hub-leaf";
  /** Children (nats-server, node processes) in their own process group; see NatsServerOptions.detached. */
  detached?: boolean;
  /**
   * In-process mode: replacements for parts of a node's context (clock, faults, ...), per org. Ignored
   * in process mode.
   */
  nodeOverrides?: (orgId: string) => NodeOverrides | undefined;
  /** How long one node may take to become ready; default 60 s (tsx compiles on the first start). */
  nodeStartTimeoutMs?: number;
}

/** What a test sees of one node. */
export interface TestNode {
  orgId: string;
  name: string;
  country: string;
  roles: PartnerRole[];
  /** Base URL (http://127.0.0.1:<port>); /healthz and /readyz live here. */
  url: string;
  graphqlUrl: string;
  /** Bearer token of the node's admin staff account. */
  token: string;
  running: boolean;
  /** The node's context, in-process mode only, while running. */
  ctx?: RunningNode["ctx"];
  /** Process mode only, while running. */
  pid?: number;
  dataDir: string;
  keysFile: string;
  /** The node's key-encryption key (REFNET_KEK_FILE), unless the test gave REFNET_KEK in `env`. */
  kekFile: string;
  /** Process mode: the node's stdout and stderr. */
  logFile: string;
  /** The REFNET_* variables the node runs with (for the CLI against the same node). */
  env: Readonly<Record<string, string>>;
}

export interface GqlResult<TData = unknown> {
  data?: TData | null;
  errors?: GraphQLResponseError[];
}

export interface GqlOptions {
  /** Return a response with `errors` instead of throwing GraphQLRequestError. */
  allowErrors?: boolean;
  /** Another bearer token (say, a caseworker's), or null for none. */
  token?: string | null;
}

interface Slot {
  org: TestOrg;
  dataDir: string;
  keysFile: string;
  kekFile: string;
  logFile: string;
  port: number;
  env: Record<string, string>;
  token: string | undefined;
  inProcess: RunningNode | undefined;
  process: Managed | undefined;
  url: string;
  graphqlUrl: string;
  /** From the start call to ready, for the latest start. */
  readyMs: number | undefined;
}

/** Waits for referrals to reach DELIVERED, as seen on one node's live event stream. */
export interface DeliveredWatcher {
  /** Resolves once `referralId` was delivered (at once if it already was since the watcher opened). */
  wait(referralId: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

const ROOT_MARKER = ".refnet-test-network";
const ADMIN_USERNAME = "admin";

export class TestNetwork {
  readonly network: string;
  readonly rootDir: string;
  readonly genesisFile: string;
  readonly nodeMode: NodeMode;
  readonly database: TestDatabase;
  /** Keys and the signed genesis list, for tests that play network admin. */
  readonly trust: TestTrust;
  readonly nats: NatsServer;
  /** "hub-leaf" broker: each organisation's leaf nats-server, by org id (empty with a single server). */
  readonly natsLeaves: ReadonlyMap<string, NatsServer>;
  /** "hub-leaf" broker: the admins' NATS user on the hub; undefined with a single server (no auth). */
  readonly natsAdmin: { user: string; pass: string } | undefined;
  private readonly slots: Map<string, Slot>;
  /** Reused connections for gql(): a test or the bench sends thousands of requests in a row. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 });
  private readonly pgDatabases: string[];
  private readonly ownsRoot: boolean;
  private readonly detached: boolean;
  private readonly nodeStartTimeoutMs: number;
  private readonly nodeOverrides: TestNetworkOptions["nodeOverrides"];
  private stopped = false;

  private constructor(init: {
    network: string;
    rootDir: string;
    genesisFile: string;
    nodeMode: NodeMode;
    database: TestDatabase;
    trust: TestTrust;
    nats: NatsServer;
    hubLeaves: HubAndLeaves | undefined;
    slots: Map<string, Slot>;
    pgDatabases: string[];
    ownsRoot: boolean;
    detached: boolean;
    nodeStartTimeoutMs: number;
    nodeOverrides: TestNetworkOptions["nodeOverrides"];
  }) {
    this.network = init.network;
    this.rootDir = init.rootDir;
    this.genesisFile = init.genesisFile;
    this.nodeMode = init.nodeMode;
    this.database = init.database;
    this.trust = init.trust;
    this.nats = init.nats;
    this.natsLeaves = init.hubLeaves?.leaves ?? new Map();
    this.natsAdmin = init.hubLeaves?.admin;
    this.slots = init.slots;
    this.pgDatabases = init.pgDatabases;
    this.ownsRoot = init.ownsRoot;
    this.detached = init.detached;
    this.nodeStartTimeoutMs = init.nodeStartTimeoutMs;
    this.nodeOverrides = init.nodeOverrides;
  }

  static async start(opts: TestNetworkOptions): Promise<TestNetwork> {
    const network = opts.network ?? "demo-net";
    const nodeMode = opts.nodeMode ?? "in-process";
    const database = opts.database ?? "sqlite";
    const logLevel = opts.logLevel ?? (nodeMode === "process" ? "info" : "warn");
    if (opts.orgs.length === 0)
      throw new DevEnvError("ERR_UNKNOWN_ORG", "a test network needs at least one org");
    const ids = new Set(opts.orgs.map((o) => o.orgId));
    if (ids.size !== opts.orgs.length) throw new DevEnvError("ERR_UNKNOWN_ORG", "org ids must be unique");

    const ownsRoot = opts.rootDir === undefined;
    const rootDir = opts.rootDir ? resolve(opts.rootDir) : await mkdtemp(join(tmpdir(), "refnet-net-"));
    if (!ownsRoot) await emptyOwnDir(rootDir);
    await writeFile(join(rootDir, ROOT_MARKER), `${network}\n`);

    // Everything started so far, so that a failure half-way leaves nothing running.
    let nats: NatsServer | undefined;
    let hubLeaves: HubAndLeaves | undefined;
    const pgDatabases: string[] = [];
    const adminUrl = typeof database === "object" ? database.postgresUrl : undefined;
    let net: TestNetwork | undefined;
    try {
      const trust = await createTestNetworkTrust({ network, orgs: opts.orgs, ...opts.trust });
      if (opts.broker === "hub-leaf") {
        hubLeaves = await startHubAndLeaves({
          dir: join(rootDir, "nats"),
          network,
          list: trust.payload,
          detached: opts.detached ?? false,
        });
        nats = hubLeaves.hub;
      } else {
        nats = await NatsServer.start({
          dir: join(rootDir, "nats"),
          detached: opts.detached ?? false,
          ...(opts.natsLogging ? { debug: true, trace: opts.natsLogging === "trace" } : {}),
        });
      }
      const genesisFile = join(rootDir, "genesis.json");
      await writeFile(genesisFile, `${JSON.stringify(trust.signed satisfies SignedTrustList, null, 2)}\n`);

      const run = randomBytes(4).toString("hex");
      const slots = new Map<string, Slot>();
      for (const org of opts.orgs) {
        const dataDir = join(rootDir, org.orgId);
        await mkdir(dataDir, { recursive: true, mode: 0o700 });
        const keysFile = join(dataDir, "keys.json");
        // Each node its own key-encryption key (docs/data-at-rest.md), beside its key file as
        // `refnet init` would make it; or the REFNET_KEK a test passes in `env`.
        const kekFile = join(dataDir, "kek");
        const kekText = opts.env?.REFNET_KEK;
        const kek =
          kekText !== undefined
            ? KeyEncryptionKey.parse(kekText, "REFNET_KEK")
            : await createKekFile(kekFile);
        if (!kek) throw new DevEnvError("ERR_UNKNOWN_ORG", "env.REFNET_KEK is not a key-encryption key");
        await writeOrgKeys(keysFile, org.orgId, trust.orgKeys[org.orgId], kek);
        const port = await freePort();
        const env: Record<string, string> = {
          REFNET_ORG_ID: org.orgId,
          REFNET_NETWORK: network,
          REFNET_DATA_DIR: dataDir,
          REFNET_HTTP_HOST: "127.0.0.1",
          REFNET_HTTP_PORT: String(port),
          REFNET_NATS_URL: hubLeaves ? hubLeaves.leaves.get(org.orgId)!.url : nats.url,
          ...(hubLeaves ? { REFNET_NATS_JS_DOMAIN: hubLeaves.jsDomain } : {}),
          REFNET_KEYS_FILE: keysFile,
          ...(kekText === undefined ? { REFNET_KEK_FILE: kekFile } : {}),
          REFNET_TRUST_GENESIS: genesisFile,
          REFNET_LOG_LEVEL: logLevel,
          ...opts.env,
        };
        if (adminUrl) {
          const name = pgDatabaseName(run, org.orgId);
          await createPgDatabase(adminUrl, name);
          pgDatabases.push(name);
          env.REFNET_DATABASE_URL = pgDatabaseUrl(adminUrl, name);
        }
        const url = `http://127.0.0.1:${port}`;
        slots.set(org.orgId, {
          org,
          dataDir,
          keysFile,
          kekFile,
          logFile: join(dataDir, "node.log"),
          port,
          env,
          token: undefined,
          inProcess: undefined,
          process: undefined,
          url,
          graphqlUrl: `${url}/graphql`,
          readyMs: undefined,
        });
      }

      net = new TestNetwork({
        network,
        rootDir,
        genesisFile,
        nodeMode,
        database,
        trust,
        nats,
        hubLeaves,
        slots,
        pgDatabases,
        ownsRoot,
        detached: opts.detached ?? false,
        nodeStartTimeoutMs: opts.nodeStartTimeoutMs ?? 60_000,
        nodeOverrides: opts.nodeOverrides,
      });
      // allSettled, not all: a node still starting when another fails must be stopped too.
      const results = await Promise.allSettled([...slots.keys()].map((orgId) => net!.startNode(orgId)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      return net;
    } catch (err) {
      if (net) {
        await net.stop().catch(() => undefined);
      } else {
        for (const leaf of hubLeaves?.leaves.values() ?? []) await leaf.cleanup().catch(() => undefined);
        await nats?.cleanup().catch(() => undefined);
        if (adminUrl) await dropPgDatabases(adminUrl, pgDatabases).catch(() => undefined);
        if (ownsRoot) await rm(rootDir, { recursive: true, force: true });
      }
      throw err;
    }
  }

  /** The orgs of the network, in the order given. */
  get orgIds(): string[] {
    return [...this.slots.keys()];
  }

  node(orgId: string): TestNode {
    const s = this.slot(orgId);
    const running = this.isRunning(s);
    return {
      orgId: s.org.orgId,
      name: s.org.name,
      country: s.org.country,
      roles: s.org.roles,
      url: s.url,
      graphqlUrl: s.graphqlUrl,
      token: s.token ?? "",
      running,
      ...(s.inProcess && running ? { ctx: s.inProcess.ctx } : {}),
      ...(s.process && running && s.process.child.pid !== undefined ? { pid: s.process.child.pid } : {}),
      dataDir: s.dataDir,
      keysFile: s.keysFile,
      kekFile: s.kekFile,
      logFile: s.logFile,
      env: { ...s.env },
    };
  }

  nodes(): TestNode[] {
    return this.orgIds.map((id) => this.node(id));
  }

  /**
   * Sends one GraphQL operation to a node as its admin (or with `opts.token`). Throws
   * GraphQLRequestError, carrying the errors' codes, when the response has `errors`, unless
   * `opts.allowErrors`.
   */
  async gql<TData = unknown>(
    orgId: string,
    query: string,
    variables?: Record<string, unknown>,
    opts: GqlOptions = {},
  ): Promise<GqlResult<TData>> {
    const s = this.slot(orgId);
    const token = opts.token === undefined ? s.token : opts.token;
    const payload = Buffer.from(JSON.stringify({ query, variables: variables ?? {} }));
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      "content-length": payload.byteLength,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await postOnce(this.agent, s.graphqlUrl, headers, payload);
    const text = res.text;
    let body: GqlResult<TData>;
    try {
      body = JSON.parse(text) as GqlResult<TData>;
    } catch {
      throw new DevEnvError("ERR_HTTP", `${orgId} answered HTTP ${res.status} without a GraphQL response`);
    }
    if (body === null || typeof body !== "object" || (!("data" in body) && !("errors" in body))) {
      throw new DevEnvError("ERR_HTTP", `${orgId} answered HTTP ${res.status} without a GraphQL response`);
    }
    if (body.errors && body.errors.length > 0 && !opts.allowErrors) {
      throw new GraphQLRequestError(orgId, body.errors);
    }
    return body;
  }

  /**
   * Opens a GraphQL subscription (SSE) on a node as its admin; resolves once the server is streaming,
   * so events caused after this are not missed.
   */
  subscribe<TData = unknown>(
    orgId: string,
    query: string,
    variables: Record<string, unknown> | undefined,
    onResult: (result: SubscriptionResult<TData>) => void,
    opts: { token?: string | null } = {},
  ): Promise<GqlSubscription> {
    const s = this.slot(orgId);
    const token = opts.token === undefined ? s.token : (opts.token ?? undefined);
    return subscribeSse<TData>(
      { url: s.graphqlUrl, query, ...(variables ? { variables } : {}), token },
      onResult,
    );
  }

  /** Watches a node's `referralEvents` for deliveries; see DeliveredWatcher. */
  async subscribeDelivered(orgId: string): Promise<DeliveredWatcher> {
    const delivered = new Set<string>();
    const waiters = new Map<string, (() => void)[]>();
    let failure: Error | undefined;
    const failAll = (err: Error) => {
      failure = err;
      for (const list of waiters.values()) for (const w of list) w();
      waiters.clear();
    };
    const sub = await this.subscribe<{
      referralEvents: { referralId: string; kind: string; status: string };
    }>(orgId, "subscription Delivered { referralEvents { referralId kind status } }", undefined, (result) => {
      const e = result.data?.referralEvents;
      if (!e || (e.kind !== "delivered" && e.status !== "DELIVERED")) return;
      delivered.add(e.referralId);
      const list = waiters.get(e.referralId);
      waiters.delete(e.referralId);
      for (const w of list ?? []) w();
    });
    sub.done.then(
      () => failAll(new DevEnvError("ERR_HTTP", `the event stream of ${orgId} ended`)),
      (err: unknown) =>
        failAll(new DevEnvError("ERR_HTTP", `the event stream of ${orgId} broke`, { cause: err })),
    );
    return {
      wait: (referralId, timeoutMs = 30_000) =>
        new Promise<void>((resolvePromise, reject) => {
          if (delivered.has(referralId)) return resolvePromise();
          if (failure) return reject(failure);
          const timer = setTimeout(() => {
            reject(
              new DevEnvError(
                "ERR_WAIT_TIMEOUT",
                `referral ${referralId} not delivered within ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs);
          const list = waiters.get(referralId) ?? [];
          list.push(() => {
            clearTimeout(timer);
            if (delivered.has(referralId)) resolvePromise();
            else reject(failure);
          });
          waiters.set(referralId, list);
        }),
      close: () => sub.close(),
    };
  }

  /**
   * Resident memory (bytes) of each running node. In process mode, each node process's own; in-process,
   * every node shares this process, so each shows this process's total.
   */
  async residentMemory(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [orgId, s] of this.slots) {
      if (s.inProcess) out[orgId] = process.memoryUsage().rss;
      else if (s.process && !s.process.hasExited() && s.process.child.pid !== undefined) {
        out[orgId] = await processRss(s.process.child.pid);
      }
    }
    return out;
  }

  /** For each node, how long its latest start took until it was ready (process mode: until /readyz 200). */
  readyTimes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [orgId, s] of this.slots) if (s.readyMs !== undefined) out[orgId] = s.readyMs;
    return out;
  }

  /** Polls `fn` until it returns a truthy value; see waitFor(). */
  waitFor<T>(fn: () => T | Promise<T>, opts?: WaitForOptions) {
    return waitFor(fn, opts);
  }

  /** Starts a stopped node again with the same data dir, database and keys; a no-op while running. */
  async startNode(orgId: string): Promise<void> {
    const s = this.slot(orgId);
    if (this.isRunning(s)) return;
    if (this.nodeMode === "in-process") {
      await this.startInProcess(s);
    } else {
      await this.startProcess(s);
    }
  }

  /** Graceful stop (drain, close). A no-op when already stopped. */
  async stopNode(orgId: string): Promise<void> {
    const s = this.slot(orgId);
    if (s.inProcess) {
      const running = s.inProcess;
      s.inProcess = undefined;
      await running.stop();
    }
    if (s.process) await terminate(s.process, 15_000);
  }

  /**
   * A crash. Process mode: SIGKILL. In-process there is no way to kill part of this process, so the
   * node is stopped, which still cuts it off between any two of its own steps.
   */
  async killNode(orgId: string): Promise<void> {
    const s = this.slot(orgId);
    if (s.process) {
      await killHard(s.process);
      return;
    }
    await this.stopNode(orgId);
  }

  async restartNode(orgId: string): Promise<void> {
    await this.stopNode(orgId);
    await this.startNode(orgId);
  }

  async stopNats(): Promise<void> {
    await this.nats.stop();
  }

  async killNats(): Promise<void> {
    await this.nats.kill();
  }

  /** Starts the stopped broker again, same port and store. */
  async startNats(): Promise<void> {
    await this.nats.start();
  }

  async restartNats(): Promise<void> {
    await this.nats.restart();
  }

  /** Messages waiting in the inbox stream (not yet acknowledged by their recipients). */
  async streamMessageCount(): Promise<number> {
    return this.withJsm(async (jsm) => {
      try {
        return (await jsm.streams.info(inboxStreamName(this.network))).state.messages;
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
    });
  }

  /** The raw bytes of every message waiting in the inbox stream, read without consuming them. */
  async readRawStream(): Promise<Uint8Array[]> {
    const stream = inboxStreamName(this.network);
    return this.withJsm(async (jsm) => {
      let state: { first_seq: number; last_seq: number; messages: number };
      try {
        state = (await jsm.streams.info(stream)).state;
      } catch (err) {
        if (isNotFound(err)) return [];
        throw err;
      }
      const out: Uint8Array[] = [];
      if (state.messages === 0) return out;
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        try {
          // Work-queue retention leaves gaps where recipients acknowledged: those are simply gone.
          const m = await jsm.streams.getMessage(stream, { seq });
          if (m) out.push(m.data);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return out;
    });
  }

  /** Stops every node and the broker, drops the PostgreSQL databases and removes the temp dir. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.agent.destroy();
    const errors: unknown[] = [];
    const settle = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        errors.push(err);
      }
    };
    await Promise.all(this.orgIds.map((id) => settle(this.stopNode(id))));
    for (const leaf of this.natsLeaves.values()) {
      await settle(this.ownsRoot ? leaf.cleanup() : leaf.stop());
    }
    await settle(this.ownsRoot ? this.nats.cleanup() : this.nats.stop());
    if (typeof this.database === "object") {
      await settle(dropPgDatabases(this.database.postgresUrl, this.pgDatabases));
    }
    if (this.ownsRoot) await settle(rm(this.rootDir, { recursive: true, force: true }));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
      throw new AggregateError(errors, "several parts of the test network failed to stop");
  }

  private slot(orgId: string): Slot {
    const s = this.slots.get(orgId);
    if (!s) throw new DevEnvError("ERR_UNKNOWN_ORG", `no org ${orgId} in this test network`);
    return s;
  }

  private isRunning(s: Slot): boolean {
    return s.inProcess !== undefined || (s.process !== undefined && !s.process.hasExited());
  }

  private async startInProcess(s: Slot): Promise<void> {
    const config = loadConfig(s.env, REPO_ROOT);
    const t0 = performance.now();
    const running = await startNodeInProcess(config, this.nodeOverrides?.(s.org.orgId));
    s.inProcess = running;
    s.url = running.url;
    s.graphqlUrl = running.graphqlUrl;
    // startNode returns once it listens; NATS and the trust list come up just after. Tests start from
    // a ready node, the same as in process mode.
    try {
      await waitFor(() => readyzOk(s.url), {
        timeoutMs: this.nodeStartTimeoutMs,
        intervalMs: 25,
        what: `node ${s.org.orgId} /readyz`,
      });
    } catch (err) {
      s.inProcess = undefined;
      await running.stop().catch(() => undefined);
      throw new DevEnvError(
        "ERR_NODE_START",
        `node ${s.org.orgId} did not become ready: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    s.readyMs = performance.now() - t0;
    if (s.token === undefined) s.token = await createAdmin(running.ctx.db, s.org);
  }

  private async startProcess(s: Slot): Promise<void> {
    if (s.token === undefined) {
      // Through the node's own database code, before the node runs: migrations, then the account.
      const config = loadConfig(s.env, REPO_ROOT);
      const opened = openDatabase(config);
      try {
        await migrateToLatest(opened.db);
        s.token = await createAdmin(opened.db, s.org);
      } finally {
        await opened.close();
      }
    }
    const t0 = performance.now();
    const nodeArgs = (process.env.REFNET_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const proc = spawnLogged(process.execPath, [...NODE_V8_FLAGS, ...nodeArgs, ...(await nodeEntry())], {
      cwd: REPO_ROOT,
      env: { ...inheritedEnv(), ...s.env },
      logFile: s.logFile,
      detached: this.detached,
    });
    s.process = proc;
    try {
      await waitFor(
        async () => {
          if (proc.hasExited())
            throw new DevEnvError("ERR_NODE_START", `node ${s.org.orgId} exited during start`);
          return readyzOk(s.url);
        },
        {
          timeoutMs: this.nodeStartTimeoutMs,
          // Fine enough to measure time to ready, coarse enough not to slow the start down.
          intervalMs: 25,
          what: `node ${s.org.orgId} /readyz`,
          isFatal: () => proc.hasExited(),
        },
      );
      s.readyMs = performance.now() - t0;
    } catch (err) {
      await killHard(proc);
      // The log goes when a temp network is cleaned up, so its end travels with the error. Node logs
      // carry no personal data (house rule), and a start-up failure is about config, keys or the db.
      const tail = await logTail(s.logFile, 20);
      throw new DevEnvError(
        "ERR_NODE_START",
        `node ${s.org.orgId} did not become ready: ${(err as Error).message}\n--- ${s.logFile} ---\n${tail}`,
        { cause: err },
      );
    }
  }

  private async withJsm<T>(
    fn: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>,
  ): Promise<T> {
    const nc = await connect({
      servers: this.nats.url,
      reconnect: false,
      timeout: 2_000,
      ...(this.natsAdmin ? { user: this.natsAdmin.user, pass: this.natsAdmin.pass } : {}),
    });
    try {
      return await fn(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  }
}

/**
 * V8 settings of a node process (REFNET_NODE_ARGS comes after, so it can override them). A node's live
 * heap is ~35 MB, but V8's default 16 MB semi-spaces let the young generation alone grow to ~48 MB.
 * With 8 MB semi-spaces the bench measured resident memory ~18 MB lower on each node (A/B, same bundle:
 * origin 195 → 177 MB, shelter 144 → 128 MB) and no loss of throughput or latency beyond the
 * run-to-run noise; the price is more frequent (cheap) scavenges.
 *
 * The old generation is capped at 160 MB, about four times the live heap after a load run (44 MB in a
 * heap snapshot after 800 handoffs). Without a cap V8 let garbage pile up to ~105 MB of heap before
 * collecting, and the origin's RSS reached 208 MB; with it, 145 MB after the same run.
 */
const NODE_V8_FLAGS = ["--max-semi-space-size=8", "--max-old-space-size=160"];

/** The built node (`npm run build`), and the sources it must be at least as new as. */
const NODE_BUNDLE = "services/node/dist/main.mjs";
const BUNDLED_SOURCES = [
  "schema.graphql",
  "services/node/src",
  "packages/protocol/src",
  "packages/trust/src",
  "packages/consent/src",
];

/** The built `refnet` command (`npm run build`): the node's sources and its own. */
export const CLI_BUNDLE = "packages/cli/dist/refnet.mjs";
const CLI_SOURCES = [...BUNDLED_SOURCES, "packages/cli/src"];

/**
 * How to run the `refnet` command from this checkout: the bundle when it is present and no source
 * file is newer, else the TypeScript sources through tsx. Node's arguments before the CLI's own.
 */
export async function cliEntry(): Promise<string[]> {
  return (await isFresh(CLI_BUNDLE, CLI_SOURCES))
    ? [join(REPO_ROOT, CLI_BUNDLE)]
    : [
        "--import",
        pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href,
        join(REPO_ROOT, "packages/cli/src/main.ts"),
      ];
}

/**
 * How to run a node: the bundle when it is present and no source file is newer (a stale bundle would
 * test yesterday's code), else the TypeScript sources through tsx.
 */
async function nodeEntry(): Promise<string[]> {
  return (await isFresh(NODE_BUNDLE, BUNDLED_SOURCES))
    ? [NODE_BUNDLE]
    : ["--import", "tsx", "services/node/src/main.ts"];
}

/** Whether `bundle` (relative to the repository) exists and no file of `sources` is newer. */
async function isFresh(bundle: string, sources: readonly string[]): Promise<boolean> {
  const path = join(REPO_ROOT, bundle);
  if (!existsSync(path)) return false;
  const built = (await stat(path)).mtimeMs;
  for (const src of sources) {
    if ((await newestMtime(join(REPO_ROOT, src))) > built) return false;
  }
  return true;
}

async function newestMtime(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.endsWith(".test.ts")) continue;
    newest = Math.max(newest, await newestMtime(join(path, entry.name)));
  }
  return newest;
}

async function readyzOk(url: string): Promise<boolean> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.status === 200;
}

async function logTail(file: string, lines: number): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** VmRSS of a Linux process, in bytes. */
async function processRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new DevEnvError("ERR_NODE_STATE", `no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

async function createAdmin(db: Parameters<typeof createStaff>[0], org: TestOrg): Promise<string> {
  const { token } = await createStaff(db, {
    username: ADMIN_USERNAME,
    role: "admin",
    displayName: `${org.name} admin`,
  });
  return token;
}

/** The node's key store file (services/node keys.ts format, encrypted under the KEK), mode 0600. */
async function writeOrgKeys(
  path: string,
  orgId: string,
  keys: TestTrust["orgKeys"][string] | undefined,
  kek: KeyEncryptionKey,
) {
  if (!keys) throw new DevEnvError("ERR_UNKNOWN_ORG", `createTestNetworkTrust returned no keys for ${orgId}`);
  const createdAt = Date.now();
  const file: KeyFile = {
    v: 1,
    orgId,
    keys: [
      {
        use: "sig",
        kid: keys.sig.kid,
        publicJwk: keys.sig.publicJwk,
        privateJwk: keys.sig.privateJwk,
        createdAt,
      },
      {
        use: "enc",
        kid: keys.enc.kid,
        publicJwk: keys.enc.publicJwk,
        privateJwk: keys.enc.privateJwk,
        createdAt,
      },
    ],
  };
  await writeKeyFile(path, file, { overwrite: false, kek });
}

/** Our environment without any REFNET_* variable: a child node gets exactly the ones we choose. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("REFNET_")) env[k] = v;
  }
  return env;
}

/**
 * Empties a directory we are told to use, but only if it is empty, missing or was made by a
 * TestNetwork (it holds our marker): a wrong path must never wipe someone's files.
 */
async function emptyOwnDir(dir: string): Promise<void> {
  if (existsSync(dir)) {
    const entries = await readdir(dir);
    if (entries.length > 0 && !entries.includes(ROOT_MARKER)) {
      throw new DevEnvError(
        "ERR_NODE_STATE",
        `${dir} is not empty and was not made by a TestNetwork; refusing to empty it`,
      );
    }
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

function pgDatabaseName(run: string, orgId: string): string {
  return `refnet_test_${run}_${orgId.toLowerCase().replace(/[^a-z0-9]/g, "_")}`.slice(0, 63);
}

function pgDatabaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withPg<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createPgDatabase(adminUrl: string, name: string): Promise<void> {
  await withPg(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
}

async function dropPgDatabases(adminUrl: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await withPg(adminUrl, async (c) => {
    for (const name of names) {
      // FORCE (PostgreSQL 13+) ends connections a killed node left open.
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
  });
}

function isNotFound(err: unknown): boolean {
  // JetStream says "stream not found" for a missing stream and "no message found" for a deleted one.
  return err instanceof Error && /not found|no message found/i.test(err.message);
}

/**
 * One HTTP POST over node:http with a keep-alive agent: fetch (undici) costs the client several times
 * more CPU per request, and the client shares the machine with the nodes it measures.
 */
function postOnce(
  agent: Agent,
  url: string,
  headers: Record<string, string | number>,
  payload: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { method: "POST", headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}
