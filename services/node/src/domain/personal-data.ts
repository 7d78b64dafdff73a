// How a person's data sits in the database (docs/data-at-rest.md): every column that can hold it is
// sealed under the person's data key (person-vault.ts) before it is written, and opened as it is read.
// These are the columns:
//
//   referral.subject             the person's fields (JSON), docs/protocol.md §5.2
//   referral.summary             free text about the person's situation
//   referral.arrangements        free text: where and how the person is received
//   referral.consent             only `override.note`, the grounds of an override (§5.5), free text
//   referral_event.note          free text on the timeline (staff and partner notes, reasons)
//
// Each sealed value's AAD names its table, row and column, so a value copied to another row or column
// does not open. What is not sealed names no one: ids, states, services, urgency, dates, the
// pseudonymous `subject_ref` and the consent's scopes, purposes and recipients.
//
// When a person's key is destroyed their referral reads as erased: subject `{ ref }` only, no summary,
// arrangements or notes. `referral.subject` = "erased" marks a row whose data was removed outright
// (the retention purge).
import type { Consent, Subject } from "@refnet/protocol";
import { type Kysely, sql, type Transaction } from "kysely";
import type { DialectName } from "../db/index.ts";
import type { Database, ReferralTable } from "../db/schema.ts";
import type { KeyEncryptionKey } from "../kek.ts";
import { DataIntegrityError, isSealed, type Person, PersonVault, VaultError } from "../person-vault.ts";

/** `referral.subject` of a row whose person's data was removed (not merely sealed). */
export const ERASED_SUBJECT = "erased";

/** The person a referral is about (the origin chose the pseudonym). */
export function personOf(r: { originOrgId: string; subject: { ref: string } }): Person {
  return { originOrgId: r.originOrgId, subjectRef: r.subject.ref };
}

export function personOfRow(row: { origin_org_id: string; subject_ref: string }): Person {
  return { originOrgId: row.origin_org_id, subjectRef: row.subject_ref };
}

type ReferralColumn = "subject" | "summary" | "arrangements" | "consent.override.note";

function referralAad(id: string, column: ReferralColumn): string {
  return `referral\u0000${id}\u0000${column}`;
}

function eventNoteAad(eventId: string): string {
  return `referral_event\u0000${eventId}\u0000note`;
}

/** The person's columns of a referral row, as the table stores them (JSON as text). */
export type PersonalColumns = Partial<
  Pick<ReferralTable, "subject" | "summary" | "arrangements" | "consent">
>;

/**
 * Seals whichever personal columns `set` carries (raw column values: subject and consent as JSON
 * text), leaving every other member as it is. Every write of these columns goes through here.
 */
export function sealColumns<T extends PersonalColumns>(
  vault: PersonVault,
  person: Person,
  id: string,
  set: T,
): T {
  const out: T = { ...set };
  if (typeof set.subject === "string") {
    out.subject =
      set.subject === ERASED_SUBJECT
        ? ERASED_SUBJECT
        : vault.seal(person, referralAad(id, "subject"), set.subject);
  }
  if (typeof set.summary === "string")
    out.summary = vault.seal(person, referralAad(id, "summary"), set.summary);
  if (typeof set.arrangements === "string") {
    out.arrangements = vault.seal(person, referralAad(id, "arrangements"), set.arrangements);
  }
  if (typeof set.consent === "string") out.consent = sealConsentText(vault, person, id, set.consent);
  return out;
}

/** The columns of a new referral row, sealed: what draftReferral and an accepted offer insert. */
export function sealNewReferral(
  vault: PersonVault,
  person: Person,
  id: string,
  v: { subject: Subject; summary: string | null; consent: Consent },
): { subject: string; summary: string | null; consent: string } {
  const sealed = sealColumns(vault, person, id, {
    subject: JSON.stringify(v.subject),
    summary: v.summary,
    consent: JSON.stringify(v.consent),
  });
  return { subject: sealed.subject, summary: sealed.summary, consent: sealed.consent };
}

function sealConsentText(vault: PersonVault, person: Person, id: string, text: string): string {
  const consent = JSON.parse(text) as Consent;
  const note = consent.override?.note;
  if (consent.override === undefined || note === undefined || isSealed(note)) return text;
  return JSON.stringify({
    ...consent,
    override: {
      ...consent.override,
      note: vault.seal(person, referralAad(id, "consent.override.note"), note),
    },
  });
}

export interface OpenedReferral {
  subject: Subject;
  summary: string | null;
  arrangements: string | null;
  consent: Consent;
  /** The person's data cannot be read any more: their key was destroyed, or it was purged. */
  gone: boolean;
}

/**
 * Opens the personal columns of a referral row. A destroyed key is not an error: the referral reads
 * as erased. A value that fails its integrity check is one (ERR_DATA_INTEGRITY, naming the referral).
 */
export function openReferralRow(
  vault: PersonVault,
  row: Pick<
    ReferralTable,
    "id" | "origin_org_id" | "subject_ref" | "subject" | "summary" | "arrangements" | "consent"
  >,
): OpenedReferral {
  const person = personOfRow(row);
  try {
    const consent = openConsent(vault, person, row.id, row.consent);
    const subjectText =
      row.subject === ERASED_SUBJECT
        ? undefined
        : vault.open(person, referralAad(row.id, "subject"), row.subject);
    if (subjectText === undefined) {
      return { subject: { ref: row.subject_ref }, summary: null, arrangements: null, consent, gone: true };
    }
    // The pseudonym comes from its own column, the one erasure and retention select on.
    const subject = { ...(JSON.parse(subjectText) as Subject), ref: row.subject_ref };
    const text = (column: "summary" | "arrangements", v: string | null) =>
      v === null ? null : (vault.open(person, referralAad(row.id, column), v) ?? null);
    return {
      subject,
      summary: text("summary", row.summary),
      arrangements: text("arrangements", row.arrangements),
      consent,
      gone: false,
    };
  } catch (err) {
    if (err instanceof DataIntegrityError) throw new DataIntegrityError(`Referral ${row.id}: ${err.message}`);
    throw err;
  }
}

function openConsent(vault: PersonVault, person: Person, id: string, text: string): Consent {
  const consent = JSON.parse(text) as Consent;
  const note = consent.override?.note;
  // "": removed by the retention purge.
  if (consent.override === undefined || note === undefined || note === "") return consent;
  // An override's grounds whose key is gone read as empty: the override itself stays on record.
  const opened = vault.open(person, referralAad(id, "consent.override.note"), note) ?? "";
  return { ...consent, override: { ...consent.override, note: opened } };
}

export function sealEventNote(
  vault: PersonVault,
  person: Person,
  eventId: string,
  note: string | null,
): string | null {
  return note === null ? null : vault.seal(person, eventNoteAad(eventId), note);
}

export function openEventNote(
  vault: PersonVault,
  person: Person | undefined,
  eventId: string,
  note: string | null,
): string | null {
  if (note === null || person === undefined) return null;
  try {
    return vault.open(person, eventNoteAad(eventId), note) ?? null;
  } catch (err) {
    if (err instanceof DataIntegrityError) throw new DataIntegrityError(`Event ${eventId}: ${err.message}`);
    throw err;
  }
}

/**
 * Serialises, on PostgreSQL, the transactions that make a person's first sealed row and the one that
 * may destroy their key (retention): without it, a referral sealed under a key could commit just after
 * the check that found no referral still needing that key. SQLite runs one transaction at a time.
 */
export async function lockPerson(
  trx: Transaction<Database>,
  dialect: DialectName,
  person: Person,
): Promise<void> {
  if (dialect !== "postgres") return;
  const key = `refnet-person\n${person.originOrgId}\n${person.subjectRef}`;
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
}

/**
 * Seals what a database written before encryption at rest still holds in the clear. Runs at start;
 * a no-op once everything is sealed. Returns how many rows it sealed.
 */
export async function sealClearRows(db: Kysely<Database>, vault: PersonVault): Promise<number> {
  let sealed = 0;
  for (;;) {
    const rows = await db
      .selectFrom("referral")
      .select(["id", "origin_org_id", "subject_ref", "subject", "summary", "arrangements", "consent"])
      .where("subject", "not like", "pd1.%")
      .where("subject", "!=", ERASED_SUBJECT)
      .limit(200)
      .execute();
    if (rows.length === 0) break;
    await db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const person = personOfRow(row);
        const set = sealColumns(vault, person, row.id, {
          subject: row.subject,
          summary: row.summary !== null && !isSealed(row.summary) ? row.summary : undefined,
          arrangements:
            row.arrangements !== null && !isSealed(row.arrangements) ? row.arrangements : undefined,
          consent: row.consent,
        });
        await trx
          .updateTable("referral")
          .set(Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)))
          .where("id", "=", row.id)
          .where("subject", "=", row.subject)
          .execute();
      }
    });
    sealed += rows.length;
  }
  for (;;) {
    const rows = await db
      .selectFrom("referral_event as e")
      .innerJoin("referral as r", "r.id", "e.referral_id")
      .select(["e.id", "e.note", "r.origin_org_id", "r.subject_ref"])
      .where("e.note", "is not", null)
      .where("e.note", "not like", "pd1.%")
      .limit(500)
      .execute();
    if (rows.length === 0) break;
    await db.transaction().execute(async (trx) => {
      for (const row of rows) {
        await trx
          .updateTable("referral_event")
          .set({ note: sealEventNote(vault, personOfRow(row), row.id, row.note) })
          .where("id", "=", row.id)
          .execute();
      }
    });
    sealed += rows.length;
  }
  return sealed;
}

const VAULT_ID_KEY = "vault.id";

/**
 * Opens the person key vault of this database and checks they belong together: the database records
 * the id of the vault its data is sealed under. A missing or foreign vault stops the node, because
 * the data would read as erased; a node (or a database from before encryption at rest) without a
 * vault yet gets one, and whatever it still holds in the clear is sealed.
 */
export async function openBoundVault(
  db: Kysely<Database>,
  path: string,
  kek: KeyEncryptionKey,
  now: () => number,
): Promise<PersonVault> {
  const bound = await db
    .selectFrom("node_state")
    .select("value")
    .where("key", "=", VAULT_ID_KEY)
    .executeTakeFirst();
  if (bound && !PersonVault.exists(path)) {
    throw new VaultError(
      `The person key vault ${path} (REFNET_VAULT_FILE) is missing, but this database's personal data is sealed under vault ${bound.value}. ` +
        "Restore the vault file from its backup. Without it, no person's data in this database can be read again.",
    );
  }
  const vault = PersonVault.open(path, kek, { now });
  try {
    if (bound && bound.value !== vault.id) {
      throw new VaultError(
        `The person key vault ${path} (id ${vault.id}) is not the one this database's personal data is sealed under (id ${bound.value}). ` +
          "Point REFNET_VAULT_FILE at this node's own vault.",
      );
    }
    if (!bound) {
      // Only a database not yet bound to a vault can hold rows in the clear (every write since seals),
      // so the scan runs once, not at every start; the binding is recorded after it completes, so an
      // interrupted scan runs again at the next start.
      await sealClearRows(db, vault);
      await db
        .insertInto("node_state")
        .values({ key: VAULT_ID_KEY, value: vault.id, updated_at: now() })
        .execute();
    }
    return vault;
  } catch (err) {
    vault.close();
    throw err;
  }
}

/** The AAD consents.ts seals an override's grounds with, in the origin's `consent` table. */
function consentNoteAad(consentId: string): string {
  return `consent\u0000${consentId}\u0000override_note`;
}

/** A sealed value that opens, or what the column holds as it is (null, "erased", a destroyed key's). */
function reopen(vault: PersonVault, person: Person, aad: string, value: string | null): string | null {
  if (value === null || !isSealed(value)) return value;
  const opened = vault.open(person, aad, value);
  // Sealed under a key already destroyed: unreadable whatever happens; left as it is.
  return opened === undefined ? value : opened;
}

/**
 * Seals everything the database holds about `person` again under a new key, and retires the key
 * they had (person-vault.ts rotate); destroyRetiredKeys destroys it once no row needs it. Called in
 * the transaction that removed some of the person's values (a partial erasure, a retention purge that
 * left their other referrals), so that the removed values, still present in backups of the database,
 * can no longer be opened either.
 *
 * Locks every referral row of the person, in id order (the order every action locks rows in).
 */
export async function rekeyPerson(
  trx: Transaction<Database>,
  ctx: { dialect: DialectName; vault: PersonVault; orgId: string },
  person: Person,
): Promise<string[]> {
  const { vault } = ctx;
  let q = trx
    .selectFrom("referral")
    .select(["id", "subject", "summary", "arrangements", "consent"])
    .where("origin_org_id", "=", person.originOrgId)
    .where("subject_ref", "=", person.subjectRef)
    .orderBy("id");
  if (ctx.dialect === "postgres") q = q.forUpdate();
  const rows = await q.execute();
  const ids = rows.map((r) => r.id);
  const notes =
    ids.length === 0
      ? []
      : await trx
          .selectFrom("referral_event")
          .select(["id", "note"])
          .where("referral_id", "in", ids)
          .where("note", "like", "pd1.%")
          .execute();
  const consents =
    person.originOrgId === ctx.orgId
      ? await trx
          .selectFrom("consent")
          .select(["id", "override_note"])
          .where("subject_ref", "=", person.subjectRef)
          .where("override_note", "like", "pd1.%")
          .execute()
      : [];

  // Everything opened under the key(s) in use, before the new key is made.
  const plain = rows.map((r) => ({
    id: r.id,
    subject:
      r.subject === ERASED_SUBJECT
        ? r.subject
        : reopen(vault, person, referralAad(r.id, "subject"), r.subject),
    summary: reopen(vault, person, referralAad(r.id, "summary"), r.summary),
    arrangements: reopen(vault, person, referralAad(r.id, "arrangements"), r.arrangements),
    consent: JSON.stringify(openConsent(vault, person, r.id, r.consent)),
  }));
  const plainNotes = notes.map((n) => ({
    id: n.id,
    note: reopen(vault, person, eventNoteAad(n.id), n.note),
  }));
  const plainConsents = consents.map((c) => ({
    id: c.id,
    note: reopen(vault, person, consentNoteAad(c.id), c.override_note),
  }));

  const retired = vault.rotate(person);
  const again = (aad: string, v: string | null) =>
    v === null || isSealed(v) ? v : vault.seal(person, aad, v);
  for (const r of plain) {
    await trx
      .updateTable("referral")
      .set({
        subject: r.subject === ERASED_SUBJECT ? r.subject : again(referralAad(r.id, "subject"), r.subject)!,
        summary: again(referralAad(r.id, "summary"), r.summary),
        arrangements: again(referralAad(r.id, "arrangements"), r.arrangements),
        consent: sealConsentText(vault, person, r.id, r.consent),
      })
      .where("id", "=", r.id)
      .execute();
  }
  for (const n of plainNotes) {
    await trx
      .updateTable("referral_event")
      .set({ note: again(eventNoteAad(n.id), n.note) })
      .where("id", "=", n.id)
      .execute();
  }
  for (const c of plainConsents) {
    await trx
      .updateTable("consent")
      .set({ override_note: again(consentNoteAad(c.id), c.note) })
      .where("id", "=", c.id)
      .execute();
  }
  return retired;
}

/** LIKE pattern matching a value sealed under `kid` (base64url kids hold `_`, a LIKE wildcard). */
function sealedUnder(kid: string, anywhere = false): string {
  const k = `pd1.${kid}.`.replaceAll("\\", "\\\\").replaceAll("_", "\\_").replaceAll("%", "\\%");
  return `${anywhere ? "%" : ""}${k}%`;
}

/**
 * Destroys retired person keys (rekeyPerson) that no value in the database is sealed under any more.
 * A key a row still needs (the re-sealing transaction rolled back, say) is kept and tried again at the
 * next run. Runs under the person's lock, so no first referral can be sealed meanwhile. Returns how
 * many keys were destroyed.
 */
export async function destroyRetiredKeys(
  ctx: { db: Kysely<Database>; dialect: DialectName; vault: PersonVault; orgId: string },
  only?: Person,
): Promise<number> {
  let destroyed = 0;
  for (const { kid, person } of ctx.vault.retiredKeys()) {
    if (only && (only.originOrgId !== person.originOrgId || only.subjectRef !== person.subjectRef)) continue;
    const gone = await ctx.db.transaction().execute(async (trx) => {
      await lockPerson(trx, ctx.dialect, person);
      const start = sealedUnder(kid);
      const inside = sealedUnder(kid, true);
      const like = (column: string, pattern: string) =>
        sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`;
      const rows = await trx
        .selectFrom("referral")
        .select("id")
        .where("origin_org_id", "=", person.originOrgId)
        .where("subject_ref", "=", person.subjectRef)
        .where((eb) =>
          eb.or([
            like("subject", start),
            like("summary", start),
            like("arrangements", start),
            like("consent", inside),
            eb.exists(
              eb
                .selectFrom("referral_event")
                .select("referral_event.id")
                .whereRef("referral_event.referral_id", "=", "referral.id")
                .where(like("referral_event.note", start)),
            ),
          ]),
        )
        .limit(1)
        .execute();
      if (rows.length > 0) return false;
      if (person.originOrgId === ctx.orgId) {
        const consent = await trx
          .selectFrom("consent")
          .select("id")
          .where("subject_ref", "=", person.subjectRef)
          .where(like("override_note", start))
          .limit(1)
          .execute();
        if (consent.length > 0) return false;
      }
      return ctx.vault.destroyKey(kid);
    });
    if (gone) destroyed++;
  }
  return destroyed;
}
