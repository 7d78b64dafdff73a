// The audit chain itself: canonical hashing, appends inside the caller's transaction, concurrent
// appends that never fork (PostgreSQL connections, SQLite processes), signed checkpoints, settings.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import type { AppContext } from "../context.ts";
import { ConfigError } from "../errors.ts";
import { createTestWorld, ORIGIN, TEST_DATABASES, type TestWorld } from "../test-support.ts";
import { CHECKPOINT_TYP } from "./checkpoint.ts";
import {
  type AuditDetail,
  AuditDetailError,
  type AuditEntryInput,
  assertSafeDetail,
  canonicalDetail,
  canonicalEncoding,
  entryHash,
  GENESIS_HASH,
  SYSTEM_ACTOR,
} from "./entry.ts";
import { loadAuditKeys } from "./keys.ts";
import { verifyAuditTrail } from "./verify.ts";

const read = (n: number): AuditEntryInput => ({
  kind: "read",
  actor: { type: "staff", id: `staff-${n % 3}` },
  subjectRef: `subj_${n}`,
  consentId: `consent-${n}`,
  referralId: `ref-${n}`,
  partnerOrgId: "shelter-alpha",
  detail: { fields: ["givenName", "phone"], returned: ["givenName"] },
});

describe("canonical hashing", () => {
  const row = {
    seq: 1,
    at: 1_764_410_400_000,
    kind: "disclosure",
    actor_type: "staff",
    actor_id: "2f1c9d8e-0000-4000-8000-000000000001",
    subject_ref: "subj_R2d2C3po",
    consent_id: "c0nsent1d",
    referral_id: "r3ferral1d",
    partner_org_id: "shelter-alpha",
    detail: canonicalDetail({
      scopes: ["identity"],
      fields: ["givenName", "ref"],
      jti: "m1",
      override: false,
    }),
    prev_hash: GENESIS_HASH,
  };

  it("hashes a fixed JSON array of the columns, prev_hash included", () => {
    // Written out by hand, as docs/audit.md shows it: another implementation must get the same bytes.
    const expected =
      '["refnet-audit/1",1,1764410400000,"disclosure","staff","2f1c9d8e-0000-4000-8000-000000000001",' +
      '"subj_R2d2C3po","c0nsent1d","r3ferral1d","shelter-alpha",' +
      '"{\\"fields\\":[\\"givenName\\",\\"ref\\"],\\"jti\\":\\"m1\\",\\"override\\":false,\\"scopes\\":[\\"identity\\"]}",' +
      `"${"0".repeat(64)}"]`;
    expect(canonicalEncoding(row)).toBe(expected);
    expect(entryHash(row)).toBe(createHash("sha256").update(expected, "utf8").digest("hex"));
    // The worked example of docs/audit.md.
    expect(entryHash(row)).toBe("470bb6c3a76904b70df632557b9cdcc21e811ba0fcdfe44cba8b8933ff91db51");
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });

  it("sorts detail members, so one detail has one text", () => {
    expect(canonicalDetail({ b: 1, a: ["y", "x"], c: null })).toBe('{"a":["y","x"],"b":1,"c":null}');
    expect(canonicalDetail({ a: ["y", "x"], c: null, b: 1 })).toBe(
      canonicalDetail({ b: 1, c: null, a: ["y", "x"] }),
    );
  });

  it("changes with every column", () => {
    const base = entryHash(row);
    const variants = [
      { seq: 2 },
      { at: row.at + 1 },
      { kind: "read" },
      { actor_type: "system" },
      { actor_id: null },
      { subject_ref: "subj_other" },
      { consent_id: null },
      { referral_id: "x" },
      { partner_org_id: "shelter-beta" },
      { detail: "{}" },
      { prev_hash: "1".repeat(64) },
    ];
    const hashes = variants.map((v) => entryHash({ ...row, ...v }));
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(variants.length);
  });

  it("refuses a detail that could hold a person's data", () => {
    expect(() =>
      assertSafeDetail({ fields: ["givenName", "familyName"], count: 3, override: true }),
    ).not.toThrow();
    expect(() => assertSafeDetail({ jti: "Yt3_kq-9ZP0aL1x2", scopes: [] })).not.toThrow();
    const unsafe: AuditDetail[] = [
      { name: "Zuwenaya Okonkwo-Marlowe" },
      { email: "zuwenaya.marlowe@example.org" },
      { phone: "+234 801 555 0199" },
      { notes: "x".repeat(129) },
      { nested: { a: 1 } as unknown as string },
      { list: [1, 2] as unknown as string[] },
      { "bad key": 1 },
      { ratio: 0.5 },
    ];
    for (const bad of unsafe) {
      expect(() => assertSafeDetail(bad)).toThrow(AuditDetailError);
    }
  });
});

describe("audit settings", () => {
  const base = { REFNET_ORG_ID: "shelter-alpha", REFNET_NETWORK: "med-net" };
  it("defaults to a checkpoint every 100 entries or 300 s, and validates the variables", () => {
    expect(loadConfig(base, "/srv").audit).toEqual({
      checkpointEveryEntries: 100,
      checkpointEverySeconds: 300,
    });
    expect(
      loadConfig(
        { ...base, REFNET_AUDIT_CHECKPOINT_ENTRIES: "10", REFNET_AUDIT_CHECKPOINT_SECONDS: "60" },
        "/srv",
      ).audit,
    ).toEqual({ checkpointEveryEntries: 10, checkpointEverySeconds: 60 });
    for (const [name, value] of [
      ["REFNET_AUDIT_CHECKPOINT_ENTRIES", "0"],
      ["REFNET_AUDIT_CHECKPOINT_ENTRIES", "ten"],
      ["REFNET_AUDIT_CHECKPOINT_SECONDS", "0"],
      ["REFNET_AUDIT_CHECKPOINT_SECONDS", "86401"],
    ] as const) {
      try {
        loadConfig({ ...base, [name]: value }, "/srv");
        expect.unreachable(`${name}=${value} was accepted`);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).variables).toEqual([name]);
      }
    }
  });
});

describe.each(TEST_DATABASES)("the chain on $name", ({ postgresUrl }) => {
  let world: TestWorld;
  let node: AppContext;

  beforeEach(async () => {
    world = await createTestWorld(postgresUrl ? { postgresUrl } : {});
    node = await world.node(ORIGIN, {}, { REFNET_AUDIT_CHECKPOINT_ENTRIES: "5" });
  });
  afterEach(async () => {
    await world.close();
  });

  const rows = () => node.db.selectFrom("audit_log").selectAll().orderBy("seq").execute();
  const verify = async () =>
    verifyAuditTrail(node.db, {
      network: node.network,
      orgId: node.orgId,
      keys: await loadAuditKeys({ orgId: node.orgId, keyStore: node.keys, db: node.db }),
    });

  it("appends in the caller's transaction, linked from the genesis value", async () => {
    const first = await node.db.transaction().execute((trx) => node.audit.append(trx, read(1)));
    const [second, third] = await node.db
      .transaction()
      .execute((trx) =>
        node.audit.appendMany(trx, [read(2), { kind: "retention.purge", actor: SYSTEM_ACTOR }]),
      );
    expect([first.seq, second!.seq, third!.seq]).toEqual([1, 2, 3]);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second!.prevHash).toBe(first.hash);
    expect(third!.prevHash).toBe(second!.hash);
    expect(third!.actor).toEqual({ type: "system" });

    const stored = await rows();
    expect(stored.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
    for (const r of stored) expect(entryHash({ ...r, seq: Number(r.seq), at: Number(r.at) })).toBe(r.hash);
    expect(stored[0]!.detail).toBe('{"fields":["givenName","phone"],"returned":["givenName"]}');
    expect(await node.audit.head()).toEqual({ seq: 3, hash: third!.hash });
  });

  it("commits with the action or not at all", async () => {
    await node.audit.record([read(1)]);
    const before = await node.audit.head();
    await expect(
      node.db.transaction().execute(async (trx) => {
        await node.audit.append(trx, read(2));
        await trx.insertInto("node_state").values({ key: "k", value: "v", updated_at: 1 }).execute();
        throw new Error("the action failed after its entry was appended");
      }),
    ).rejects.toThrow(/action failed/);
    expect(await node.audit.head()).toEqual(before);
    expect((await rows()).length).toBe(1);
    expect(await node.db.selectFrom("node_state").select("key").where("key", "=", "k").execute()).toEqual([]);
    // The next append takes the seq the rolled-back one had: no gap.
    const [next] = await node.audit.record([read(3)]);
    expect(next!.seq).toBe(2);
    expect(next!.prevHash).toBe(before.hash);
  });

  it("refuses to append outside a transaction, and refuses an unsafe detail without writing", async () => {
    await expect(node.audit.append(node.db as never, read(1))).rejects.toThrow(/inside the transaction/);
    await expect(
      node.audit.record([{ ...read(1), detail: { givenName: "Zuwenaya Okonkwo" } }]),
    ).rejects.toThrow(AuditDetailError);
    await expect(node.audit.record([{ ...read(1), subjectRef: "Zuwenaya Okonkwo" }])).rejects.toThrow(
      /subjectRef must be an identifier/,
    );
    await expect(node.audit.record([{ ...read(1), kind: "gossip" as never }])).rejects.toThrow(
      AuditDetailError,
    );
    expect((await rows()).length).toBe(0);
  });

  it("never forks under concurrent transactions", async () => {
    // 40 transactions at once, each doing other work before and after its append; some roll back.
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        node.db.transaction().execute(async (trx) => {
          await sql`select ${i}`.execute(trx);
          const e = await node.audit.append(trx, read(i));
          await new Promise((r) => setTimeout(r, i % 4));
          if (i % 7 === 3) throw new Error("rolled back");
          return e;
        }),
      ),
    );
    const committed = results.filter((r) => r.status === "fulfilled").length;
    expect(committed).toBe(40 - 6);
    const stored = await rows();
    expect(stored.map((r) => Number(r.seq))).toEqual(Array.from({ length: committed }, (_, i) => i + 1));
    expect(new Set(stored.map((r) => r.prev_hash)).size).toBe(committed);
    const v = await verify();
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.entries).toBe(committed);
  });

  it("refuses a second entry linking to the same predecessor (the database forbids a fork)", async () => {
    const [e] = await node.audit.record([read(1)]);
    await expect(
      node.db
        .insertInto("audit_log")
        .values({
          seq: 99,
          at: 1,
          kind: "read",
          actor_type: "system",
          actor_id: null,
          subject_ref: null,
          consent_id: null,
          referral_id: null,
          partner_org_id: null,
          detail: "{}",
          prev_hash: e!.prevHash,
          hash: "f".repeat(64),
        })
        .execute(),
    ).rejects.toThrow();
  });

  it("signs a checkpoint every N entries in the appending transaction, and on demand", async () => {
    for (let i = 0; i < 12; i++) await node.audit.record([read(i)]);
    let cps = await node.audit.checkpoints();
    expect(cps.map((c) => c.seq)).toEqual([5, 10]);
    const stored = await rows();
    expect(cps.map((c) => c.hash)).toEqual([stored[4]!.hash, stored[9]!.hash]);

    const signing = node.keys.signingKey();
    const jwk = node.keys.keys().find((k) => k.kid === signing.kid)!.jwk;
    const { payload } = await compactVerify(cps[0]!.jws, await importJWK(jwk, "EdDSA"));
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({
      network: node.network,
      orgId: node.orgId,
      seq: 5,
      hash: stored[4]!.hash,
      at: cps[0]!.at,
    });
    expect(decodeProtectedHeader(cps[0]!.jws)).toEqual({
      alg: "EdDSA",
      kid: signing.kid,
      typ: CHECKPOINT_TYP,
    });

    const now = await node.audit.checkpointNow();
    expect(now?.seq).toBe(12);
    expect(await node.audit.checkpointNow()).toBeUndefined();
    // A batch that crosses the count is covered at its last entry.
    await node.audit.record([read(20), read(21), read(22), read(23), read(24), read(25)]);
    cps = await node.audit.checkpoints();
    expect(cps.map((c) => c.seq)).toEqual([5, 10, 12, 18]);
    const v = await verify();
    expect(v.ok).toBe(true);
    expect(v.checkpointsVerified).toBe(4);
    expect(v.latestCheckpoint?.seq).toBe(18);
  });

  it("signs a last checkpoint when the node closes, and every REFNET_AUDIT_CHECKPOINT_SECONDS", async () => {
    const timed = await world.node("shelter-alpha", {}, { REFNET_AUDIT_CHECKPOINT_SECONDS: "1" });
    await timed.audit.record([read(1), read(2)]);
    timed.audit.start();
    const deadline = Date.now() + 5000;
    while ((await timed.audit.checkpoints()).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await timed.audit.checkpoints()).map((c) => c.seq)).toEqual([2]);

    await node.audit.record([read(1), read(2), read(3)]);
    expect(await node.audit.checkpoints()).toEqual([]);
    await node.audit.stop();
    expect((await node.audit.checkpoints()).map((c) => c.seq)).toEqual([3]);
  });
});

describe("the chain across SQLite processes", () => {
  let world: TestWorld;
  afterEach(async () => {
    await world.close();
  });

  it("never forks when several processes append to one database file", async () => {
    world = await createTestWorld();
    const node = await world.node(ORIGIN);
    const cfg = world.config(ORIGIN);
    if (cfg.database.kind !== "sqlite") throw new Error("expected SQLite");
    const dbPath = cfg.database.path;
    const script = join(import.meta.dirname, "append-worker.test-helper.ts");
    const processes = 3;
    const each = 40;
    const runs = Array.from(
      { length: processes },
      (_, p) =>
        new Promise<string>((resolve, reject) => {
          const args = ["--import", "tsx", script, dbPath, String(p), String(each)];
          const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
          let out = "";
          let err = "";
          child.stdout.on("data", (d) => {
            out += d;
          });
          child.stderr.on("data", (d) => {
            err += d;
          });
          child.on("exit", (code) =>
            code === 0 ? resolve(out) : reject(new Error(`worker ${p} exited ${code}: ${err}`)),
          );
        }),
    );
    const outs = await Promise.all(runs);
    expect(outs.map((o) => Number(o.trim()))).toEqual(Array(processes).fill(each));
    const stored = await node.db
      .selectFrom("audit_log")
      .select(["seq", "prev_hash"])
      .orderBy("seq")
      .execute();
    expect(stored.map((r) => Number(r.seq))).toEqual(
      Array.from({ length: processes * each }, (_, i) => i + 1),
    );
    const v = await verifyAuditTrail(node.db, {
      network: node.network,
      orgId: node.orgId,
      keys: await loadAuditKeys({ orgId: node.orgId, keyStore: node.keys, db: node.db }),
    });
    expect(v.problems).toEqual([]);
    expect(v.entries).toBe(processes * each);
  }, 60_000);
});
