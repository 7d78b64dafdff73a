import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyEncryptionKey } from "./kek.ts";
import { DataIntegrityError, type Person, PersonVault, VaultError } from "./person-vault.ts";

let dir: string;
const kek = KeyEncryptionKey.generate("the KEK file /test/kek").key;
const amara: Person = { originOrgId: "ngo-origin", subjectRef: "subj_amara_0001" };
const ben: Person = { originOrgId: "ngo-origin", subjectRef: "subj_ben_0002" };
/** The same pseudonym chosen by another origin: another person. */
const amaraElsewhere: Person = { originOrgId: "ngo-other", subjectRef: "subj_amara_0001" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-vault-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const fresh = (opts: { cacheSize?: number } = {}) => {
  const path = join(dir, `v${++n}`, "person-keys.db");
  return { path, vault: PersonVault.open(path, kek, opts) };
};

/** Every byte of the vault's files (main file, WAL), for searching. */
async function vaultBytes(path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const p of [path, `${path}-wal`, `${path}-journal`]) {
    parts.push(await readFile(p).catch(() => Buffer.alloc(0)));
  }
  return Buffer.concat(parts);
}

describe("PersonVault", () => {
  it("seals under a per-person key and opens only with the same person and AAD", () => {
    const { vault } = fresh();
    const sealed = vault.seal(amara, "referral\u0000r1\u0000subject", '{"givenName":"Amara"}');
    expect(sealed).toMatch(/^pd1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("Amara");
    expect(vault.open(amara, "referral\u0000r1\u0000subject", sealed)).toBe('{"givenName":"Amara"}');

    // A random IV each time: the same value never seals to the same text.
    const again = vault.seal(amara, "referral\u0000r1\u0000subject", '{"givenName":"Amara"}');
    expect(again).not.toBe(sealed);
    // One key per person: the same kid for Amara, another for Ben and for the other origin's Amara.
    const kid = (s: string) => s.split(".")[1];
    expect(kid(again)).toBe(kid(sealed));
    expect(kid(vault.seal(ben, "x", "y"))).not.toBe(kid(sealed));
    expect(kid(vault.seal(amaraElsewhere, "x", "y"))).not.toBe(kid(sealed));
    expect(vault.keyCount()).toBe(3);
    vault.close();
  });

  it("prepareKey(): makes the person's key ahead, on disk when it resolves, and sealing then uses it", async () => {
    const { path, vault } = fresh();
    await vault.prepareKey(amara);
    expect(vault.keyCount()).toBe(1);
    // Already has one: no second key.
    await vault.prepareKey(amara);
    expect(vault.keyCount()).toBe(1);
    const sealed = vault.seal(amara, "referral\u0000r1\u0000subject", "secret");
    expect(vault.keyCount()).toBe(1);
    // Concurrent preparations for new people share flushes and each gets its own key.
    await Promise.all([vault.prepareKey(ben), vault.prepareKey(amaraElsewhere)]);
    expect(vault.keyCount()).toBe(3);
    vault.close();
    // What prepareKey made is in the file: another process opens what was sealed under it.
    const again = PersonVault.open(path, kek);
    expect(again.open(amara, "referral\u0000r1\u0000subject", sealed)).toBe("secret");
    expect(again.hasKey(ben)).toBe(true);
    again.close();
  });

  it("prepareKey(): a key sealed under before its flush completed is flushed first", async () => {
    const { vault } = fresh();
    const pending = vault.prepareKey(ben);
    // The flush runs on the thread pool; sealing now must not hand out a key not yet on disk.
    const sealed = vault.seal(ben, "x", "y");
    await pending;
    expect(vault.open(ben, "x", sealed)).toBe("y");
    expect(vault.keyCount()).toBe(1);
    vault.close();
  });

  it("refuses a value opened at another place, for another person, or altered", () => {
    const { vault } = fresh();
    const sealed = vault.seal(amara, "referral\u0000r1\u0000subject", "secret");
    expect(() => vault.open(amara, "referral\u0000r2\u0000subject", sealed)).toThrow(DataIntegrityError);
    expect(() => vault.open(amara, "referral\u0000r1\u0000summary", sealed)).toThrow(/integrity check/);
    expect(() => vault.open(amaraElsewhere, "referral\u0000r1\u0000subject", sealed)).toThrow(
      /another person/,
    );
    const [p, k, box] = sealed.split(".") as [string, string, string];
    const flipped = `${box.slice(0, 5)}${box[5] === "A" ? "B" : "A"}${box.slice(6)}`;
    expect(() => vault.open(amara, "referral\u0000r1\u0000subject", `${p}.${k}.${flipped}`)).toThrow(
      DataIntegrityError,
    );
    expect(() => vault.open(amara, "referral\u0000r1\u0000subject", '{"givenName":"Amara"}')).toThrow(
      /must be sealed/,
    );
    // A message never carries the value or the key.
    try {
      vault.open(amara, "referral\u0000r2\u0000subject", sealed);
    } catch (err) {
      expect((err as Error).message).not.toContain("secret");
      expect((err as Error).message).not.toContain(box);
    }
    vault.close();
  });

  it("keeps its keys across restarts, wrapped under the KEK, and refuses another KEK", async () => {
    const { path, vault } = fresh();
    const sealed = vault.seal(amara, "a", "Amara Okafor");
    const id = vault.id;
    vault.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const reopened = PersonVault.open(path, kek);
    expect(reopened.id).toBe(id);
    expect(reopened.open(amara, "a", sealed)).toBe("Amara Okafor");
    reopened.close();

    const other = KeyEncryptionKey.generate("REFNET_KEK").key;
    const err = (() => {
      try {
        PersonVault.open(path, other);
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a refusal");
    })();
    expect(err).toBeInstanceOf(VaultError);
    expect(err.message).toBe(
      `The person key vault ${path} was made under another KEK (id ${kek.id}); the KEK from REFNET_KEK has id ${other.id}. Start the node with the KEK this vault was made with.`,
    );
  });

  it("unwraps nothing under another KEK even with the check bypassed: the wrapping is bound to the KEK", () => {
    const { path, vault } = fresh();
    vault.seal(amara, "a", "x");
    vault.close();
    // Rewrite the check row as another KEK would have made it: the keys themselves still refuse.
    const other = KeyEncryptionKey.generate("REFNET_KEK").key;
    const made = PersonVault.open(join(dir, "scratch", `${n}.db`), other);
    const donor = new SQLite(made.path, { readonly: true });
    const check = donor
      .prepare("select key, value from meta where key in ('kek_check','vault_id','kek_id')")
      .all() as {
      key: string;
      value: string;
    }[];
    donor.close();
    made.close();
    const raw = new SQLite(path);
    for (const r of check) raw.prepare("update meta set value = ? where key = ?").run(r.value, r.key);
    raw.close();
    const forged = PersonVault.open(path, other);
    expect(() => forged.seal(amara, "a", "x")).toThrow(/failed its integrity check/);
    forged.close();
  });

  it("destroy(): everything sealed for the person is unreadable for good, and the key's bytes are gone", async () => {
    const { path, vault } = fresh();
    const sealedA = vault.seal(amara, "referral\u0000r1\u0000subject", "Amara");
    const sealedB = vault.seal(ben, "referral\u0000r2\u0000subject", "Ben");
    const sealedElsewhere = vault.seal(amaraElsewhere, "referral\u0000r3\u0000subject", "Someone else");
    const raw = new SQLite(path, { readonly: true });
    const wrapped = (
      raw
        .prepare("select wrapped from person_key where origin_org_id = ? and subject_ref = ?")
        .get(amara.originOrgId, amara.subjectRef) as { wrapped: Buffer }
    ).wrapped;
    raw.close();
    expect(wrapped.length).toBe(12 + 32 + 16);
    expect((await vaultBytes(path)).includes(wrapped)).toBe(true);

    expect(vault.destroy(amara)).toBe(1);
    // Read as erased (undefined), never as an error; the cache forgot the key too.
    expect(vault.open(amara, "referral\u0000r1\u0000subject", sealedA)).toBeUndefined();
    expect(vault.hasKey(amara)).toBe(false);
    // Nobody else lost anything.
    expect(vault.open(ben, "referral\u0000r2\u0000subject", sealedB)).toBe("Ben");
    expect(vault.open(amaraElsewhere, "referral\u0000r3\u0000subject", sealedElsewhere)).toBe("Someone else");
    // secure_delete + checkpoint: the wrapped key is in neither the file nor its log.
    expect((await vaultBytes(path)).includes(wrapped)).toBe(false);

    // New data for the same pseudonym gets a new key; the old data stays unreadable, not "tampered".
    const later = vault.seal(amara, "referral\u0000r4\u0000subject", "Amara again");
    expect(later.split(".")[1]).not.toBe(sealedA.split(".")[1]);
    expect(vault.open(amara, "referral\u0000r4\u0000subject", later)).toBe("Amara again");
    expect(vault.open(amara, "referral\u0000r1\u0000subject", sealedA)).toBeUndefined();
    expect(vault.destroy({ originOrgId: "ngo-origin", subjectRef: "nobody" })).toBe(0);
    vault.close();

    // And after a restart, too.
    const reopened = PersonVault.open(path, kek);
    expect(reopened.open(amara, "referral\u0000r1\u0000subject", sealedA)).toBeUndefined();
    reopened.close();
  });

  it("rotate(): new values under a new key, old ones still open until the retired key is destroyed", async () => {
    const { path, vault } = fresh();
    const old = vault.seal(amara, "a", "before");
    const oldKid = old.split(".")[1]!;
    expect(vault.rotate(amara)).toEqual([oldKid]);
    const fresher = vault.seal(amara, "a", "after");
    expect(fresher.split(".")[1]).not.toBe(oldKid);
    // The retired key still opens what it sealed, even after a cache miss.
    expect(vault.open(amara, "a", old)).toBe("before");
    const reopened = PersonVault.open(path, kek);
    expect(reopened.open(amara, "a", old)).toBe("before");
    expect(reopened.seal(amara, "b", "x").split(".")[1]).toBe(fresher.split(".")[1]);
    reopened.close();
    expect(vault.retiredKeys()).toEqual([{ kid: oldKid, person: amara }]);

    expect(vault.destroyKey(oldKid)).toBe(true);
    expect(vault.open(amara, "a", old)).toBeUndefined();
    expect(vault.open(amara, "a", fresher)).toBe("after");
    expect(vault.hasKey(amara)).toBe(true);
    expect(vault.retiredKeys()).toEqual([]);
    expect(vault.destroyKey(oldKid)).toBe(false);
    // destroy() takes every key of the person, retired or not.
    vault.rotate(amara);
    expect(vault.destroy(amara)).toBe(2);
    expect(vault.open(amara, "a", fresher)).toBeUndefined();
    vault.close();
  });

  it("keeps only so many keys unwrapped in memory, and reads the others from the file", () => {
    const { vault } = fresh({ cacheSize: 2 });
    const people = Array.from({ length: 6 }, (_, i) => ({
      originOrgId: "ngo-origin",
      subjectRef: `subj_p${i}00`,
    }));
    const sealed = people.map((p, i) => vault.seal(p, "a", `person ${i}`));
    people.forEach((p, i) => {
      expect(vault.open(p, "a", sealed[i]!)).toBe(`person ${i}`);
    });
    vault.close();
    expect(() => vault.seal(amara, "a", "x")).toThrow(/closed/);
  });

  it("refuses a vault file other users can read, and a file that is not a vault", async () => {
    const { path, vault } = fresh();
    vault.close();
    await chmod(path, 0o640);
    expect(() => PersonVault.open(path, kek)).toThrow(/can be read by other users.*chmod 600/);
    const notVault = join(dir, "not-a-vault.db");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(notVault, "hello, this is not SQLite at all".repeat(100), { mode: 0o600 });
    expect(() => PersonVault.open(notVault, kek)).toThrow(VaultError);
  });
});
