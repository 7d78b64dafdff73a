import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactEncrypt, compactDecrypt, compactVerify, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyEncryptionKey } from "./kek.ts";
import { encryptClearKeyFile, type KeyFile, KeyStore, writeKeyFile } from "./keys.ts";

let dir: string;
const kek = KeyEncryptionKey.generate("a test KEK").key;

/** The key file's JSON, decrypted as the store does (the file on disk is a JWE under the KEK). */
async function readKeyFile(path: string, key: KeyEncryptionKey = kek): Promise<KeyFile> {
  const { plaintext } = await compactDecrypt((await readFile(path, "utf8")).trim(), key.subkey("key-file"));
  return JSON.parse(new TextDecoder().decode(plaintext)) as KeyFile;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-keys-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("KeyStore", () => {
  it("creates a key file readable only by its owner, and loads it back", async () => {
    const path = join(dir, "a", "keys.json");
    const created = await KeyStore.create(path, "shelter-alpha", kek, 1_700_000_000_000);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const file = await readKeyFile(path);
    expect(file.v).toBe(1);
    expect(file.orgId).toBe("shelter-alpha");
    expect(file.keys.map((k) => k.use).sort()).toEqual(["enc", "sig"]);
    const loaded = await KeyStore.load(path, "shelter-alpha", kek);
    expect(loaded.signingKey().kid).toBe(created.signingKey().kid);
  });

  it("never overwrites an existing key file", async () => {
    const path = join(dir, "b.json");
    await KeyStore.create(path, "shelter-alpha", kek);
    const before = await readFile(path, "utf8");
    await expect(KeyStore.create(path, "shelter-alpha", kek)).rejects.toThrow(/already exists/);
    expect(await readFile(path, "utf8")).toBe(before);
  });

  it("signs with a non-extractable Ed25519 key that the public JWK verifies", async () => {
    const path = join(dir, "c.json");
    const keys = await KeyStore.create(path, "shelter-alpha", kek);
    const { kid, key } = keys.signingKey();
    expect(key.extractable).toBe(false);
    const jws = await new SignJWT({ hello: "world" }).setProtectedHeader({ alg: "EdDSA", kid }).sign(key);
    const pub = keys.publicJwks().find((k) => k.use === "sig")!;
    expect(pub.kid).toBe(kid);
    const verified = await compactVerify(jws, await importJWK(pub.jwk, "EdDSA"));
    expect(verified.protectedHeader.kid).toBe(kid);
  });

  it("decrypts with its X25519 key and knows no other kid", async () => {
    const path = join(dir, "d.json");
    const keys = await KeyStore.create(path, "shelter-alpha", kek);
    const enc = keys.publicJwks().find((k) => k.use === "enc")!;
    const jwe = await new CompactEncrypt(new TextEncoder().encode("secret"))
      .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM", kid: enc.kid })
      .encrypt(await importJWK(enc.jwk, "ECDH-ES+A256KW"));
    const dk = await keys.decryptionKey(enc.kid);
    expect(dk).toBeDefined();
    expect(dk!.extractable).toBe(false);
    expect(new TextDecoder().decode((await compactDecrypt(jwe, dk!)).plaintext)).toBe("secret");
    expect(await keys.decryptionKey("unknown-kid")).toBeUndefined();
    expect(await keys.decryptionKey(keys.signingKey().kid)).toBeUndefined();
  });

  it("prints only public members", async () => {
    const keys = await KeyStore.create(join(dir, "e.json"), "shelter-alpha", kek);
    for (const k of keys.publicJwks()) {
      expect(Object.keys(k.jwk).sort()).toEqual(["crv", "kty", "x"]);
    }
  });

  it("does not use a retired encryption key", async () => {
    const path = join(dir, "f.json");
    const keys = await KeyStore.create(path, "shelter-alpha", kek);
    const encKid = keys.publicJwks().find((k) => k.use === "enc")!.kid;
    const file = await readKeyFile(path);
    const second = await KeyStore.create(join(dir, "f2.json"), "shelter-alpha", kek);
    const file2 = await readKeyFile(join(dir, "f2.json"));
    // Rotation: the old enc key retired, a new one in force.
    file.keys = file.keys.map((k) => (k.use === "enc" ? { ...k, retiredAt: 1 } : k));
    file.keys.push(file2.keys.find((k) => k.use === "enc")!);
    await writeKeyFile(path, file, { overwrite: true, kek });
    const reloaded = await KeyStore.load(path, "shelter-alpha", kek);
    expect(await reloaded.decryptionKey(encKid)).toBeUndefined();
    const newKid = second.publicJwks().find((k) => k.use === "enc")!.kid;
    expect(await reloaded.decryptionKey(newKid)).toBeDefined();
  });

  it("refuses a key file others can read, of another org, or tampered with", async () => {
    const path = join(dir, "g.json");
    await KeyStore.create(path, "shelter-alpha", kek);
    await expect(KeyStore.load(path, "shelter-beta", kek)).rejects.toThrow(/belongs to shelter-alpha/);
    await chmod(path, 0o644);
    await expect(KeyStore.load(path, "shelter-alpha", kek)).rejects.toThrow(/chmod 600/);
    await chmod(path, 0o600);
    const file = await readKeyFile(path);
    file.keys[0]!.kid = "A".repeat(43);
    await writeKeyFile(path, file, { overwrite: true, kek });
    await expect(KeyStore.load(path, "shelter-alpha", kek)).rejects.toThrow(/thumbprint/);
    await expect(KeyStore.load(join(dir, "missing.json"), "shelter-alpha", kek)).rejects.toThrow(
      /refnet init/,
    );
  });

  it("never puts private key material in an error message", async () => {
    const path = join(dir, "h.json");
    await KeyStore.create(path, "shelter-alpha", kek);
    const file = await readKeyFile(path);
    const d = (file.keys[0]!.privateJwk as { d: string }).d;
    (file as { v: number }).v = 2;
    await writeKeyFile(path, file, { overwrite: true, kek });
    const err = await KeyStore.load(path, "shelter-alpha", kek).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain(d);
  });
});

describe("the key file at rest", () => {
  it("is a compact JWE (dir + A256GCM) under the KEK: no key member in the clear on disk", async () => {
    const path = join(dir, "jwe.json");
    await KeyStore.create(path, "shelter-alpha", kek);
    const text = await readFile(path, "utf8");
    expect(text).toMatch(/^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const header = JSON.parse(Buffer.from(text.split(".")[0]!, "base64url").toString("utf8"));
    expect(header).toEqual({ alg: "dir", enc: "A256GCM", typ: "refnet-keys+jwe", cty: "json" });
    const file = await readKeyFile(path);
    for (const k of file.keys) {
      expect(text).not.toContain((k.privateJwk as { d: string }).d);
      expect(text).not.toContain(k.publicJwk.x as string);
    }
    expect(text).not.toContain("shelter-alpha");
  });

  it("refuses a key file in the clear, saying how to encrypt it, without a word of its content", async () => {
    const path = join(dir, "clear.json");
    await KeyStore.create(path, "shelter-alpha", kek);
    const file = await readKeyFile(path);
    await writeFile(path, JSON.stringify(file), { mode: 0o600 });
    const err = (await KeyStore.load(path, "shelter-alpha", kek).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/is not encrypted/);
    expect(err.message).toMatch(/refnet keys encrypt/);
    for (const k of file.keys) expect(err.message).not.toContain((k.privateJwk as { d: string }).d);

    // The way out: encrypted in place, then it loads.
    await encryptClearKeyFile(path, "shelter-alpha", kek);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, "utf8")).startsWith("eyJ")).toBe(true);
    const loaded = await KeyStore.load(path, "shelter-alpha", kek);
    expect(loaded.signingKey().kid).toBe(file.keys.find((k) => k.use === "sig")!.kid);
    await expect(encryptClearKeyFile(path, "shelter-alpha", kek)).rejects.toThrow(
      /not a key file in the clear/,
    );
  });

  it("refuses another KEK, and a file altered on disk, with a clear message and no key material", async () => {
    const path = join(dir, "wrong-kek.json");
    await KeyStore.create(path, "shelter-alpha", kek);
    const file = await readKeyFile(path);
    const other = KeyEncryptionKey.generate("REFNET_KEK").key;
    const err = (await KeyStore.load(path, "shelter-alpha", other).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(
      `The key file ${path} cannot be decrypted with the KEK from REFNET_KEK: it is not this file's KEK, or the file was altered.`,
    );
    for (const k of file.keys) expect(err.message).not.toContain((k.privateJwk as { d: string }).d);

    // One character of the ciphertext changed: GCM's tag refuses it.
    const text = (await readFile(path, "utf8")).trim();
    const parts = text.split(".");
    const ct = parts[3]!;
    parts[3] = `${ct.slice(0, 10)}${ct[10] === "A" ? "B" : "A"}${ct.slice(11)}`;
    await writeFile(path, `${parts.join(".")}\n`, { mode: 0o600 });
    await expect(KeyStore.load(path, "shelter-alpha", kek)).rejects.toThrow(
      /cannot be decrypted with the KEK/,
    );

    await writeFile(path, "not a key file\n", { mode: 0o600 });
    await expect(KeyStore.load(path, "shelter-alpha", kek)).rejects.toThrow(/not a refnet key file/);
  });

  it("writes atomically: no temporary file stays behind, the mode stays 0600", async () => {
    const sub = join(dir, "atomic");
    const path = join(sub, "keys.json");
    const store = await KeyStore.create(path, "shelter-alpha", kek);
    await store.update((f) => {
      f.keys[0]!.createdAt += 1;
      return true;
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(sub)).toEqual(["keys.json"]);
    expect((await readKeyFile(path)).keys[0]!.createdAt).toBe(store.keys()[0]!.createdAt);
  });
});
