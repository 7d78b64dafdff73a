import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactEncrypt, compactDecrypt, compactVerify, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeyFile, KeyStore } from "./keys.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-keys-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("KeyStore", () => {
  it("creates a key file readable only by its owner, and loads it back", async () => {
    const path = join(dir, "a", "keys.json");
    const created = await KeyStore.create(path, "shelter-alpha", 1_700_000_000_000);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const file = JSON.parse(await readFile(path, "utf8")) as KeyFile;
    expect(file.v).toBe(1);
    expect(file.orgId).toBe("shelter-alpha");
    expect(file.keys.map((k) => k.use).sort()).toEqual(["enc", "sig"]);
    const loaded = await KeyStore.load(path, "shelter-alpha");
    expect(loaded.signingKey().kid).toBe(created.signingKey().kid);
  });

  it("never overwrites an existing key file", async () => {
    const path = join(dir, "b.json");
    await KeyStore.create(path, "shelter-alpha");
    const before = await readFile(path, "utf8");
    await expect(KeyStore.create(path, "shelter-alpha")).rejects.toThrow(/already exists/);
    expect(await readFile(path, "utf8")).toBe(before);
  });

  it("signs with a non-extractable Ed25519 key that the public JWK verifies", async () => {
    const path = join(dir, "c.json");
    const keys = await KeyStore.create(path, "shelter-alpha");
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
    const keys = await KeyStore.create(path, "shelter-alpha");
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
    const keys = await KeyStore.create(join(dir, "e.json"), "shelter-alpha");
    for (const k of keys.publicJwks()) {
      expect(Object.keys(k.jwk).sort()).toEqual(["crv", "kty", "x"]);
    }
  });

  it("does not use a retired encryption key", async () => {
    const path = join(dir, "f.json");
    const keys = await KeyStore.create(path, "shelter-alpha");
    const encKid = keys.publicJwks().find((k) => k.use === "enc")!.kid;
    const file = JSON.parse(await readFile(path, "utf8")) as KeyFile;
    const second = await KeyStore.create(join(dir, "f2.json"), "shelter-alpha");
    const file2 = JSON.parse(await readFile(join(dir, "f2.json"), "utf8")) as KeyFile;
    // Rotation: the old enc key retired, a new one in force.
    file.keys = file.keys.map((k) => (k.use === "enc" ? { ...k, retiredAt: 1 } : k));
    file.keys.push(file2.keys.find((k) => k.use === "enc")!);
    await writeFile(path, JSON.stringify(file), { mode: 0o600 });
    const reloaded = await KeyStore.load(path, "shelter-alpha");
    expect(await reloaded.decryptionKey(encKid)).toBeUndefined();
    const newKid = second.publicJwks().find((k) => k.use === "enc")!.kid;
    expect(await reloaded.decryptionKey(newKid)).toBeDefined();
  });

  it("refuses a key file others can read, of another org, or tampered with", async () => {
    const path = join(dir, "g.json");
    await KeyStore.create(path, "shelter-alpha");
    await expect(KeyStore.load(path, "shelter-beta")).rejects.toThrow(/belongs to shelter-alpha/);
    await chmod(path, 0o644);
    await expect(KeyStore.load(path, "shelter-alpha")).rejects.toThrow(/chmod 600/);
    await chmod(path, 0o600);
    const file = JSON.parse(await readFile(path, "utf8")) as KeyFile;
    file.keys[0]!.kid = "A".repeat(43);
    await writeFile(path, JSON.stringify(file), { mode: 0o600 });
    await expect(KeyStore.load(path, "shelter-alpha")).rejects.toThrow(/thumbprint/);
    await expect(KeyStore.load(join(dir, "missing.json"), "shelter-alpha")).rejects.toThrow(/refnet init/);
  });

  it("never puts private key material in an error message", async () => {
    const path = join(dir, "h.json");
    await KeyStore.create(path, "shelter-alpha");
    const file = JSON.parse(await readFile(path, "utf8")) as KeyFile;
    const d = (file.keys[0]!.privateJwk as { d: string }).d;
    (file as { v: number }).v = 2;
    await writeFile(path, JSON.stringify(file), { mode: 0o600 });
    const err = await KeyStore.load(path, "shelter-alpha").catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain(d);
  });
});
