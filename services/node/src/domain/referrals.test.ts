// The referral state machine on both sides, with real nodes (SQLite, real keys, a real signed trust
// list, the real outbox enqueuer and inbox consumer); messages are carried outbox → inbox in-process.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Staff } from "../auth.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import {
  createTestWorld,
  draftInput,
  ORIGIN,
  ORIGIN_B,
  SHELTER,
  SHELTER_B,
  TEST_DATABASES,
  type TestWorld,
} from "../test-support.ts";
import { openReferralRow } from "./personal-data.ts";
import {
  acceptReferral,
  declineReferral,
  draftReferral,
  expireOverdue,
  reportProgress,
  sendReferral,
  withdrawReferral,
} from "./referrals.ts";
import { findReferral, timelineOf } from "./store.ts";
import type { ReferralEventRecord } from "./types.ts";

const HOUR = 3_600_000;

let world: TestWorld;
let origin: AppContext;
let shelter: AppContext;
let caseworker: Staff;
let shelterStaff: Staff;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error("expected a refusal");
}

async function status(ctx: AppContext, id: string): Promise<string | undefined> {
  return (await findReferral(ctx.db, ctx.vault, id))?.status;
}

async function kinds(ctx: AppContext, id: string): Promise<string[]> {
  return (await timelineOf(ctx.db, ctx.vault, id)).map((e) => e.kind);
}

async function sentReferral(opts: { respondBy?: number | null } = {}): Promise<string> {
  const input = draftInput(world.clock);
  if (opts.respondBy !== undefined) input.respondBy = opts.respondBy as number;
  const r = await draftReferral(origin, caseworker, input);
  await sendReferral(origin, caseworker, r.id);
  return r.id;
}

describe.each(TEST_DATABASES)("on $name", ({ postgresUrl }) => {
  beforeEach(async () => {
    world = await createTestWorld(postgresUrl ? { postgresUrl } : {});
    origin = await world.node(ORIGIN);
    shelter = await world.node(SHELTER);
    caseworker = (await world.staff(origin)).staff;
    shelterStaff = (await world.staff(shelter)).staff;
  });
  afterEach(async () => {
    await world.close();
  });

  describe("drafting", () => {
    it("drops every field the consent does not allow before anything is stored", async () => {
      const r = await draftReferral(origin, caseworker, draftInput(world.clock));
      expect(r.status).toBe("draft");
      expect(r.direction).toBe("outgoing");
      // identity, contact and health were consented to; protection and case notes were not.
      expect(r.subject.givenName).toBe("Zuwenaya");
      expect(r.subject.phone).toBe("+234 801 555 0199");
      expect(r.subject.health).toEqual({ conditions: ["asthma"] });
      expect(r.subject.protection).toBeUndefined();
      expect(r.subject.notes).toBeUndefined();
      const row = await origin.db
        .selectFrom("referral")
        .selectAll()
        .where("id", "=", r.id)
        .executeTakeFirstOrThrow();
      expect(row.subject).not.toContain("Prefers a female caseworker");
      expect(row.subject).not.toContain("high");
      // Stored sealed under the person's key (docs/data-at-rest.md); opened, it is the minimised subject.
      expect(row.subject.startsWith("pd1.")).toBe(true);
      expect(row.subject).not.toContain("Zuwenaya");
      expect(openReferralRow(origin.vault, row).subject).toEqual(r.subject);
    });

    it("generates the pseudonym and the consent id, and records who drafted it", async () => {
      const r = await draftReferral(origin, caseworker, draftInput(world.clock));
      expect(r.subject.ref).toMatch(/^subj_[A-Za-z0-9_-]{16}$/);
      expect(r.consent.subjectRef).toBe(r.subject.ref);
      expect(r.consent.id).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      expect(r.id).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      expect(r.consent.grantedAt).toBe(Math.floor(world.clock.now() / 1000));
      expect(r.createdBy).toBe(caseworker.id);
      const t = await timelineOf(origin.db, origin.vault, r.id);
      expect(t).toMatchObject([
        { kind: "created", status: "draft", actorOrgId: ORIGIN, actorStaff: caseworker.username },
      ]);
    });

    it("keeps a given pseudonym, and refuses one that looks like a name", async () => {
      const input = draftInput(world.clock);
      const r = await draftReferral(origin, caseworker, {
        ...input,
        subject: { ...input.subject, ref: "case-2026-0042" },
      });
      expect(r.subject.ref).toBe("case-2026-0042");
      expect(
        await refusal(
          draftReferral(origin, caseworker, {
            ...input,
            subject: { ...input.subject, ref: "Zuwenaya Okonkwo" },
          }),
        ),
      ).toBe("ERR_INVALID_INPUT");
    });

    it("enforces the consent rules of docs/protocol.md §5.4", async () => {
      const base = draftInput(world.clock);
      expect(
        await refusal(
          draftReferral(origin, caseworker, {
            ...base,
            consent: { ...base.consent, recipients: [SHELTER_B] },
          }),
        ),
      ).toBe("ERR_CONSENT_RECIPIENT");
      expect(
        await refusal(draftReferral(origin, caseworker, { ...base, services: ["shelter", "legal_aid"] })),
      ).toBe("ERR_CONSENT_PURPOSE");
      expect(
        await refusal(
          draftReferral(origin, caseworker, {
            ...base,
            consent: { ...base.consent, expiresAt: world.clock.now() - 1 },
          }),
        ),
      ).toBe("ERR_CONSENT_EXPIRED");
      expect(
        await refusal(
          draftReferral(origin, caseworker, {
            ...base,
            consent: { ...base.consent, grantedAt: world.clock.now() + HOUR },
          }),
        ),
      ).toBe("ERR_INVALID_INPUT");
      expect(
        await refusal(draftReferral(origin, caseworker, { ...base, respondBy: world.clock.now() - 1 })),
      ).toBe("ERR_INVALID_INPUT");
    });

    it("sends only to an active partner with the destination role", async () => {
      const base = draftInput(world.clock);
      const to = (dest: string) =>
        draftReferral(origin, caseworker, {
          ...base,
          destinationOrgId: dest,
          consent: { ...base.consent, recipients: [dest] },
        });
      expect(await refusal(to("not-a-member"))).toBe("ERR_PARTNER_UNAVAILABLE");
      expect(await refusal(to(ORIGIN_B))).toBe("ERR_PARTNER_UNAVAILABLE");
      expect(await refusal(to(ORIGIN))).toBe("ERR_INVALID_INPUT");
      await expect(to(SHELTER_B)).resolves.toMatchObject({ status: "draft" });
    });

    it("names the invalid field without echoing its value", async () => {
      const base = draftInput(world.clock);
      const err = await draftReferral(origin, caseworker, {
        ...base,
        subject: { ...base.subject, phone: "9".repeat(100), languages: ["English"] },
      }).then(
        () => undefined,
        (e: unknown) => e as AppError,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err!.code).toBe("ERR_INVALID_INPUT");
      expect(err!.message).toContain("subject.phone");
      expect(err!.message).toContain("subject.languages");
      expect(err!.message).not.toContain("9999");
      expect(err!.message).not.toContain("English");
    });
  });

  describe("sending", () => {
    it("moves draft → sent, seals the offer into the outbox and records its jti", async () => {
      const r = await draftReferral(origin, caseworker, draftInput(world.clock));
      const sent = await sendReferral(origin, caseworker, r.id);
      expect(sent.status).toBe("sent");
      const out = await origin.db.selectFrom("outbox").selectAll().execute();
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ type: "referral.offer", aud: SHELTER, thid: r.id, status: "pending" });
      // Only ciphertext in the outbox: a compact JWE, and not a byte of the person in clear.
      expect(out[0]!.envelope.split(".")).toHaveLength(5);
      expect(out[0]!.envelope).not.toContain("Zuwenaya");
      const t = await timelineOf(origin.db, origin.vault, r.id);
      expect(t.map((e) => e.kind)).toEqual(["created", "sent"]);
      expect(t[1]!.messageId).toBe(out[0]!.jti);
    });

    it("cannot send twice, nor send a referral it received", async () => {
      const id = await sentReferral();
      expect(await refusal(sendReferral(origin, caseworker, id))).toBe("ERR_INVALID_STATE");
      await world.deliver(ORIGIN);
      expect(await refusal(sendReferral(shelter, shelterStaff, id))).toBe("ERR_INVALID_STATE");
      expect(await refusal(sendReferral(origin, caseworker, "no-such-referral-id"))).toBe("ERR_NOT_FOUND");
    });

    it("changes nothing when the message cannot be sealed (state and message commit together)", async () => {
      const list = origin.trust.current();
      const base = draftInput(world.clock);
      // A consent that outlives the trust list, and no respondBy: only the trust list stops the send.
      const r = await draftReferral(origin, caseworker, {
        ...base,
        respondBy: null,
        consent: { ...base.consent, expiresAt: (list.expiresAt + 365 * 86_400) * 1000 },
      });
      world.clock.t = (list.expiresAt + 60) * 1000;
      expect(await refusal(sendReferral(origin, caseworker, r.id))).toBe("ERR_TRUST_EXPIRED");
      expect(await status(origin, r.id)).toBe("draft");
      expect(await kinds(origin, r.id)).toEqual(["created"]);
      expect(await origin.db.selectFrom("outbox").selectAll().execute()).toEqual([]);
    });
  });

  describe("the whole flow, on both sides", () => {
    it("delivered → accepted → arrived → in_progress → completed, with the same states on both", async () => {
      const seen: ReferralEventRecord[] = [];
      const sub = origin.events.subscribe();
      const reader = (async () => {
        for await (const e of sub) {
          seen.push(e);
          if (e.kind === "completed") break;
        }
      })();

      const id = await sentReferral();
      await world.deliver(ORIGIN); // the offer
      expect(await status(shelter, id)).toBe("delivered");
      const incoming = (await findReferral(shelter.db, shelter.vault, id))!;
      expect(incoming.direction).toBe("incoming");
      expect(incoming.originOrgId).toBe(ORIGIN);
      expect(incoming.subject.givenName).toBe("Zuwenaya");
      expect(incoming.subject.notes).toBeUndefined();
      expect(incoming.consent.recipients).toEqual([SHELTER]);

      await world.deliver(SHELTER); // the receipt
      expect(await status(origin, id)).toBe("delivered");

      await acceptReferral(shelter, shelterStaff, id, { note: "We have a bed", arrangements: "Bed 4" });
      await world.settle();
      const accepted = (await findReferral(origin.db, origin.vault, id))!;
      expect(accepted.status).toBe("accepted");
      expect(accepted.arrangements).toBe("Bed 4");

      for (const s of ["arrived", "in_progress"] as const) {
        await reportProgress(shelter, shelterStaff, id, { status: s });
        await world.settle();
        expect(await status(origin, id)).toBe(s);
      }
      await reportProgress(shelter, shelterStaff, id, { status: "completed", outcome: "successful" });
      await world.settle();
      const done = (await findReferral(origin.db, origin.vault, id))!;
      expect(done.status).toBe("completed");
      expect(done.outcome).toBe("successful");
      expect(await status(shelter, id)).toBe("completed");

      expect(await kinds(origin, id)).toEqual([
        "created",
        "sent",
        "delivered",
        "accepted",
        "arrived",
        "in_progress",
        "completed",
      ]);
      expect(await kinds(shelter, id)).toEqual([
        "delivered",
        "accepted",
        "arrived",
        "in_progress",
        "completed",
      ]);
      const originTimeline = await timelineOf(origin.db, origin.vault, id);
      expect(originTimeline.find((e) => e.kind === "accepted")).toMatchObject({
        actorOrgId: SHELTER,
        note: "We have a bed",
      });
      expect(originTimeline.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

      await reader;
      expect(seen.map((e) => e.kind)).toEqual([
        "created",
        "sent",
        "delivered",
        "accepted",
        "arrived",
        "in_progress",
        "completed",
      ]);
      // Nothing left unanswered, and no receipt for a receipt.
      expect(await origin.db.selectFrom("quarantine").selectAll().execute()).toEqual([]);
      expect(await shelter.db.selectFrom("quarantine").selectAll().execute()).toEqual([]);
    });

    it("is declined with a reason, seen on both sides", async () => {
      const id = await sentReferral();
      await world.settle();
      await declineReferral(shelter, shelterStaff, id, { reason: "lack_of_capacity", note: "Full" });
      await world.settle();
      const r = (await findReferral(origin.db, origin.vault, id))!;
      expect(r.status).toBe("declined");
      expect(r.declineReason).toBe("lack_of_capacity");
      expect(await status(shelter, id)).toBe("declined");
    });

    it("an answer may overtake the receipt of the offer (sent → accepted)", async () => {
      const id = await sentReferral();
      await world.deliver(ORIGIN);
      await acceptReferral(shelter, shelterStaff, id);
      // Drop the receipt: only the accept reaches the origin.
      await shelter.db.deleteFrom("outbox").where("type", "=", "message.receipt").execute();
      await world.deliver(SHELTER);
      expect(await status(origin, id)).toBe("accepted");
    });

    it("is withdrawn by the origin; the shelter can then no longer accept", async () => {
      const id = await sentReferral();
      await world.settle();
      await withdrawReferral(origin, caseworker, id, {
        reason: "referred_elsewhere",
        note: "Closer service found",
      });
      await world.settle();
      expect(await status(shelter, id)).toBe("withdrawn");
      const last = (await timelineOf(shelter.db, shelter.vault, id)).at(-1)!;
      expect(last).toMatchObject({
        kind: "withdrawn",
        actorOrgId: ORIGIN,
        note: "referred_elsewhere: Closer service found",
      });
      expect(await refusal(acceptReferral(shelter, shelterStaff, id))).toBe("ERR_INVALID_STATE");
    });

    it("withdrawing a draft sends nothing", async () => {
      const r = await draftReferral(origin, caseworker, draftInput(world.clock));
      await withdrawReferral(origin, caseworker, r.id, { reason: "sent_in_error" });
      expect(await status(origin, r.id)).toBe("withdrawn");
      expect(await origin.db.selectFrom("outbox").selectAll().execute()).toEqual([]);
    });
  });

  describe("illegal transitions", () => {
    it("are refused with ERR_INVALID_STATE on the side that tries them", async () => {
      const id = await sentReferral();
      await world.settle();
      // Only the destination answers and reports; only the origin withdraws.
      expect(await refusal(acceptReferral(origin, caseworker, id))).toBe("ERR_INVALID_STATE");
      expect(await refusal(reportProgress(origin, caseworker, id, { status: "arrived" }))).toBe(
        "ERR_INVALID_STATE",
      );
      expect(await refusal(withdrawReferral(shelter, shelterStaff, id, { reason: "x" }))).toBe(
        "ERR_INVALID_STATE",
      );
      // Progress before an accept, completion before arrival, an outcome with a progress status.
      expect(await refusal(reportProgress(shelter, shelterStaff, id, { status: "arrived" }))).toBe(
        "ERR_INVALID_STATE",
      );
      await acceptReferral(shelter, shelterStaff, id);
      expect(await refusal(reportProgress(shelter, shelterStaff, id, { status: "in_progress" }))).toBe(
        "ERR_INVALID_STATE",
      );
      expect(await refusal(reportProgress(shelter, shelterStaff, id, { status: "completed" }))).toBe(
        "ERR_INVALID_STATE",
      );
      expect(
        await refusal(
          reportProgress(shelter, shelterStaff, id, { status: "arrived", outcome: "successful" }),
        ),
      ).toBe("ERR_INVALID_INPUT");
      // Answered once: not again.
      expect(await refusal(acceptReferral(shelter, shelterStaff, id))).toBe("ERR_INVALID_STATE");
      expect(await refusal(declineReferral(shelter, shelterStaff, id, { reason: "duplicate" }))).toBe(
        "ERR_INVALID_STATE",
      );
      // A person who never arrived: closed from accepted is legal.
      await reportProgress(shelter, shelterStaff, id, { status: "closed", outcome: "unsuccessful" });
      await world.settle();
      expect(await status(origin, id)).toBe("closed");
      // Terminal: nothing more, not even a withdrawal.
      expect(await refusal(withdrawReferral(origin, caseworker, id, { reason: "x" }))).toBe(
        "ERR_INVALID_STATE",
      );
    });
  });

  describe("expiry (respondBy)", () => {
    it("both sides mark it expired by their own clocks; the shelter can no longer answer", async () => {
      const id = await sentReferral({ respondBy: world.clock.now() + HOUR });
      await world.settle();
      world.clock.advance(2 * HOUR);
      expect(await expireOverdue(origin)).toEqual([id]);
      expect(await expireOverdue(shelter)).toEqual([id]);
      expect(await status(origin, id)).toBe("expired");
      expect(await status(shelter, id)).toBe("expired");
      expect(await expireOverdue(origin)).toEqual([]);
      expect(await refusal(acceptReferral(shelter, shelterStaff, id))).toBe("ERR_INVALID_STATE");
      // The origin may still withdraw an expired referral, and the shelter applies it.
      await withdrawReferral(origin, caseworker, id, { reason: "no_longer_needed" });
      await world.settle();
      expect(await status(shelter, id)).toBe("withdrawn");
    });

    it("an answer sealed before respondBy still counts after the origin expired it (§4.14)", async () => {
      const id = await sentReferral({ respondBy: world.clock.now() + HOUR });
      await world.settle();
      await acceptReferral(shelter, shelterStaff, id); // sealed in time, not yet delivered
      world.clock.advance(2 * HOUR);
      await expireOverdue(origin);
      expect(await status(origin, id)).toBe("expired");
      await world.settle();
      expect(await status(origin, id)).toBe("accepted");
      expect(await status(shelter, id)).toBe("accepted");
    });

    it("a shelter cannot answer once respondBy has passed, even before its sweep ran", async () => {
      const id = await sentReferral({ respondBy: world.clock.now() + HOUR });
      await world.settle();
      world.clock.advance(2 * HOUR);
      expect(await refusal(acceptReferral(shelter, shelterStaff, id))).toBe("ERR_INVALID_STATE");
    });
  });

  describe("messages that cross (§4.14)", () => {
    it("a withdrawal crossing an accept: both sides end withdrawn", async () => {
      const id = await sentReferral();
      await world.settle();
      await acceptReferral(shelter, shelterStaff, id);
      await withdrawReferral(origin, caseworker, id, { reason: "client_withdrew" });
      await world.settle();
      expect(await status(origin, id)).toBe("withdrawn");
      expect(await status(shelter, id)).toBe("withdrawn");
    });

    it("a decline crossing a withdrawal: the decline stands on both sides", async () => {
      const id = await sentReferral();
      await world.settle();
      await declineReferral(shelter, shelterStaff, id, { reason: "not_eligible" });
      await withdrawReferral(origin, caseworker, id, { reason: "client_withdrew" });
      await world.settle();
      expect(await status(origin, id)).toBe("declined");
      expect(await status(shelter, id)).toBe("declined");
    });
  });

  describe("inbound refusals (step 8.4)", () => {
    it("refuses an answer from an organization that is not a party, revealing nothing", async () => {
      const id = await sentReferral();
      await world.settle();
      const other = await world.node(SHELTER_B);
      await other.messages.enqueue(other.db, { type: "referral.accept", aud: ORIGIN, thid: id, body: {} });
      await world.settle();
      expect(await status(origin, id)).toBe("delivered");
      const q = await origin.db.selectFrom("quarantine").selectAll().execute();
      expect(q).toHaveLength(1);
      expect(q[0]).toMatchObject({
        code: "e.p.state.unknown-referral",
        iss: SHELTER_B,
        type: "referral.accept",
      });
      // The stranger got a problem report, about a referral it does not hold: nothing recorded.
      expect(await other.db.selectFrom("referral").selectAll().execute()).toEqual([]);
    });

    it("refuses an accept from the origin itself (wrong party)", async () => {
      const id = await sentReferral();
      await world.settle();
      await origin.messages.enqueue(origin.db, { type: "referral.accept", aud: SHELTER, thid: id, body: {} });
      await world.settle();
      const q = await shelter.db.selectFrom("quarantine").selectAll().execute();
      expect(q.map((r) => r.code)).toEqual(["e.p.state.conflict"]);
      expect(await status(shelter, id)).toBe("delivered");
      // The origin recorded the problem report on the referral's timeline, code only.
      const last = (await timelineOf(origin.db, origin.vault, id)).at(-1)!;
      expect(last).toMatchObject({
        kind: "problem",
        note: "e.p.state.conflict",
        actorOrgId: SHELTER,
        status: "delivered",
      });
    });

    it("takes a repeated offer from the same origin as a no-op, and refuses the id from another org", async () => {
      const id = await sentReferral();
      await world.settle();
      const offer = (await findReferral(origin.db, origin.vault, id))!;
      // The origin offers the same referral again (a new message): stored without effect, receipted.
      await origin.messages.enqueue(origin.db, {
        type: "referral.offer",
        aud: SHELTER,
        thid: id,
        consent: offer.consent,
        body: {
          referral: { id, urgency: "urgent", services: ["shelter"] },
          subject: { ref: offer.consent.subjectRef },
        },
      });
      await world.settle();
      expect(await shelter.db.selectFrom("referral").selectAll().execute()).toHaveLength(1);
      expect(await shelter.db.selectFrom("quarantine").selectAll().execute()).toEqual([]);
      expect(await kinds(shelter, id)).toEqual(["delivered"]);

      // Another origin reuses the id: a conflict.
      const other = await world.node(SHELTER_B);
      await other.messages.enqueue(other.db, {
        type: "referral.offer",
        aud: SHELTER,
        thid: id,
        consent: { ...offer.consent, id: "ConsentOfAnotherOrg01" },
        body: {
          referral: { id, urgency: "urgent", services: ["shelter"] },
          subject: { ref: offer.consent.subjectRef },
        },
      });
      await world.settle();
      const q = await shelter.db.selectFrom("quarantine").selectAll().execute();
      expect(q.map((r) => [r.code, r.iss])).toEqual([["e.p.state.conflict", SHELTER_B]]);
      expect((await findReferral(shelter.db, shelter.vault, id))!.originOrgId).toBe(ORIGIN);
    });
  });
});
