// How a node starts with its person key vault, and what it does with rows it cannot trust: a database
// from before encryption at rest is sealed at start; a missing or foreign vault, or another KEK, stops
// the node with a message that says what to do; a sealed value moved to another row is refused.
import { rm } from "node:fs/promises";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Staff } from "../auth.ts";
import { AppContext } from "../context.ts";
import { openDatabase } from "../db/index.ts";
import { AppError } from "../errors.ts";
import { KeyEncryptionKey, resolveKek } from "../kek.ts";
import { PersonVault } from "../person-vault.ts";
import {
  createTestWorld,
  draftInput,
  ORIGIN,
  silentLogger,
  TEST_DATABASES,
  type TestWorld,
} from "../test-support.ts";
import { destroyRetiredKeys, ERASED_SUBJECT, openReferralRow, rekeyPerson } from "./personal-data.ts";
import { draftReferral, withdrawReferral } from "./referrals.ts";
import { findReferral, timelineOf, updateSubject } from "./store.ts";
import type { ReferralRecord } from "./types.ts";

for (const database of TEST_DATABASES) {
  describe(`on ${database.name}`, () => {
    let world: TestWorld;
    let origin: AppContext;
    let staff: Staff;

    beforeEach(async () => {
      world = await createTestWorld(database.postgresUrl ? { postgresUrl: database.postgresUrl } : {});
      origin = await world.node(ORIGIN);
      staff = (await world.staff(origin)).staff;
    });
    afterEach(async () => {
      await world.close();
    });

    async function stop(): Promise<void> {
      await origin.federation.stop();
      await origin.close();
      world.nodes.delete(ORIGIN);
    }

    const start = (env: Record<string, string> = {}) =>
      AppContext.fromConfig(world.config(ORIGIN, env), { clock: world.clock, logger: silentLogger() });

    async function removeVault(): Promise<void> {
      for (const suffix of ["", "-wal", "-shm"])
        await rm(`${origin.config.vaultFile}${suffix}`, { force: true });
    }

    describe("a node's person key vault at start", () => {
      it("seals what a database from before encryption at rest holds in the clear", async () => {
        const r = await draftReferral(origin, staff, draftInput(world.clock));
        await withdrawReferral(origin, staff, r.id, {
          reason: "Moved elsewhere",
          note: "Zuwenaya found a cousin",
        });
        const cfg = origin.config;
        await stop();
        // As an earlier version wrote it: the person's fields in the clear, and no vault yet.
        const old = openDatabase(cfg);
        await old.db
          .updateTable("referral")
          .set({ subject: JSON.stringify(r.subject), summary: r.summary, consent: JSON.stringify(r.consent) })
          .where("id", "=", r.id)
          .execute();
        await old.db
          .updateTable("referral_event")
          .set({ note: "Moved elsewhere: Zuwenaya found a cousin" })
          .where("referral_id", "=", r.id)
          .where("kind", "=", "withdrawn")
          .execute();
        await old.db.deleteFrom("node_state").where("key", "=", "vault.id").execute();
        await old.close();
        await removeVault();

        const restarted = await start();
        world.nodes.set(ORIGIN, restarted);
        const row = await restarted.db
          .selectFrom("referral")
          .selectAll()
          .where("id", "=", r.id)
          .executeTakeFirstOrThrow();
        expect(row.subject.startsWith("pd1.")).toBe(true);
        expect(row.summary?.startsWith("pd1.")).toBe(true);
        const notes = await restarted.db
          .selectFrom("referral_event")
          .select("note")
          .where("referral_id", "=", r.id)
          .execute();
        expect(notes.filter((n) => n.note !== null).every((n) => n.note!.startsWith("pd1."))).toBe(true);
        const record = (await findReferral(restarted.db, restarted.vault, r.id))!;
        expect(record.subject).toEqual(r.subject);
        expect(record.summary).toBe(r.summary);
        expect((await timelineOf(restarted.db, restarted.vault, r.id)).at(-1)?.note).toBe(
          "Moved elsewhere: Zuwenaya found a cousin",
        );
      });

      it("refuses to start without its vault, or with another one, saying which", async () => {
        await draftReferral(origin, staff, draftInput(world.clock));
        const cfg = origin.config;
        const boundId = origin.vault.id;
        await stop();
        await removeVault();
        const missing = (await start().catch((e: unknown) => e)) as AppError;
        expect(missing).toBeInstanceOf(AppError);
        expect(missing.code).toBe("ERR_VAULT");
        expect(missing.message).toContain(
          `The person key vault ${cfg.vaultFile} (REFNET_VAULT_FILE) is missing`,
        );
        expect(missing.message).toContain(boundId);

        // Another vault at the same place, even under the same KEK, is not this database's.
        PersonVault.open(cfg.vaultFile, await resolveKek(cfg.kek)).close();
        const foreign = (await start().catch((e: unknown) => e)) as AppError;
        expect(foreign.code).toBe("ERR_VAULT");
        expect(foreign.message).toMatch(/is not the one this database's personal data is sealed under/);
      });

      it("refuses another KEK: the key file does not open, and nothing of the key shows", async () => {
        await stop();
        const { text } = KeyEncryptionKey.generate("REFNET_KEK");
        const err = (await start({ REFNET_KEK: text }).catch((e: unknown) => e)) as AppError;
        expect(err.code).toBe("ERR_KEYS");
        expect(err.message).toMatch(/cannot be decrypted with the KEK from REFNET_KEK/);
        expect(err.message).not.toContain(text);
      });
    });

    describe("re-sealing a person under a new key", () => {
      it("makes values removed before it unreadable once the old key is destroyed, and keeps the rest", async () => {
        const first = await draftReferral(origin, staff, draftInput(world.clock));
        const person = { originOrgId: ORIGIN, subjectRef: first.subject.ref };
        const input = draftInput(world.clock);
        const second = await draftReferral(origin, staff, {
          ...input,
          subject: { ...input.subject, ref: person.subjectRef },
        });
        await withdrawReferral(origin, staff, second.id, {
          reason: "Duplicate",
          note: "Zuwenaya was referred twice",
        });
        const row = () =>
          origin.db.selectFrom("referral").selectAll().where("id", "=", first.id).executeTakeFirstOrThrow();
        // A backup's copy, then the phone number removed from the live row (a partial erasure).
        const backup = await row();
        const { phone: _phone, ...withoutPhone } = first.subject;
        await origin.db.transaction().execute(async (trx) => {
          await updateSubject(trx, origin.vault, first, withoutPhone, { updated_at: world.clock.now() });
          await rekeyPerson(trx, origin, person);
        });
        expect(await destroyRetiredKeys(origin)).toBe(1);
        // The backup's copy no longer opens; the live data does, under the new key, without the phone.
        expect(openReferralRow(origin.vault, backup).gone).toBe(true);
        const live = (await findReferral(origin.db, origin.vault, first.id))!;
        expect(live.subject.givenName).toBe("Zuwenaya");
        expect(live.subject.phone).toBeUndefined();
        expect(live.summary).toBe(first.summary);
        expect((await timelineOf(origin.db, origin.vault, second.id)).at(-1)?.note).toBe(
          "Duplicate: Zuwenaya was referred twice",
        );
        expect((await findReferral(origin.db, origin.vault, second.id))!.subject.phone).toBe(
          "+234 801 555 0199",
        );
      });

      it("never destroys a retired key a row still needs (the re-sealing rolled back)", async () => {
        const r = await draftReferral(origin, staff, draftInput(world.clock));
        const person = { originOrgId: ORIGIN, subjectRef: r.subject.ref };
        await origin.db
          .transaction()
          .execute(async (trx) => {
            await rekeyPerson(trx, origin, person);
            throw new Error("rolled back");
          })
          .catch(() => undefined);
        expect(origin.vault.retiredKeys()).toHaveLength(1);
        expect(await destroyRetiredKeys(origin)).toBe(0);
        expect(origin.vault.retiredKeys()).toHaveLength(1);
        expect((await findReferral(origin.db, origin.vault, r.id))!.subject.givenName).toBe("Zuwenaya");
        // The next re-sealing moves the row to a current key; then both old keys can go.
        await origin.db.transaction().execute((trx) => rekeyPerson(trx, origin, person));
        expect(await destroyRetiredKeys(origin)).toBe(2);
        expect((await findReferral(origin.db, origin.vault, r.id))!.subject.givenName).toBe("Zuwenaya");
      });
    });

    describe("the KEK's place", () => {
      it("is warned about at start, in production, when it lies inside the data directory", async () => {
        const lines: string[] = [];
        const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
        const ctx = await AppContext.fromConfig(world.config(ORIGIN, { NODE_ENV: "production" }), {
          clock: world.clock,
          logger,
        });
        await ctx.federation.stop();
        await ctx.close();
        const warned = lines.map((l) => JSON.parse(l) as { msg: string; kekFile?: string });
        expect(warned).toContainEqual(
          expect.objectContaining({ kekFile: ctx.config.kek.source === "file" ? ctx.config.kek.path : "" }),
        );
        expect(warned.find((w) => w.kekFile)?.msg).toMatch(/KEK file is inside the data directory/);
        // Not outside production, where the default place is for trying refnet out.
        lines.length = 0;
        const dev = await AppContext.fromConfig(world.config(ORIGIN), { clock: world.clock, logger });
        await dev.federation.stop();
        await dev.close();
        expect(lines.filter((l) => l.includes("KEK"))).toEqual([]);
      });
    });

    describe("sealed values in the database", () => {
      it("refuse to open in another row, with ERR_DATA_INTEGRITY naming the referral and nothing else", async () => {
        const a = await draftReferral(origin, staff, draftInput(world.clock));
        const b = await draftReferral(origin, staff, draftInput(world.clock));
        const rowA = await origin.db
          .selectFrom("referral")
          .select("subject")
          .where("id", "=", a.id)
          .executeTakeFirstOrThrow();
        // Someone with write access to the database copies one person's sealed fields onto another referral.
        await origin.db
          .updateTable("referral")
          .set({ subject: rowA.subject })
          .where("id", "=", b.id)
          .execute();
        const err = (await findReferral(origin.db, origin.vault, b.id).catch((e: unknown) => e)) as AppError;
        expect(err).toBeInstanceOf(AppError);
        expect(err.code).toBe("ERR_DATA_INTEGRITY");
        expect(err.message).toContain(`Referral ${b.id}:`);
        expect(err.message).not.toContain("Zuwenaya");
        // The untouched one still opens.
        expect((await findReferral(origin.db, origin.vault, a.id))!.subject.givenName).toBe("Zuwenaya");
      });

      it("read as erased once purged: the pseudonym only", async () => {
        const r: ReferralRecord = await draftReferral(origin, staff, draftInput(world.clock));
        await origin.db
          .updateTable("referral")
          .set({ subject: ERASED_SUBJECT, summary: null, purged_at: world.clock.now() })
          .where("id", "=", r.id)
          .execute();
        const row = await origin.db
          .selectFrom("referral")
          .selectAll()
          .where("id", "=", r.id)
          .executeTakeFirstOrThrow();
        expect(openReferralRow(origin.vault, row)).toMatchObject({
          gone: true,
          subject: { ref: r.subject.ref },
        });
        expect((await findReferral(origin.db, origin.vault, r.id))!.erasure).toMatchObject({
          reason: "retention",
        });
      });
    });
  });
}
