// `refnet audit verify` on a real node's database: a node (real keys under its KEK, a real signed
// trust list) sends referrals, then stops; the command checks its trail offline, before and after the
// database is tampered with, and explains a missing database or bad usage.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AppContext,
  authenticate,
  createStaff,
  draftReferral,
  loadConfig,
  openDatabase,
  openOrCreateKek,
  sendReferral,
  writeKeyFile,
} from "@refnet/node";
import { createTestNetworkTrust } from "@refnet/trust";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EXIT, type Io, run } from "./cli.ts";

const NETWORK = "audit-net";
const ORG = "ngo-origin";
const SHELTER = "shelter-alpha";
const SENT = 5;
let dir: string;
let env: Record<string, string>;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = { env, cwd: dir, out: (t) => out.push(t), err: (t) => err.push(t) };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

async function refnet(args: string[]) {
  const t = io();
  const code = await run(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

/** A node that drafts and sends referrals, then stops (signing its last checkpoint). */
async function runNode(dataDir: string): Promise<void> {
  const trust = await createTestNetworkTrust({
    network: NETWORK,
    orgs: [
      { orgId: ORG, name: "Safe Passage", country: "NG", roles: ["origin"] },
      { orgId: SHELTER, name: "Casa Alfa", country: "IT", roles: ["destination"] },
    ],
  });
  const genesis = join(dataDir, "genesis.json");
  await rm(dataDir, { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(dataDir, { recursive: true }));
  await writeFile(genesis, JSON.stringify(trust.signed));
  const cfg = loadConfig(
    {
      ...env,
      REFNET_DATA_DIR: dataDir,
      REFNET_TRUST_GENESIS: genesis,
      REFNET_LOG_LEVEL: "silent",
      REFNET_AUDIT_CHECKPOINT_ENTRIES: "2",
    },
    dir,
  );
  const { key: kek } = await openOrCreateKek(cfg.kek);
  const keys = trust.orgKeys[ORG]!;
  const now = Date.now();
  await writeKeyFile(
    cfg.keysFile,
    {
      v: 1,
      orgId: ORG,
      keys: [
        { use: "sig", ...keys.sig, createdAt: now },
        { use: "enc", ...keys.enc, createdAt: now },
      ],
    },
    { overwrite: false, kek },
  );
  const ctx = await AppContext.fromConfig(cfg, { logger: pino({ level: "silent" }) });
  try {
    const { staff } = await createStaff(ctx.db, { username: "amina", role: "caseworker" });
    for (let i = 0; i < SENT; i++) {
      const r = await draftReferral(ctx, staff, {
        destinationOrgId: SHELTER,
        urgency: "urgent",
        services: ["shelter"],
        subject: { languages: ["en"], givenName: "Zuwenaya", phone: "+234 801 555 0199" },
        consent: {
          scopes: ["identity", "contact"],
          purposes: ["shelter"],
          recipients: [SHELTER],
          expiresAt: now + 365 * 86_400_000,
          method: "written",
          language: "en",
          textVersion: "v3",
        },
      });
      await sendReferral(ctx, staff, r.id);
    }
  } finally {
    await ctx.federation.stop();
    await ctx.close();
  }
}

async function tamper(fn: (db: ReturnType<typeof openDatabase>["db"]) => Promise<unknown>): Promise<void> {
  const opened = openDatabase(loadConfig(env, dir));
  try {
    await fn(opened.db);
  } finally {
    await opened.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-audit-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("refnet audit verify", () => {
  beforeEach(async () => {
    env = { REFNET_ORG_ID: ORG, REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "node") };
    await runNode(env.REFNET_DATA_DIR!);
  });

  it("passes on an intact trail, with a short summary", async () => {
    const r = await refnet(["audit", "verify"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.ok);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^audit trail intact: \d+ entries, (\d+) of \1 checkpoints verified$/);
    expect(lines[1]).toMatch(/^head: seq \d+, hash [0-9a-f]{64}$/);
    expect(lines[2]).toBe("keys: key file, trust list v1");
    expect(r.out).toMatch(/latest checkpoint: seq \d+ at \d{4}-/);
    expect(r.out).not.toContain("Zuwenaya");

    const json = await refnet(["audit", "verify", "--json"]);
    expect(json.code).toBe(EXIT.ok);
    const v = JSON.parse(json.out);
    expect(v.ok).toBe(true);
    expect(v.entries).toBeGreaterThanOrEqual(SENT);
    // The node signed a last checkpoint when it stopped: the whole trail is covered.
    expect(v.latestCheckpoint.seq).toBe(v.entries);
  });

  it("fails on an edited entry, naming it", async () => {
    await tamper((db) =>
      db.updateTable("audit_log").set({ partner_org_id: "shelter-beta" }).where("seq", "=", 3).execute(),
    );
    const r = await refnet(["audit", "verify"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.out).toMatch(/^audit trail NOT intact/);
    expect(r.err).toContain(
      "the audit trail is NOT intact: first bad entry 3 (changed): entry 3 does not match its hash",
    );
  });

  it("fails on a deleted entry, swapped entries and a cut tail, naming the first bad entry", async () => {
    await tamper((db) => db.deleteFrom("audit_log").where("seq", "=", 2).execute());
    let r = await refnet(["audit", "verify"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain("first bad entry 2 (missing)");

    await runNode(env.REFNET_DATA_DIR!);
    await tamper(async (db) => {
      await db.updateTable("audit_log").set({ seq: -1 }).where("seq", "=", 1).execute();
      await db.updateTable("audit_log").set({ seq: 1 }).where("seq", "=", 2).execute();
      await db.updateTable("audit_log").set({ seq: 2 }).where("seq", "=", -1).execute();
    });
    r = await refnet(["audit", "verify"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain("first bad entry 1 (reordered): the entry at seq 1 was written as seq 2");

    await runNode(env.REFNET_DATA_DIR!);
    await tamper((db) => db.deleteFrom("audit_log").where("seq", ">", 3).execute());
    r = await refnet(["audit", "verify"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain("first bad entry 4 (truncated)");
  });

  it("catches a tail cut with its checkpoints when given a checkpoint kept off the node", async () => {
    const first = JSON.parse((await refnet(["audit", "verify", "--json"])).out);
    const anchor = join(dir, "anchor.jws");
    await writeFile(anchor, `${first.latestCheckpoint.jws}\n`);
    await tamper(async (db) => {
      const keep = await db
        .selectFrom("audit_log")
        .select("hash")
        .where("seq", "=", 1)
        .executeTakeFirstOrThrow();
      await db.deleteFrom("audit_log").where("seq", ">", 1).execute();
      await db.deleteFrom("audit_checkpoint").execute();
      await db.updateTable("audit_head").set({ seq: 1, hash: keep.hash, checkpoint_seq: 0 }).execute();
    });
    expect((await refnet(["audit", "verify"])).code).toBe(EXIT.ok);
    const r = await refnet(["audit", "verify", "--anchor", "anchor.jws"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain("first bad entry 2 (truncated)");
  });

  it("fails on a forged checkpoint signature", async () => {
    await tamper(async (db) => {
      const cp = await db.selectFrom("audit_checkpoint").selectAll().orderBy("seq").executeTakeFirstOrThrow();
      const [h, , s] = cp.jws.split(".");
      const payload = Buffer.from(
        JSON.stringify({ network: NETWORK, orgId: ORG, seq: Number(cp.seq), hash: "a".repeat(64), at: 1 }),
      ).toString("base64url");
      await db
        .updateTable("audit_checkpoint")
        .set({ jws: `${h}.${payload}.${s}` })
        .where("seq", "=", cp.seq)
        .execute();
    });
    const r = await refnet(["audit", "verify"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(
      /first bad entry \d+ \(checkpoint-signature\): the checkpoint at seq \d+ does not verify/,
    );
  });
});

const POSTGRES = process.env.REFNET_TEST_POSTGRES_URL;

describe.runIf(POSTGRES)("refnet audit verify --database-url (PostgreSQL)", () => {
  const name = `refnet_t_audit_${process.pid}`;
  const url = () => {
    const u = new URL(POSTGRES!);
    u.pathname = `/${name}`;
    return u.toString();
  };
  async function admin(sql: string): Promise<void> {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: POSTGRES });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  }
  beforeAll(async () => {
    await admin(`create database ${name}`);
  });
  afterAll(async () => {
    await admin(`drop database if exists ${name} with (force)`);
  });

  it("checks a node's PostgreSQL trail, and names an edited entry", async () => {
    env = {
      REFNET_ORG_ID: ORG,
      REFNET_NETWORK: NETWORK,
      REFNET_DATA_DIR: join(dir, "pgnode"),
      REFNET_DATABASE_URL: url(),
    };
    await runNode(env.REFNET_DATA_DIR!);
    await tamper((db) => db.updateTable("audit_log").set({ kind: "read" }).where("seq", "=", 2).execute());
    // The database given by flag, the key file found through the data directory.
    env = { REFNET_ORG_ID: ORG, REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "pgnode") };
    const r = await refnet(["audit", "verify", "--database-url", url()]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.out).toContain("keys: key file, trust list v1");
    expect(r.err).toContain("first bad entry 2 (changed)");
  });
});

describe("refnet audit verify, refusing", () => {
  it("explains a missing database, without creating one", async () => {
    env = { REFNET_ORG_ID: ORG, REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "nowhere") };
    const r = await refnet(["audit", "verify"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain(`no database at ${join(dir, "nowhere", "node.db")}`);
    const again = await refnet(["audit", "verify"]);
    expect(again.err).toContain("no database at");
  });

  it("explains a database without an audit trail, and an unreachable PostgreSQL", async () => {
    env = { REFNET_ORG_ID: ORG, REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "old") };
    const SQLite = (await import("better-sqlite3")).default;
    await import("node:fs/promises").then((fs) => fs.mkdir(join(dir, "old"), { recursive: true }));
    new SQLite(join(dir, "old", "node.db")).exec("create table staff (id text)").close();
    const r = await refnet(["audit", "verify"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain("holds no audit trail");

    const pg = await refnet([
      "audit",
      "verify",
      "--database-url",
      "postgres://nobody:secret-pw@127.0.0.1:1/none",
    ]);
    expect(pg.code).toBe(EXIT.failed);
    expect(pg.err).toContain("cannot read the PostgreSQL database");
    expect(pg.err).not.toContain("secret-pw");
  });

  it("creates auditor accounts (refnet staff create --role auditor)", async () => {
    env = { REFNET_ORG_ID: ORG, REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "staffnode") };
    const r = await refnet(["staff", "create", "--username", "olu", "--role", "auditor"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toContain("created auditor olu");
    const opened = openDatabase(loadConfig(env, dir));
    try {
      const staff = await authenticate(opened.db, `Bearer ${r.out.trim()}`);
      expect(staff.role).toBe("auditor");
    } finally {
      await opened.close();
    }
    const bad = await refnet(["staff", "create", "--username", "x1", "--role", "inspector"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toContain("caseworker, supervisor, admin, auditor");
  });

  it("explains bad usage", async () => {
    expect((await refnet(["audit"])).code).toBe(EXIT.usage);
    expect((await refnet(["audit", "check"])).code).toBe(EXIT.usage);
    expect((await refnet(["audit", "verify", "--frobnicate"])).code).toBe(EXIT.usage);
    const noOrg = await refnet(["audit", "verify"]).then(async () => {
      env = {};
      return refnet(["audit", "verify"]);
    });
    expect(noOrg.code).toBe(EXIT.config);
    expect(noOrg.err).toContain("REFNET_ORG_ID");
  });
});
