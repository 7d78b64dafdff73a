// `refnet kek rotate` on a real node's data (kek-rotation.ts, docs/data-at-rest.md "Changing the KEK"):
// a node that stored a referral is stopped, its KEK rotated, and it opens with the new KEK and reads
// the person's fields, while the old KEK opens neither the key file nor the vault. Refusals: a node
// still running, a new KEK file that exists, a wrong current KEK; and a rotation stopped half-way is
// finished by --resume.
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppContext } from "./context.ts";
import { draftReferral, sendReferral } from "./domain/referrals.ts";
import { findReferral } from "./domain/store.ts";
import { KeyEncryptionKey, loadKekFile, resolveKek } from "./kek.ts";
import { rotateKek } from "./kek-rotation.ts";
import { KeyStore, KeyStoreError } from "./keys.ts";
import { PersonVault, VaultError } from "./person-vault.ts";
import { createTestWorld, draftInput, ORIGIN, SHELTER, type TestWorld } from "./test-support.ts";

/** The wrapped data keys as the vault file holds them (read-only, as a backup tool would). */
function wrappedKeys(path: string): Buffer[] {
  const db = new SQLite(path, { readonly: true });
  try {
    return (db.prepare("select wrapped from person_key order by kid").all() as { wrapped: Buffer }[]).map(
      (r) => r.wrapped,
    );
  } finally {
    db.close();
  }
}

describe("KEK rotation", () => {
  let world: TestWorld;
  let origin: AppContext;
  let referralId: string;
  let personKeys: number;

  beforeEach(async () => {
    world = await createTestWorld();
    origin = await world.node(ORIGIN);
    await world.node(SHELTER);
    const { staff } = await world.staff(origin);
    const draft = await draftReferral(origin, staff, draftInput(world.clock));
    await sendReferral(origin, staff, draft.id);
    await world.settle();
    referralId = draft.id;
    personKeys = origin.vault.keyCount();
    expect(personKeys).toBeGreaterThan(0);
  });
  afterEach(async () => {
    await world.close();
  });

  /** Stops the origin's node, as an operator does before a rotation. */
  async function stopOrigin(): Promise<void> {
    await origin.federation.stop();
    await origin.close();
    world.nodes.delete(ORIGIN);
  }

  it("re-wraps the vault and re-encrypts the key file; the node opens with the new KEK only", async () => {
    const cfg = origin.config;
    const oldKek = await resolveKek(cfg.kek);
    await stopOrigin();
    const wrappedBefore = wrappedKeys(cfg.vaultFile);
    expect(wrappedBefore).toHaveLength(personKeys);

    const newFile = join(world.dir, "secrets", "kek-2");
    const lines: string[] = [];
    const out = await rotateKek(cfg, { newKekFile: newFile, progress: (l) => lines.push(l) });
    expect(out).toMatchObject({
      vault: "rewrapped",
      keyFile: "reencrypted",
      personKeys,
      oldKekId: oldKek.id,
    });
    expect(lines.join("\n")).toContain(`${personKeys} person key(s) re-wrapped`);
    expect((await stat(newFile)).mode & 0o777).toBe(0o600);
    const newKek = await loadKekFile(newFile);
    expect(newKek.id).toBe(out.newKekId);
    expect(newKek.id).not.toBe(oldKek.id);
    // The old KEK file is left as it was, for the operator to destroy after switching.
    expect((await loadKekFile(cfg.kek.source === "file" ? cfg.kek.path : "")).id).toBe(oldKek.id);
    // Every wrapped key changed, and no old wrapping is left in the vault file or its log.
    const wrappedAfter = wrappedKeys(cfg.vaultFile);
    expect(wrappedAfter).toHaveLength(personKeys);
    const bytes = Buffer.concat(
      await Promise.all(
        [cfg.vaultFile, `${cfg.vaultFile}-wal`].map((p) => readFile(p).catch(() => Buffer.alloc(0))),
      ),
    );
    for (const w of wrappedBefore) {
      expect(wrappedAfter.some((x) => x.equals(w))).toBe(false);
      expect(bytes.includes(w)).toBe(false);
    }

    // The old KEK opens neither.
    await expect(KeyStore.load(cfg.keysFile, ORIGIN, oldKek)).rejects.toThrow(KeyStoreError);
    expect(() => PersonVault.open(cfg.vaultFile, oldKek)).toThrow(/made under another KEK/);
    await expect(world.node(ORIGIN)).rejects.toThrow(/cannot be decrypted with the KEK/);
    world.nodes.delete(ORIGIN);

    // The node, pointed at the new KEK file, starts and reads the person's fields.
    const again = await world.node(ORIGIN, {}, { REFNET_KEK_FILE: newFile });
    expect(again.vault.keyCount()).toBe(personKeys);
    const r = await findReferral(again.db, again.vault, referralId);
    expect(r?.subject.givenName).toBe("Zuwenaya");
    expect(r?.subject.documents?.[0]?.number).toBe("PX9931775QZ");
    expect(r?.summary).toBe(draftInput(world.clock).summary);
  });

  it("refuses while the node runs, and leaves no new KEK file", async () => {
    const newFile = join(world.dir, "kek-2");
    await expect(rotateKek(origin.config, { newKekFile: newFile })).rejects.toSatisfy(
      (e) => e instanceof VaultError && e.reason === "in-use",
    );
    expect(existsSync(newFile)).toBe(false);
    // The running node was not disturbed.
    const r = await findReferral(origin.db, origin.vault, referralId);
    expect(r?.subject.givenName).toBe("Zuwenaya");
  });

  it("refuses a new KEK file that exists, and changes nothing", async () => {
    const cfg = origin.config;
    await stopOrigin();
    const newFile = join(world.dir, "kek-2");
    await writeFile(newFile, "keep me\n", { mode: 0o600 });
    await expect(rotateKek(cfg, { newKekFile: newFile })).rejects.toThrow(/already exists/);
    expect(await readFile(newFile, "utf8")).toBe("keep me\n");
    // The current KEK file is also refused as the new one.
    if (cfg.kek.source === "file") {
      await expect(rotateKek(cfg, { newKekFile: cfg.kek.path })).rejects.toThrow(/is the KEK file in use/);
    }
    const again = await world.node(ORIGIN);
    expect((await findReferral(again.db, again.vault, referralId))?.subject.givenName).toBe("Zuwenaya");
  });

  it("refuses a wrong current KEK, and leaves no new KEK file", async () => {
    const cfg = origin.config;
    await stopOrigin();
    const wrong = KeyEncryptionKey.generate("REFNET_KEK").key;
    const newFile = join(world.dir, "kek-2");
    await expect(
      rotateKek({ ...cfg, kek: { source: "env", key: wrong } }, { newKekFile: newFile }),
    ).rejects.toThrow(/made under another KEK/);
    expect(existsSync(newFile)).toBe(false);
    const again = await world.node(ORIGIN);
    expect((await findReferral(again.db, again.vault, referralId))?.subject.givenName).toBe("Zuwenaya");
  });

  it("--resume finishes a rotation stopped after the vault, before the key file", async () => {
    const cfg = origin.config;
    const oldKek = await resolveKek(cfg.kek);
    await stopOrigin();
    // The state a crash between the two steps leaves: new KEK file written, vault re-wrapped.
    const newFile = join(world.dir, "kek-2");
    const { text } = KeyEncryptionKey.generate("test");
    await writeFile(newFile, `${text}\n`, { mode: 0o600 });
    const newKek = await loadKekFile(newFile);
    const vault = PersonVault.openExclusive(cfg.vaultFile, oldKek);
    expect(vault.rewrap(newKek)).toBe(personKeys);
    vault.close();
    // Neither KEK starts the node now.
    await expect(world.node(ORIGIN)).rejects.toThrow(/made under another KEK/);
    world.nodes.delete(ORIGIN);

    // Without --resume the existing file is refused; with it, the key file is finished.
    await expect(rotateKek(cfg, { newKekFile: newFile })).rejects.toThrow(/--resume/);
    const out = await rotateKek(cfg, { newKekFile: newFile, resume: true });
    expect(out).toMatchObject({ vault: "already", keyFile: "reencrypted", personKeys: null });
    // Run again, it finds nothing left to do.
    expect(await rotateKek(cfg, { newKekFile: newFile, resume: true })).toMatchObject({
      vault: "already",
      keyFile: "already",
    });

    const again = await world.node(ORIGIN, {}, { REFNET_KEK_FILE: newFile });
    expect((await findReferral(again.db, again.vault, referralId))?.subject.givenName).toBe("Zuwenaya");
  });
});
