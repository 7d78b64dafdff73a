// Test support (used by *.test.ts only): real nodes on SQLite in a temp dir, trusting a real signed
// test network trust list, with real key stores. Messages can be carried from one node's outbox to
// another's inbox consumer without a broker, so the whole referral flow runs in one process.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestNetworkTrust, type PartnerRole, trustListDigest } from "@refnet/trust";
import { sql } from "kysely";
import pg from "pg";
import pino from "pino";
import { createStaff, type Role, type Staff } from "./auth.ts";
import { type Config, loadConfig } from "./config.ts";
import { AppContext, type ContextOverrides } from "./context.ts";
import type { Clock } from "./domain/types.ts";
import type { Federation } from "./federation/index.ts";
import { openOrCreateKek } from "./kek.ts";
import { writeKeyFile } from "./keys.ts";
import type { NodeServer } from "./server.ts";

export const NETWORK = "test-net";
export const ORIGIN = "ngo-origin";
export const SHELTER = "shelter-alpha";
export const SHELTER_B = "shelter-beta";
export const ORIGIN_B = "ngo-other";

export const TEST_ORGS: { orgId: string; name: string; country: string; roles: PartnerRole[] }[] = [
  { orgId: ORIGIN, name: "Safe Passage Initiative", country: "NG", roles: ["origin"] },
  { orgId: SHELTER, name: "Casa Alfa Shelter", country: "IT", roles: ["destination"] },
  { orgId: SHELTER_B, name: "Beta House", country: "ES", roles: ["destination", "origin"] },
  { orgId: ORIGIN_B, name: "Other Origin NGO", country: "GH", roles: ["origin"] },
];

export class TestClock implements Clock {
  constructor(public t: number = Date.UTC(2026, 10, 29, 10, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export type TestTrust = Awaited<ReturnType<typeof createTestNetworkTrust>>;

export interface TestWorld {
  dir: string;
  trust: TestTrust;
  genesisFile: string;
  clock: TestClock;
  nodes: Map<string, AppContext>;
  /** Starts (or returns) the node of `orgId`: migrations, keys, genesis trust list, real enqueuer. */
  node(orgId: string, overrides?: ContextOverrides, env?: Record<string, string>): Promise<AppContext>;
  config(orgId: string, env?: Record<string, string>): Config;
  /** Writes the key file of `orgId` (from the test trust) and returns its configuration. */
  prepare(orgId: string, env?: Record<string, string>): Promise<Config>;
  staff(ctx: AppContext, role?: Role, username?: string): Promise<{ staff: Staff; token: string }>;
  /**
   * Carries every pending outbox message of `from` to its recipients' inbox consumers (as the relay
   * and JetStream would), marking the rows sent. Returns how many were carried.
   */
  deliver(from: string): Promise<number>;
  /** Delivers back and forth until no node has anything pending. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const silentLogger = () => pino({ level: "silent" });

/** The databases the tests run on: SQLite always, PostgreSQL when REFNET_TEST_POSTGRES_URL is set. */
export const TEST_DATABASES: { name: string; postgresUrl?: string }[] = [
  { name: "SQLite" },
  ...(process.env.REFNET_TEST_POSTGRES_URL
    ? [{ name: "PostgreSQL", postgresUrl: process.env.REFNET_TEST_POSTGRES_URL }]
    : []),
];

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createTestWorld(
  opts: { orgs?: typeof TEST_ORGS; postgresUrl?: string } = {},
): Promise<TestWorld> {
  const dir = await mkdtemp(join(tmpdir(), "refnet-node-test-"));
  const run = randomBytes(4).toString("hex");
  const pgDatabases: string[] = [];
  const clock = new TestClock(Date.now());
  const orgs = opts.orgs ?? TEST_ORGS;
  const trust = await createTestNetworkTrust({ network: NETWORK, orgs });
  const genesisFile = join(dir, "genesis.json");
  await writeFile(genesisFile, JSON.stringify(trust.signed));
  const nodes = new Map<string, AppContext>();
  const seqs = new Map<string, number>();

  const databaseUrl = (orgId: string): Record<string, string> => {
    if (!opts.postgresUrl) return {};
    const url = new URL(opts.postgresUrl);
    url.pathname = `/refnet_t_${run}_${orgId.replaceAll("-", "_")}`;
    return { REFNET_DATABASE_URL: url.toString() };
  };
  const config = (orgId: string, env: Record<string, string> = {}) =>
    loadConfig(
      {
        REFNET_ORG_ID: orgId,
        REFNET_NETWORK: NETWORK,
        REFNET_DATA_DIR: join(dir, orgId),
        REFNET_TRUST_GENESIS: genesisFile,
        // Pinned, as a real installation should be (docs/protocol.md §6.5).
        REFNET_TRUST_GENESIS_SHA256: trustListDigest(trust.signed),
        REFNET_LOG_LEVEL: "silent",
        ...databaseUrl(orgId),
        ...env,
      },
      dir,
    );

  const world: TestWorld = {
    dir,
    trust,
    genesisFile,
    clock,
    nodes,
    config,
    async node(orgId, overrides = {}, env = {}) {
      const existing = nodes.get(orgId);
      if (existing) return existing;
      const cfg = await world.prepare(orgId, env);
      const ctx = await AppContext.fromConfig(cfg, { clock, logger: silentLogger(), ...overrides });
      nodes.set(orgId, ctx);
      return ctx;
    },
    async prepare(orgId, env = {}) {
      const cfg = config(orgId, env);
      if (opts.postgresUrl && cfg.database.kind === "postgres") {
        const name = new URL(cfg.database.url).pathname.slice(1);
        if (!pgDatabases.includes(name)) {
          await withAdmin(opts.postgresUrl, (c) => c.query(`create database ${name}`));
          pgDatabases.push(name);
        }
      }
      const keys = trust.orgKeys[orgId];
      if (!keys) throw new Error(`no keys for ${orgId}`);
      const { key: kek } = await openOrCreateKek(cfg.kek);
      await writeKeyFile(
        cfg.keysFile,
        {
          v: 1,
          orgId,
          keys: [
            { use: "sig", ...keys.sig, createdAt: clock.now() },
            { use: "enc", ...keys.enc, createdAt: clock.now() },
          ],
        },
        { overwrite: false, kek },
      ).catch((err: unknown) => {
        if (!(err instanceof Error && /already exists/.test(err.message))) throw err;
      });
      return cfg;
    },
    async staff(ctx, role = "caseworker", username) {
      return createStaff(ctx.db, { username: username ?? `${role}-${ctx.orgId}`.slice(0, 60), role });
    },
    async deliver(from) {
      const src = nodes.get(from);
      if (!src) throw new Error(`no node ${from}`);
      const rows = await src.db
        .selectFrom("outbox")
        .selectAll()
        .where("status", "=", "pending")
        // Insertion order (SQLite rowid; PostgreSQL: the inserting transaction), so that rows written in
        // the same millisecond keep their order.
        .orderBy(src.dialect === "sqlite" ? sql`rowid` : sql`xmin::text::bigint`)
        .orderBy("created_at")
        .execute();
      for (const row of rows) {
        const dst = nodes.get(row.aud);
        if (dst) {
          const seq = (seqs.get(row.aud) ?? 0) + 1;
          seqs.set(row.aud, seq);
          const inbox = (dst.federation as Federation<unknown>).inbox;
          await inbox.process(Buffer.from(row.envelope, "utf8"), row.subject, seq);
        }
        await src.db
          .updateTable("outbox")
          .set({ status: "sent", sent_at: clock.now() })
          .where("jti", "=", row.jti)
          .execute();
      }
      return rows.length;
    },
    async settle() {
      for (let i = 0; i < 20; i++) {
        let moved = 0;
        for (const orgId of nodes.keys()) moved += await world.deliver(orgId);
        if (moved === 0) return;
      }
      throw new Error("messages kept flowing after 20 rounds");
    },
    async close() {
      for (const ctx of nodes.values()) {
        await ctx.federation.stop();
        await ctx.close();
      }
      nodes.clear();
      if (opts.postgresUrl) {
        const adminUrl = opts.postgresUrl;
        await withAdmin(adminUrl, async (c) => {
          for (const name of pgDatabases) await c.query(`drop database if exists ${name} with (force)`);
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** A draft input as a caseworker would enter it (wire values, milliseconds). */
export function draftInput(clock: Clock, destination: string = SHELTER) {
  const day = 86_400_000;
  return {
    destinationOrgId: destination,
    urgency: "urgent" as const,
    services: ["shelter" as const, "medical" as const],
    summary: "Adult woman needs a safe bed and a medical check",
    respondBy: clock.now() + 7 * day,
    subject: {
      languages: ["en", "yo"],
      ageBand: "26-59" as const,
      givenName: "Zuwenaya",
      familyName: "Okonkwo-Marlowe",
      nationality: "NG",
      documents: [{ type: "passport", number: "PX9931775QZ", issuingCountry: "NG" }],
      phone: "+234 801 555 0199",
      email: "zuwenaya.marlowe@example.org",
      currentLocation: "Hotel Quixotic",
      health: { conditions: ["asthma"] },
      protection: { risk: "high" },
      notes: "Prefers a female caseworker",
    },
    consent: {
      scopes: ["identity" as const, "contact" as const, "health" as const],
      purposes: ["shelter" as const, "medical" as const],
      recipients: [destination],
      expiresAt: clock.now() + 365 * day,
      method: "written" as const,
      language: "en",
      textVersion: "consent-form-v3",
    },
  };
}

/** A GraphQL answer as the tests read it (ad hoc, per test). */
export interface GqlTestResponse {
  status: number;
  headers: Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: responses are read ad hoc, per test
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** One GraphQL POST to a node's server, in process, with a staff token (or none). */
export async function injectGql(
  target: NodeServer,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
): Promise<GqlTestResponse> {
  const res = await target.inject({
    method: "POST",
    url: "/graphql",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    payload: JSON.stringify({ query, variables }),
  });
  const body = JSON.parse(res.body) as Omit<GqlTestResponse, "status" | "headers">;
  return { status: res.statusCode, headers: res.headers, ...body };
}
