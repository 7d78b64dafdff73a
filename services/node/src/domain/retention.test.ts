// The retention job (retention.ts) as the node runs it: on its timer, by the context's clock, on
// referrals that went through real handoffs between two nodes, on SQLite and PostgreSQL.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Staff } from "../auth.ts";
import type { AppContext } from "../context.ts";
import { startRetentionSweep } from "../retention-job.ts";
import {
  createTestWorld,
  draftInput,
  ORIGIN,
  SHELTER,
  TEST_DATABASES,
  type TestWorld,
} from "../test-support.ts";
import { ERASED_SUBJECT, openReferralRow, rekeyPerson } from "./personal-data.ts";
import { acceptReferral, declineReferral, draftReferral, reportProgress, sendReferral } from "./referrals.ts";
import { findReferral, timelineOf } from "./store.ts";

const DAY = 86_400_000;
// Short limits, so that the test stays within the lifetime of the test network's trust list.
const RETENTION_ENV = {
  REFNET_RETENTION_COMPLETED_DAYS: "2",
  REFNET_RETENTION_CLOSED_DAYS: "2",
  REFNET_RETENTION_DECLINED_DAYS: "2",
  REFNET_RETENTION_QUARANTINE_DAYS: "1",
};

for (const database of TEST_DATABASES) {
  describe(`retention on ${database.name}`, () => {
    let world: TestWorld;
    let origin: AppContext;
    let shelter: AppContext;
    let caseworker: Staff;

    beforeEach(async () => {
      world = await createTestWorld(database.postgresUrl ? { postgresUrl: database.postgresUrl } : {});
      origin = await world.node(ORIGIN);
      shelter = await world.node(SHELTER, {}, RETENTION_ENV);
      caseworker = (await world.staff(origin)).staff;
    });
    afterEach(async () => {
      await world.close();
    });

    /** A referral from the origin about `ref`, delivered to the shelter. */
    async function delivered(ref: string): Promise<string> {
      const input = draftInput(world.clock);
      const draft = await draftReferral(origin, caseworker, { ...input, subject: { ...input.subject, ref } });
      await sendReferral(origin, caseworker, draft.id);
      await world.settle();
      return draft.id;
    }

    async function quarantined(thid: string | null, iss: string | null, at: number): Promise<string> {
      // A refused message as the inbox keeps it: ciphertext the node's own key opens (docs/protocol.md §8).
      const id = randomUUID();
      await shelter.db
        .insertInto("quarantine")
        .values({
          id,
          received_at: at,
          code: "e.p.body.invalid",
          detail: "test",
          stage: "body",
          iss,
          jti: iss ? randomUUID() : null,
          type: iss ? "referral.update" : null,
          thid,
          subject: `refnet.test-net.inbox.${SHELTER}`,
          size: 10,
          envelope: "eyJ.ciphertext.only",
          stream_seq: null,
        })
        .execute();
      return id;
    }

    const rowOf = (id: string) =>
      shelter.db.selectFrom("referral").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

    it("destroys a person's retired key within seconds of a partial erasure, not at the next hourly pass", async () => {
      const id = await delivered("subj_retention_rekey");
      const backup = await rowOf(id);
      expect(openReferralRow(shelter.vault, backup).subject.givenName).toBe("Zuwenaya");
      // The node's job, started (its first full pass done); the next full pass is an hour off, and the
      // look for retired keys runs every 20 ms here.
      const sweep = startRetentionSweep(shelter, 3_600_000, 20);
      try {
        await sweep.runOnce();
        // What a partial erasure does (erasure.ts): the rest sealed again under a new key, the old retired.
        await shelter.db
          .transaction()
          .execute((trx) =>
            rekeyPerson(trx, shelter, { originOrgId: ORIGIN, subjectRef: "subj_retention_rekey" }),
          );
        expect(shelter.vault.retiredKeys()).toHaveLength(1);
        const until = Date.now() + 10_000;
        while (shelter.vault.retiredKeys().length > 0 && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await sweep.stop();
      }
      expect(shelter.vault.retiredKeys()).toEqual([]);
      // The backup's copy no longer opens; the live row, under the new key, does.
      expect(openReferralRow(shelter.vault, backup)).toMatchObject({ gone: true });
      expect((await findReferral(shelter.db, shelter.vault, id))!.subject.givenName).toBe("Zuwenaya");
    });

    it("purges a final referral past its limit on schedule, keeps a recent one, and destroys a key no referral needs", async () => {
      const { staff } = await world.staff(shelter);
      const t0 = world.clock.now();

      // Completed at t0: the person (p1) has another referral still open.
      const completed = await delivered("subj_retention_p1");
      await acceptReferral(shelter, staff, completed, {
        note: "Room 3",
        arrangements: "Pickup at 9 by Ms Varga",
      });
      await reportProgress(shelter, staff, completed, { status: "arrived" });
      await reportProgress(shelter, staff, completed, { status: "completed", outcome: "successful" });
      const open = await delivered("subj_retention_p1");
      // Declined at t0: the only referral of p2.
      const declined = await delivered("subj_retention_p2");
      await declineReferral(shelter, staff, declined, {
        reason: "lack_of_capacity",
        note: "Full until March",
      });
      await world.settle();
      const qOld = await quarantined(null, null, t0);
      // What a backup taken now would hold of the completed referral: its sealed row.
      const backup = await rowOf(completed);
      expect(openReferralRow(shelter.vault, backup).subject.givenName).toBe("Zuwenaya");
      const outboxBefore = await shelter.db
        .selectFrom("outbox")
        .select("jti")
        .where("thid", "=", completed)
        .execute();
      expect(outboxBefore.length).toBeGreaterThan(0);

      // 3 days on, a referral closed now (p3): within its 2 days.
      world.clock.advance(3 * DAY);
      const closed = await delivered("subj_retention_p3");
      await acceptReferral(shelter, staff, closed, {});
      await reportProgress(shelter, staff, closed, { status: "closed", outcome: "successful" });
      await world.settle();
      const qRecent = await quarantined(null, null, world.clock.now());
      // Refused just now, but in the thread of a referral that is purged: it goes with it.
      const qCompleted = await quarantined(completed, ORIGIN, world.clock.now());

      // The node's own timer: the first pass runs at start.
      const sweep = startRetentionSweep(shelter, 25);
      try {
        await expect
          .poll(async () => (await rowOf(declined)).purged_at, { timeout: 10_000, interval: 25 })
          .not.toBeNull();
        await expect
          .poll(async () => (await rowOf(completed)).purged_at, { timeout: 10_000, interval: 25 })
          .not.toBeNull();
      } finally {
        await sweep.stop();
      }
      const now = world.clock.now();

      for (const id of [completed, declined]) {
        const row = await rowOf(id);
        expect(row.purged_at).toBe(now);
        expect(row.subject).toBe(ERASED_SUBJECT);
        expect(row.summary).toBeNull();
        expect(row.arrangements).toBeNull();
        // The referral itself stays, without anyone's data.
        expect(row.status).toBe(id === completed ? "completed" : "declined");
        const record = (await findReferral(shelter.db, shelter.vault, id))!;
        expect(record.subject).toEqual({ ref: row.subject_ref });
        expect(record.erasure).toMatchObject({ reason: "retention", all: true, at: now });
        const timeline = await timelineOf(shelter.db, shelter.vault, id);
        expect(timeline.at(-1)).toMatchObject({ kind: "purged", actorOrgId: SHELTER, at: now });
        const notes = await shelter.db
          .selectFrom("referral_event")
          .select("note")
          .where("referral_id", "=", id)
          .where("note", "is not", null)
          .execute();
        expect(notes).toEqual([]);
        const audit = await shelter.db
          .selectFrom("audit_log")
          .selectAll()
          .where("kind", "=", "retention.purge")
          .where("referral_id", "=", id)
          .execute();
        expect(audit).toHaveLength(1);
        expect(audit[0]!.subject_ref).toBe(row.subject_ref);
        expect(JSON.parse(audit[0]!.detail)).toMatchObject({
          status: row.status,
          retentionDays: 2,
          personKeyDestroyed: id === declined,
          personKeyReplaced: id === completed,
        });
      }
      // Its thread's refused messages and its sent envelopes are gone; so is an old unrelated refusal.
      const quarantine = (await shelter.db.selectFrom("quarantine").select("id").execute()).map((q) => q.id);
      expect(quarantine).toEqual([qRecent]);
      expect(quarantine).not.toContain(qCompleted);
      expect(quarantine).not.toContain(qOld);
      expect(
        await shelter.db.selectFrom("outbox").select("jti").where("thid", "=", completed).execute(),
      ).toEqual([]);

      // p2 had no other referral: their key is destroyed. p1 still has one open: kept, still readable.
      expect(shelter.vault.hasKey({ originOrgId: ORIGIN, subjectRef: "subj_retention_p2" })).toBe(false);
      expect(shelter.vault.hasKey({ originOrgId: ORIGIN, subjectRef: "subj_retention_p1" })).toBe(true);
      // p1's remaining referral was sealed again under a new key and the old one destroyed: the backup's
      // copy of the purged referral no longer opens, though p1 still has data on the node.
      expect(openReferralRow(shelter.vault, backup)).toMatchObject({
        gone: true,
        subject: { ref: "subj_retention_p1" },
      });
      expect(shelter.vault.retiredKeys()).toEqual([]);
      expect((await findReferral(shelter.db, shelter.vault, open))!.subject.givenName).toBe("Zuwenaya");
      // The recent one is untouched.
      const recent = (await findReferral(shelter.db, shelter.vault, closed))!;
      expect((await rowOf(closed)).purged_at).toBeNull();
      expect(recent.subject.givenName).toBe("Zuwenaya");
      expect(recent.summary).toBe("Adult woman needs a safe bed and a medical check");
      expect(recent.erasure).toBeNull();

      // Nothing is purged twice; the origin's node, with the default limits, purged nothing.
      const second = startRetentionSweep(shelter, 60_000);
      const again = await second.runOnce();
      await second.stop();
      expect(again.purged).toEqual([]);
      const originPass = startRetentionSweep(origin, 60_000);
      expect((await originPass.runOnce()).purged).toEqual([]);
      await originPass.stop();

      // Once the limit passes for the recent one too, it goes, and with it p3's key.
      world.clock.advance(2 * DAY);
      const later = startRetentionSweep(shelter, 60_000);
      const pass = await later.runOnce();
      await later.stop();
      expect(pass.purged).toEqual([closed]);
      expect(pass.keysDestroyed).toBe(1);
      expect(shelter.vault.hasKey({ originOrgId: ORIGIN, subjectRef: "subj_retention_p3" })).toBe(false);
    });
  });
}
