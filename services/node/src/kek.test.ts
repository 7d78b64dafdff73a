import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.ts";
import { createKekFile, KeyEncryptionKey, loadKekFile, openOrCreateKek, resolveKek } from "./kek.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-kek-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe("KeyEncryptionKey", () => {
  it("accepts exactly 32 bytes in canonical base64url", () => {
    const { key, text } = KeyEncryptionKey.generate("t");
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(KeyEncryptionKey.parse(` ${text}\n`, "t")?.id).toBe(key.id);
    expect(KeyEncryptionKey.parse(text.slice(1), "t")).toBeUndefined();
    expect(KeyEncryptionKey.parse(`${text}A`, "t")).toBeUndefined();
    expect(KeyEncryptionKey.parse(Buffer.alloc(32).toString("base64"), "t")).toBeUndefined();
    // The last character carries 2 unused bits: only the canonical form is a key.
    const zero = Buffer.alloc(32).toString("base64url");
    expect(KeyEncryptionKey.parse(zero, "t")).toBeDefined();
    expect(KeyEncryptionKey.parse(`${zero.slice(0, 42)}B`, "t")).toBeUndefined();
  });

  it("derives one subkey per purpose, and never shows itself", () => {
    const { key, text } = KeyEncryptionKey.generate("t");
    const subkeys = (["key-file", "person-key-wrap", "vault-check", "id"] as const).map((p) =>
      key.subkey(p).toString("hex"),
    );
    expect(new Set(subkeys).size).toBe(4);
    expect(subkeys.every((k) => k.length === 64)).toBe(true);
    expect(key.subkey("key-file").equals(Buffer.from(text, "base64url"))).toBe(false);
    expect(KeyEncryptionKey.generate("t").key.id).not.toBe(key.id);
    const hex = Buffer.from(text, "base64url").toString("hex");
    for (const shown of [JSON.stringify({ key }), String(key), inspect(key), inspect({ nested: { key } })]) {
      expect(shown).not.toContain(text);
      expect(shown).not.toContain(hex);
    }
  });
});

describe("KEK files", () => {
  it("are made with mode 0600 and never replaced", async () => {
    const path = join(dir, "a", "kek");
    const key = await createKekFile(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect((await loadKekFile(path)).id).toBe(key.id);
    const before = await readFile(path, "utf8");
    await expect(createKekFile(path)).rejects.toThrow(/already exists/);
    expect(await readFile(path, "utf8")).toBe(before);
    // openOrCreateKek reads an existing file rather than making another key.
    const again = await openOrCreateKek({ source: "file", path, variable: null });
    expect(again).toMatchObject({ created: false });
    expect(again.key.id).toBe(key.id);
  });

  it("are refused when others can read them, missing, or not a key; the variable is named, the content never", async () => {
    const path = join(dir, "b", "kek");
    await createKekFile(path);
    const text = (await readFile(path, "utf8")).trim();
    await chmod(path, 0o644);
    const open = await refusal(loadKekFile(path));
    expect(open.message).toMatch(
      /^REFNET_KEK_FILE: the KEK file .* can be read by other users \(mode 644\); run: chmod 600/,
    );
    expect(open.variables).toEqual(["REFNET_KEK_FILE"]);
    expect(open.message).not.toContain(text);

    const missing = await refusal(loadKekFile(join(dir, "nowhere", "kek")));
    expect(missing.message).toMatch(/no KEK file at .*refnet init/);

    const bad = join(dir, "bad-kek");
    await writeFile(bad, "correct horse battery staple\n", { mode: 0o600 });
    const garbage = await refusal(loadKekFile(bad));
    expect(garbage.message).toMatch(/must hold 32 random bytes in base64url/);
    expect(garbage.message).not.toContain("horse");

    // The default file (no variable set) is named as such, and the variable to set is given.
    const dflt = await refusal(
      resolveKek({ source: "file", path: join(dir, "none", "kek"), variable: null }),
    );
    expect(dflt.message).toMatch(/^REFNET_KEK_FILE: no KEK file at/);
  });
});
