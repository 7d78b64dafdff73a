// Verification of a real audit trail, made by real actions (referrals drafted and sent through the
// domain, sealed by the real outbox enqueuer), then tampered with directly in the database: an edited
// row, a deleted row, two rows swapped, a cut tail, a forged checkpoint, a chain redone from scratch.
// Each must fail, naming the first bad entry and what is wrong with it.
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Staff } from "../auth.ts";
import type { AppContext } from "../context.ts";
import { draftReferral, sendReferral } from "../domain/referrals.ts";
import {
  createTestWorld,
  draftInput,
  ORIGIN,
  SHELTER,
  TEST_DATABASES,
  type TestWorld,
} from "../test-support.ts";
import { entryHash, GENESIS_HASH } from "./entry.ts";
import { loadAuditKeys } from "./keys.ts";
import { type AuditVerification, verifyAuditTrail } from "./verify.ts";

/** Referrals drafted and sent per test: one disclosure entry each (and a checkpoint every 3 entries). */
const SENT = 8;

describe.each(TEST_DATABASES)("verifying the trail on $name", ({ postgresUrl }) => {
  let world: TestWorld;
  let origin: AppContext;
  let caseworker: Staff;
  let referralIds: string[];

  beforeEach(async () => {
    world = await createTestWorld(postgresUrl ? { postgresUrl } : {});
    origin = await world.node(ORIGIN, {}, { REFNET_AUDIT_CHECKPOINT_ENTRIES: "3" });
    caseworker = (await world.staff(origin)).staff;
    referralIds = [];
    for (let i = 0; i < SENT; i++) {
      const r = await draftReferral(origin, caseworker, draftInput(world.clock));
      await sendReferral(origin, caseworker, r.id);
      referralIds.push(r.id);
      world.clock.advance(1000);
    }
  });
  afterEach(async () => {
    await world.close();
  });

  const disclosures = () =>
    origin.db.selectFrom("audit_log").selectAll().where("kind", "=", "disclosure").orderBy("seq").execute();

  async function verify(anchors: string[] = []): Promise<AuditVerification> {
    return verifyAuditTrail(origin.db, {
      network: origin.network,
      orgId: origin.orgId,
      keys: await loadAuditKeys({ orgId: origin.orgId, keyStore: origin.keys, db: origin.db }),
      anchors,
    });
  }

  async function entryCount(): Promise<number> {
    const r = await origin.db
      .selectFrom("audit_log")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  it("records each referral sent as a disclosure, in the transaction of its outbox row", async () => {
    const rows = await disclosures();
    expect(rows.map((r) => r.referral_id)).toEqual(referralIds);
    const outbox = await origin.db.selectFrom("outbox").select(["jti", "thid", "aud"]).execute();
    for (const row of rows) {
      const detail = JSON.parse(row.detail);
      const msg = outbox.find((o) => o.thid === row.referral_id)!;
      expect(row.actor_type).toBe("staff");
      expect(row.actor_id).toBe(caseworker.id);
      expect(row.partner_org_id).toBe(SHELTER);
      expect(row.subject_ref).toMatch(/^subj_/);
      expect(row.consent_id).not.toBeNull();
      expect(detail.messageType).toBe("referral.offer");
      expect(detail.jti).toBe(msg.jti);
      expect(detail.scopes).toEqual(["contact", "health", "identity"]);
      // Field names the consent let leave: protection (not consented) is absent, as it is from the message.
      expect(detail.fields).toEqual([
        "ageBand",
        "currentLocation",
        "documents",
        "email",
        "familyName",
        "givenName",
        "health",
        "languages",
        "nationality",
        "phone",
        "ref",
      ]);
      expect(detail.override).toBe(false);
    }
  });

  it("holds none of the person's data", async () => {
    const all = await origin.db.selectFrom("audit_log").selectAll().execute();
    const text = JSON.stringify(all);
    const subject = draftInput(world.clock).subject;
    for (const value of [
      subject.givenName,
      subject.familyName,
      subject.phone,
      subject.email,
      subject.currentLocation,
      subject.documents[0]!.number,
      "asthma",
      "female caseworker",
    ]) {
      expect(text).not.toContain(value);
    }
  });

  it("passes on the intact trail, with its checkpoints verified", async () => {
    const v = await verify();
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.entries).toBe(await entryCount());
    expect(v.entries).toBeGreaterThanOrEqual(SENT);
    expect(v.checkpoints).toBe(Math.floor(v.entries / 3));
    expect(v.checkpointsVerified).toBe(v.checkpoints);
    expect(v.keySources).toEqual(["key file", "trust list v1"]);
    const head = await origin.audit.head();
    expect(v.head).toEqual(head);
  });

  it("verifies the checkpoints with the trust list alone (no key file)", async () => {
    const v = await verifyAuditTrail(origin.db, {
      network: origin.network,
      orgId: origin.orgId,
      keys: await loadAuditKeys({
        orgId: origin.orgId,
        keyStore: { unavailable: "not given" },
        db: origin.db,
      }),
    });
    expect(v.ok).toBe(true);
    expect(v.keySources).toEqual(["trust list v1"]);
    expect(v.latestCheckpoint?.source).toBe("trust list v1");
  });

  it("names an edited entry", async () => {
    const target = (await disclosures())[3]!;
    const seq = Number(target.seq);
    const detail = JSON.parse(target.detail);
    detail.fields = ["ageBand", "languages", "ref"];
    await origin.db
      .updateTable("audit_log")
      .set({ detail: JSON.stringify(detail) })
      .where("seq", "=", seq)
      .execute();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq, kind: "changed" });
    expect(v.problems[0]!.detail).toContain(`entry ${seq}`);
  });

  it("names an entry edited with its hash redone: by the next link, or by the checkpoint over it", async () => {
    const checkpointed = new Set(
      (await origin.db.selectFrom("audit_checkpoint").select("seq").execute()).map((c) => Number(c.seq)),
    );
    const rows = await origin.db.selectFrom("audit_log").selectAll().orderBy("seq").execute();
    const redo = async (seq: number) => {
      const r = rows.find((x) => Number(x.seq) === seq)!;
      const forged = { ...r, seq, at: Number(r.at), partner_org_id: "shelter-beta" };
      await origin.db
        .updateTable("audit_log")
        .set({ partner_org_id: forged.partner_org_id, hash: entryHash(forged) })
        .where("seq", "=", seq)
        .execute();
    };
    const covered = Math.min(...checkpointed);
    const plain = rows.map((r) => Number(r.seq)).find((s) => s > covered + 1 && !checkpointed.has(s))!;
    await redo(plain);
    let v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq: plain + 1, kind: "broken-link" });
    expect(v.problems[0]!.detail).toContain(`entry ${plain} was edited`);

    // At a checkpointed seq, the checkpoint names the edited entry itself.
    await redo(covered);
    v = await verify();
    expect(v.problems[0]).toMatchObject({ seq: covered, kind: "checkpoint-mismatch" });
    expect(v.problems[1]).toMatchObject({ seq: covered + 1, kind: "broken-link" });
  });

  it("names a deleted entry", async () => {
    const seq = Number((await disclosures())[4]!.seq);
    await origin.db.deleteFrom("audit_log").where("seq", "=", seq).execute();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq, kind: "missing" });
  });

  it("names reordered entries (two rows' seqs swapped)", async () => {
    const [a, b] = [4, 5];
    await origin.db.updateTable("audit_log").set({ seq: -1 }).where("seq", "=", a).execute();
    await origin.db.updateTable("audit_log").set({ seq: a }).where("seq", "=", b).execute();
    await origin.db.updateTable("audit_log").set({ seq: b }).where("seq", "=", -1).execute();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq: a, kind: "reordered" });
    expect(v.problems[0]!.detail).toContain(`written as seq ${b}`);
    expect(v.problems[1]).toMatchObject({ seq: b, kind: "reordered" });
  });

  it("names a cut tail, even when the head row was cut to match", async () => {
    const total = await entryCount();
    const keep = 4;
    await origin.db.deleteFrom("audit_log").where("seq", ">", keep).execute();
    let v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq: keep + 1, kind: "truncated" });
    expect(v.problems.filter((p) => p.seq === keep + 1).map((p) => p.detail)).toContainEqual(
      `the head records ${total} entries but the log ends at seq ${keep}: the entries after it were removed`,
    );

    const last = await origin.db
      .selectFrom("audit_log")
      .select("hash")
      .where("seq", "=", keep)
      .executeTakeFirstOrThrow();
    await origin.db
      .updateTable("audit_head")
      .set({ seq: keep, hash: last.hash })
      .where("id", "=", 1)
      .execute();
    v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq: keep + 1, kind: "truncated" });
    expect(v.problems[0]!.detail).toMatch(/signed checkpoint at seq \d+ covers entry/);
  });

  it("needs an anchor kept off the node when the tail was cut together with its checkpoints", async () => {
    const anchor = (await verify()).latestCheckpoint!.jws;
    const keep = 2;
    const last = await origin.db
      .selectFrom("audit_log")
      .select("hash")
      .where("seq", "=", keep)
      .executeTakeFirstOrThrow();
    await origin.db.deleteFrom("audit_log").where("seq", ">", keep).execute();
    await origin.db.deleteFrom("audit_checkpoint").execute();
    await origin.db
      .updateTable("audit_head")
      .set({ seq: keep, hash: last.hash, checkpoint_seq: 0 })
      .where("id", "=", 1)
      .execute();
    // What the database alone cannot show (docs/audit.md): a consistent prefix looks intact.
    expect((await verify()).ok).toBe(true);
    const v = await verify([anchor]);
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq: keep + 1, kind: "truncated" });
  });

  it("names a checkpoint whose signature does not verify", async () => {
    const cp = await origin.db
      .selectFrom("audit_checkpoint")
      .selectAll()
      .orderBy("seq")
      .executeTakeFirstOrThrow();
    const [h, p, s] = cp.jws.split(".");
    const flipped = `${s!.slice(0, 10)}${s![10] === "A" ? "B" : "A"}${s!.slice(11)}`;
    await origin.db
      .updateTable("audit_checkpoint")
      .set({ jws: `${h}.${p}.${flipped}` })
      .where("seq", "=", cp.seq)
      .execute();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ seq: Number(cp.seq), kind: "checkpoint-signature" });
    expect(v.problems[0]!.detail).toContain("does not verify");
  });

  it("catches a chain rebuilt from an edited entry onwards, by its signed checkpoints", async () => {
    // An attacker who can write the database but does not hold the node's key redoes every hash.
    const rows = await origin.db.selectFrom("audit_log").selectAll().orderBy("seq").execute();
    const from = 2;
    let prev = rows[from - 2]!.hash;
    for (const r of rows.slice(from - 1)) {
      const row = { ...r, seq: Number(r.seq), at: Number(r.at) };
      if (row.seq === from) row.subject_ref = "subj_someoneelse";
      row.prev_hash = prev;
      const hash = entryHash(row);
      // Unique prev_hash: move the row aside first, then write it back in place.
      await origin.db.deleteFrom("audit_log").where("seq", "=", row.seq).execute();
      await origin.db
        .insertInto("audit_log")
        .values({ ...row, hash })
        .execute();
      prev = hash;
    }
    await origin.db.updateTable("audit_head").set({ hash: prev }).where("id", "=", 1).execute();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems.every((p) => p.kind === "checkpoint-mismatch")).toBe(true);
    expect(v.problems[0]!.seq).toBe(3);
  });

  it("names a head that does not match the chain, and an entry that starts elsewhere than genesis", async () => {
    await origin.db
      .updateTable("audit_head")
      .set({ hash: "e".repeat(64) })
      .where("id", "=", 1)
      .execute();
    let v = await verify();
    expect(v.problems[0]).toMatchObject({ kind: "head-mismatch" });

    const first = await origin.db
      .selectFrom("audit_log")
      .selectAll()
      .where("seq", "=", 1)
      .executeTakeFirstOrThrow();
    expect(first.prev_hash).toBe(GENESIS_HASH);
    const moved = { ...first, seq: 1, at: Number(first.at), prev_hash: "d".repeat(64) };
    await origin.db
      .updateTable("audit_log")
      .set({ prev_hash: moved.prev_hash, hash: entryHash(moved) })
      .where("seq", "=", 1)
      .execute();
    v = await verify();
    expect(v.problems[0]).toMatchObject({ seq: 1, kind: "broken-link" });
  });

  it("reads a long trail in batches", async () => {
    await origin.audit.record(
      Array.from({ length: 2500 }, (_, i) => ({
        kind: "read" as const,
        actor: { type: "staff" as const, id: caseworker.id },
        referralId: referralIds[i % SENT]!,
        detail: { fields: ["ageBand"], returned: ["ageBand"] },
      })),
    );
    const v = await verifyAuditTrail(origin.db, {
      network: origin.network,
      orgId: origin.orgId,
      keys: await loadAuditKeys({ orgId: origin.orgId, keyStore: origin.keys, db: origin.db }),
      batchSize: 700,
    });
    expect(v.problems).toEqual([]);
    expect(v.entries).toBe(await entryCount());
    await sql`delete from audit_log where seq = 1500`.execute(origin.db);
    const broken = await verify();
    expect(broken.problems[0]).toMatchObject({ seq: 1500, kind: "missing" });

    // Edited throughout: every entry is reported (counted), the first 50 in full.
    await sql`update audit_log set at = at + 1`.execute(origin.db);
    const started = Date.now();
    const everywhere = await verify();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(everywhere.problems).toHaveLength(50);
    expect(everywhere.problems[0]).toMatchObject({ seq: 1, kind: "changed" });
    expect(everywhere.problemCount).toBeGreaterThanOrEqual(everywhere.entries);
  });
});
