// Personal data at rest (docs/data-at-rest.md), on real nodes over SQLite and PostgreSQL: after a
// handoff neither the database file (SQLite, its WAL included) nor a dump of the database (PostgreSQL,
// pg_dump) holds a person's recognisable value; and a backup of the database made before a person was
// erased, restored afterwards, yields nothing of them: GraphQL shows them erased, and the ciphertext the
// backup holds cannot be opened, because their data key is destroyed.
import { execFileSync } from "node:child_process";
import { chmod, copyFile, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppContext } from "./context.ts";
import { openReferralRow } from "./domain/personal-data.ts";
import { acceptReferral, draftReferral, sendReferral } from "./domain/referrals.ts";
import { eraseSubject } from "./domain/subject-rights.ts";
import { resolveKek } from "./kek.ts";
import { PersonVault } from "./person-vault.ts";
import { buildServer } from "./server.ts";
import {
  createTestWorld,
  draftInput,
  ORIGIN,
  SHELTER,
  silentLogger,
  TEST_DATABASES,
  type TestWorld,
} from "./test-support.ts";

const ARRANGEMENTS = "Met by Ms Quillfeather-Abernathy at the Vicenza bus station";
const ACCEPT_NOTE = "Bed 14 kept for Zuwenaya until Friday";
/** Values of draftInput that must never be found in the clear at rest. */
const PERSONAL = [
  "Zuwenaya",
  "Okonkwo-Marlowe",
  "PX9931775QZ",
  "zuwenaya.marlowe@example.org",
  "+234 801 555 0199",
  "Hotel Quixotic",
  "Adult woman needs a safe bed",
  "Quillfeather-Abernathy",
  "Bed 14 kept",
];

const REFERRAL = /* GraphQL */ `
  query ($id: ID!) {
    referral(id: $id) {
      summary
      arrangements
      subject { ref givenName familyName phone email documents { number } currentLocation health }
      erasure { reason all }
      timeline { kind note }
    }
  }
`;

function pgAdmin(url: string): pg.Client {
  return new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
}

/** The bytes a backup of this node's database holds: the SQLite file and its WAL, or a pg_dump. */
async function databaseBytes(ctx: AppContext): Promise<Buffer> {
  const db = ctx.config.database;
  if (db.kind === "sqlite") {
    const parts = await Promise.all(
      [db.path, `${db.path}-wal`].map((p) => readFile(p).catch(() => Buffer.alloc(0))),
    );
    return Buffer.concat(parts);
  }
  return execFileSync("pg_dump", ["--no-owner", "--data-only", db.url], { maxBuffer: 64 * 1024 * 1024 });
}

for (const database of TEST_DATABASES) {
  describe(`personal data at rest on ${database.name}`, () => {
    let world: TestWorld;
    let origin: AppContext;
    let shelter: AppContext;

    beforeEach(async () => {
      world = await createTestWorld(database.postgresUrl ? { postgresUrl: database.postgresUrl } : {});
      origin = await world.node(ORIGIN);
      shelter = await world.node(SHELTER);
    });
    afterEach(async () => {
      await world.close();
    });

    /** A referral from the origin, accepted by the shelter with arrangements and a note. */
    async function handoff(): Promise<{ id: string; subjectRef: string }> {
      const { staff } = await world.staff(origin);
      const { staff: shelterStaff } = await world.staff(shelter);
      const draft = await draftReferral(origin, staff, draftInput(world.clock));
      await sendReferral(origin, staff, draft.id);
      await world.settle();
      await acceptReferral(shelter, shelterStaff, draft.id, {
        note: ACCEPT_NOTE,
        arrangements: ARRANGEMENTS,
      });
      await world.settle();
      return { id: draft.id, subjectRef: draft.subject.ref };
    }

    it("holds no recognisable personal value in the database after a handoff", async () => {
      const { id, subjectRef } = await handoff();
      for (const ctx of [origin, shelter]) {
        // The data is there, and whole, for the node itself.
        const app = await buildServer(ctx);
        const gql = await app.inject({
          method: "POST",
          url: "/graphql",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${(await world.staff(ctx, "caseworker", `reader-${ctx.orgId}`)).token}`,
          },
          payload: JSON.stringify({ query: REFERRAL, variables: { id } }),
        });
        await app.close();
        const r = JSON.parse(gql.body).data.referral;
        expect(r.subject.givenName).toBe("Zuwenaya");
        expect(r.subject.documents).toEqual([{ number: "PX9931775QZ" }]);
        expect(r.arrangements).toBe(ARRANGEMENTS);
        expect(r.erasure).toBeNull();

        if (ctx.dialect === "sqlite") await sql`pragma wal_checkpoint(PASSIVE)`.execute(ctx.db);
        const bytes = await databaseBytes(ctx);
        // What the search reads is the database: the pseudonym, kept in the clear, is found.
        expect(bytes.includes(Buffer.from(subjectRef))).toBe(true);
        for (const value of PERSONAL) {
          expect(bytes.includes(Buffer.from(value, "utf8")), `${ctx.orgId}: "${value}" at rest`).toBe(false);
        }
        // Nor the vault, which holds wrapped keys and pseudonyms only.
        const vault = await readFile(ctx.config.vaultFile);
        for (const value of PERSONAL) expect(vault.includes(Buffer.from(value, "utf8"))).toBe(false);
      }
    });

    it("a backup made before a person is erased, restored after, yields nothing of them", async () => {
      const { id, subjectRef } = await handoff();
      const person = { originOrgId: ORIGIN, subjectRef };
      const cfg = shelter.config;
      const kek = await resolveKek(cfg.kek);

      // 1. The backup, as an operator makes it while the node runs.
      const backupDb = join(world.dir, "shelter-backup.db");
      const dumpFile = join(world.dir, "shelter-backup.sql");
      if (cfg.database.kind === "sqlite") {
        await sql.raw(`vacuum into '${backupDb}'`).execute(shelter.db);
      } else {
        execFileSync("pg_dump", ["--no-owner", "--file", dumpFile, cfg.database.url]);
      }
      // A copy of the vault taken at the same moment: kept here only to show what it would give away.
      const vaultCopy = join(world.dir, "vault-copy.db");
      const v = new SQLite(cfg.vaultFile, { readonly: true });
      await v.backup(vaultCopy);
      v.close();
      await chmod(vaultCopy, 0o600);

      // 2. The person is erased on the shelter's node: every field, note and their data key.
      const { staff: supervisor } = await world.staff(shelter, "supervisor", "supervisor-shelter");
      await eraseSubject(shelter, supervisor, subjectRef, "person_request", ORIGIN);
      expect(shelter.vault.hasKey(person)).toBe(false);

      // 3. The backup restored as the node's database; the node starts again with its vault and KEK.
      await shelter.federation.stop();
      await shelter.close();
      world.nodes.delete(SHELTER);
      if (cfg.database.kind === "sqlite") {
        await copyFile(backupDb, cfg.database.path);
        await rm(`${cfg.database.path}-wal`, { force: true });
        await rm(`${cfg.database.path}-shm`, { force: true });
      } else {
        const url = new URL(cfg.database.url);
        const name = url.pathname.slice(1);
        const admin = pgAdmin(database.postgresUrl!);
        await admin.connect();
        await admin.query(`drop database ${name} with (force)`);
        await admin.query(`create database ${name}`);
        await admin.end();
        execFileSync("psql", ["--quiet", "--set", "ON_ERROR_STOP=1", "--file", dumpFile, cfg.database.url]);
      }
      const restored = await AppContext.fromConfig(cfg, { clock: world.clock, logger: silentLogger() });
      world.nodes.set(SHELTER, restored);

      // The restored rows still hold the ciphertext of the person's fields...
      const row = await restored.db
        .selectFrom("referral")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(row.subject.startsWith("pd1.")).toBe(true);
      expect(row.arrangements?.startsWith("pd1.")).toBe(true);
      // ...which the node cannot open: the key it was sealed under is gone.
      const opened = openReferralRow(restored.vault, row);
      expect(opened.gone).toBe(true);
      expect(opened.subject).toEqual({ ref: subjectRef });
      const note = await restored.db
        .selectFrom("referral_event")
        .select("note")
        .where("referral_id", "=", id)
        .where("kind", "=", "accepted")
        .executeTakeFirstOrThrow();
      expect(note.note?.startsWith("pd1.")).toBe(true);

      // GraphQL shows the person erased: the pseudonym only, no summary, arrangements or notes.
      const token = (await world.staff(restored, "caseworker", "after-restore")).token;
      const app = await buildServer(restored);
      const res = await app.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        payload: JSON.stringify({ query: REFERRAL, variables: { id } }),
      });
      await app.close();
      const body = JSON.parse(res.body);
      expect(body.errors).toBeUndefined();
      const r = body.data.referral;
      expect(r.subject).toEqual({
        ref: subjectRef,
        givenName: null,
        familyName: null,
        phone: null,
        email: null,
        documents: null,
        currentLocation: null,
        health: null,
      });
      expect(r.summary).toBeNull();
      expect(r.arrangements).toBeNull();
      expect(r.erasure).toEqual({ reason: "KEY_DESTROYED", all: true });
      expect(r.timeline.every((e: { note: string | null }) => e.note === null)).toBe(true);
      expect(res.body).not.toContain("Zuwenaya");

      // Why the vault must stay out of long-lived backups: with a copy from before, the ciphertext opens.
      const old = PersonVault.open(vaultCopy, kek);
      expect(openReferralRow(old, row).subject.givenName).toBe("Zuwenaya");
      old.close();
    });
  });
}
