// TestNetwork with real nodes and a real nats-server: in-process on SQLite, on PostgreSQL when
// REFNET_TEST_POSTGRES_URL is set, and as separate node processes.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyStore, loadKekFile } from "@refnet/node";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevEnvError, GraphQLRequestError } from "./errors.ts";
import { TestNetwork, type TestOrg } from "./network.ts";

const ORGS: TestOrg[] = [
  { orgId: "ngo-origin", name: "Safe Passage Initiative", country: "NG", roles: ["origin"] },
  { orgId: "shelter-alpha", name: "Casa Alfa Shelter", country: "IT", roles: ["destination"] },
];
const ME = "query { me { username role } organization { orgId name country network } }";

async function readyz(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** A referral from the origin to the shelter, under consent, with fictional data. */
function draftInput() {
  const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
  return {
    destinationOrgId: "shelter-alpha",
    urgency: "ROUTINE",
    services: ["SHELTER"],
    subject: { languages: ["en"], ageBand: "AGE_26_59", givenName: "Placeholder" },
    consent: {
      scopes: ["IDENTITY"],
      purposes: ["SHELTER"],
      recipients: ["shelter-alpha"],
      expiresAt: inAYear,
      method: "WRITTEN",
      language: "en",
      textVersion: "v1",
    },
  };
}
const DRAFT = "mutation($input: DraftReferralInput!) { draftReferral(input: $input) { id } }";
const SEND = "mutation($id: ID!) { sendReferral(id: $id) { status } }";
const STATUS = "query($id: ID!) { referral(id: $id) { status } }";

async function sendOne(net: TestNetwork): Promise<string> {
  const d = await net.gql<{ draftReferral: { id: string } }>("ngo-origin", DRAFT, { input: draftInput() });
  const id = d.data!.draftReferral.id;
  await net.gql("ngo-origin", SEND, { id });
  return id;
}

async function statusOn(net: TestNetwork, orgId: string, id: string): Promise<string | undefined> {
  const r = await net.gql<{ referral: { status: string } | null }>(orgId, STATUS, { id });
  return r.data?.referral?.status;
}

describe("TestNetwork in-process on SQLite", () => {
  let net: TestNetwork;
  beforeAll(async () => {
    net = await TestNetwork.start({ network: "dev-env-net", orgs: ORGS });
  });
  afterAll(async () => {
    await net?.stop();
  });

  it("runs one ready node per org with an admin token, its own keys and the genesis list", async () => {
    expect(net.orgIds).toEqual(["ngo-origin", "shelter-alpha"]);
    for (const org of ORGS) {
      const n = net.node(org.orgId);
      expect(n.running).toBe(true);
      expect(n.ctx).toBeDefined();
      expect(n.graphqlUrl).toBe(`${n.url}/graphql`);
      expect(await readyz(n.url)).toBe(200);
      const res = await net.gql<{
        me: { username: string; role: string };
        organization: Record<string, string>;
      }>(org.orgId, ME);
      expect(res.data?.me).toEqual({ username: "admin", role: "ADMIN" });
      expect(res.data?.organization).toEqual({
        orgId: org.orgId,
        name: org.name,
        country: org.country,
        network: "dev-env-net",
      });
      // The node's key store: owner-only, encrypted under the node's own KEK (docs/data-at-rest.md), in
      // the node's own format, the keys the trust list names.
      expect((await stat(n.keysFile)).mode & 0o777).toBe(0o600);
      expect((await stat(n.kekFile)).mode & 0o777).toBe(0o600);
      expect(await readFile(n.keysFile, "utf8")).not.toContain(org.orgId);
      const keys = await KeyStore.load(n.keysFile, org.orgId, await loadKekFile(n.kekFile));
      expect(keys.orgId).toBe(org.orgId);
      expect(keys.keys().map((k) => [k.use, k.kid])).toEqual([
        ["sig", net.trust.orgKeys[org.orgId]!.sig.kid],
        ["enc", net.trust.orgKeys[org.orgId]!.enc.kid],
      ]);
    }
    const genesis = JSON.parse(await readFile(net.genesisFile, "utf8"));
    expect(genesis).toEqual(net.trust.signed);
    // Two nodes, two different databases.
    expect(net.node("ngo-origin").ctx!.db).not.toBe(net.node("shelter-alpha").ctx!.db);
  });

  it("throws the errors' codes, or returns them with allowErrors", async () => {
    const err = await net.gql("ngo-origin", ME, {}, { token: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphQLRequestError);
    expect((err as GraphQLRequestError).codes).toEqual(["ERR_UNAUTHENTICATED"]);
    const res = await net.gql("ngo-origin", ME, {}, { token: null, allowErrors: true });
    expect(res.errors?.[0]?.extensions?.code).toBe("ERR_UNAUTHENTICATED");
    expect(() => net.node("nobody")).toThrow(expect.objectContaining({ code: "ERR_UNKNOWN_ORG" }));
  });

  it("hands a referral over through the broker, holding only ciphertext while the shelter is down", async () => {
    await net.stopNode("shelter-alpha");
    expect(net.node("shelter-alpha").running).toBe(false);
    expect(await readyz(net.node("shelter-alpha").url)).toBe(0);

    const id = await sendOne(net);
    await net.waitFor(async () => (await net.streamMessageCount()) > 0, {
      timeoutMs: 10_000,
      what: "envelope",
    });
    const raw = await net.readRawStream();
    expect(raw.length).toBeGreaterThan(0);
    for (const m of raw) {
      const text = Buffer.from(m).toString("utf8");
      expect(text).toMatch(/^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(text).not.toContain("Placeholder");
    }

    // Same data dir, database and keys: the old token still works, and the envelope is consumed.
    const token = net.node("shelter-alpha").token;
    await net.startNode("shelter-alpha");
    expect(net.node("shelter-alpha").token).toBe(token);
    await net.waitFor(async () => (await statusOn(net, "ngo-origin", id)) === "DELIVERED", {
      timeoutMs: 15_000,
      what: "delivered at the origin",
    });
    expect(await statusOn(net, "shelter-alpha", id)).toBe("DELIVERED");
    await net.waitFor(async () => (await net.streamMessageCount()) === 0, {
      timeoutMs: 10_000,
      what: "acked",
    });
  });

  it("keeps working across a broker restart", async () => {
    await net.stopNats();
    expect(net.nats.running).toBe(false);
    await net.startNats();
    const id = await sendOne(net);
    await net.waitFor(async () => (await statusOn(net, "shelter-alpha", id)) === "DELIVERED", {
      timeoutMs: 20_000,
      what: "delivered after the broker restart",
    });
  });

  it("reports when each node became ready, and its memory", async () => {
    const ready = net.readyTimes();
    expect(Object.keys(ready).sort()).toEqual(["ngo-origin", "shelter-alpha"]);
    const mem = await net.residentMemory();
    expect(mem["ngo-origin"]).toBeGreaterThan(10 * 1024 * 1024);
  });
});

describe("TestNetwork directories", () => {
  it("refuses to empty a directory it did not make, and removes its own temp dir on stop", async () => {
    const foreign = await mkdtemp(join(tmpdir(), "refnet-foreign-"));
    await writeFile(join(foreign, "precious.txt"), "keep me");
    try {
      const err = await TestNetwork.start({ orgs: ORGS.slice(0, 1), rootDir: foreign }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DevEnvError);
      expect(await readFile(join(foreign, "precious.txt"), "utf8")).toBe("keep me");
    } finally {
      await rm(foreign, { recursive: true, force: true });
    }

    const net = await TestNetwork.start({ orgs: ORGS.slice(0, 1) });
    const root = net.rootDir;
    expect(existsSync(root)).toBe(true);
    await net.stop();
    expect(existsSync(root)).toBe(false);
  });

  it("keeps a given root dir after stop, and starts it fresh the next time", async () => {
    const parent = await mkdtemp(join(tmpdir(), "refnet-root-"));
    const rootDir = join(parent, "demo");
    try {
      const first = await TestNetwork.start({ orgs: ORGS.slice(0, 1), rootDir });
      await mkdir(join(rootDir, "leftover"));
      await first.stop();
      expect(existsSync(join(rootDir, "ngo-origin", "keys.json"))).toBe(true);

      const second = await TestNetwork.start({ orgs: ORGS.slice(0, 1), rootDir });
      expect(existsSync(join(rootDir, "leftover"))).toBe(false);
      await second.stop();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

const postgresUrl = process.env.REFNET_TEST_POSTGRES_URL;
describe.skipIf(!postgresUrl)("TestNetwork on PostgreSQL", () => {
  async function databasesLike(prefix: string): Promise<string[]> {
    const c = new pg.Client({ connectionString: postgresUrl });
    await c.connect();
    try {
      const r = await c.query<{ datname: string }>("select datname from pg_database where datname like $1", [
        `${prefix}%`,
      ]);
      return r.rows.map((x) => x.datname).sort();
    } finally {
      await c.end();
    }
  }

  it("gives each org a fresh database and drops them all at stop", async () => {
    const before = await databasesLike("refnet_test_");
    const net = await TestNetwork.start({ orgs: ORGS, database: { postgresUrl: postgresUrl! } });
    let created: string[] = [];
    try {
      created = (await databasesLike("refnet_test_")).filter((d) => !before.includes(d));
      expect(created).toHaveLength(2);
      expect(created.some((d) => d.endsWith("_ngo_origin"))).toBe(true);
      expect(created.some((d) => d.endsWith("_shelter_alpha"))).toBe(true);
      expect(net.node("ngo-origin").env.REFNET_DATABASE_URL).toMatch(/\/refnet_test_[0-9a-f]{8}_ngo_origin$/);
      const res = await net.gql<{ me: { role: string } }>("shelter-alpha", ME);
      expect(res.data?.me.role).toBe("ADMIN");
      const id = await sendOne(net);
      await net.waitFor(async () => (await statusOn(net, "ngo-origin", id)) === "DELIVERED", {
        timeoutMs: 15_000,
        what: "delivered on PostgreSQL",
      });
    } finally {
      await net.stop();
    }
    const after = await databasesLike("refnet_test_");
    for (const d of created) expect(after).not.toContain(d);
  });
});

describe("TestNetwork with node processes", () => {
  let net: TestNetwork;
  beforeAll(async () => {
    net = await TestNetwork.start({
      network: "dev-env-proc",
      orgs: ORGS,
      nodeMode: "process",
      logLevel: "info",
    });
  }, 120_000);
  afterAll(async () => {
    await net?.stop();
  });

  it("starts each node as its own process, ready, with an admin token", async () => {
    for (const n of net.nodes()) {
      expect(n.pid).toBeGreaterThan(0);
      expect(n.pid).not.toBe(process.pid);
      expect(n.ctx).toBeUndefined();
      expect(await readyz(n.url)).toBe(200);
      const res = await net.gql<{ me: { role: string } }>(n.orgId, ME);
      expect(res.data?.me.role).toBe("ADMIN");
    }
    const ready = net.readyTimes();
    expect(ready["ngo-origin"]).toBeGreaterThan(0);
    const mem = await net.residentMemory();
    expect(mem["ngo-origin"]).toBeGreaterThan(10 * 1024 * 1024);
    expect(mem["ngo-origin"]).not.toBe(mem["shelter-alpha"]);
    expect(await readFile(net.node("ngo-origin").logFile, "utf8")).toMatch(/listening/);
  });

  it("sees deliveries on the origin's live event stream", async () => {
    const delivered = await net.subscribeDelivered("ngo-origin");
    try {
      const id = await sendOne(net);
      await delivered.wait(id, 20_000);
      expect(await statusOn(net, "ngo-origin", id)).toBe("DELIVERED");
    } finally {
      delivered.close();
    }
  });

  it("survives a SIGKILL of a node: restarted on the same data, it catches up", async () => {
    const pid = net.node("shelter-alpha").pid!;
    await net.killNode("shelter-alpha");
    expect(net.node("shelter-alpha").running).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    const id = await sendOne(net);
    await net.startNode("shelter-alpha");
    expect(net.node("shelter-alpha").pid).not.toBe(pid);
    await net.waitFor(async () => (await statusOn(net, "ngo-origin", id)) === "DELIVERED", {
      timeoutMs: 20_000,
      what: "delivered after the kill",
    });
  });
});
