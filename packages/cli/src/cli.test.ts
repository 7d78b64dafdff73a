import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  authenticate,
  KeyEncryptionKey,
  KeyStore,
  loadKekFile,
  migrateToLatest,
  openDatabase,
} from "@refnet/node";
import { compactDecrypt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, type Io, run } from "./cli.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    env,
    cwd: dir,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

const env = (org: string) => ({
  REFNET_ORG_ID: org,
  REFNET_NETWORK: "med-net",
  REFNET_DATA_DIR: join(dir, org),
});

describe("refnet init", () => {
  it("creates the key file (0600) and prints only the public keys", async () => {
    const t = io();
    const code = await run(
      ["init", "--org", "shelter-alpha", "--network", "med-net", "--data-dir", join(dir, "sa")],
      t.io,
    );
    expect(code).toBe(EXIT.ok);
    const printed = JSON.parse(t.out());
    expect(printed.orgId).toBe("shelter-alpha");
    expect(printed.network).toBe("med-net");
    expect(printed.keys.map((k: { use: string }) => k.use).sort()).toEqual(["enc", "sig"]);
    for (const k of printed.keys) {
      expect(Object.keys(k.jwk).sort()).toEqual(["crv", "kty", "x"]);
      expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    const keysFile = join(dir, "sa", "keys.json");
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600);
    // The KEK, made beside the key file (none was configured), opens the key file; neither is printed.
    const kekFile = join(dir, "sa", "kek");
    expect((await stat(kekFile)).mode & 0o777).toBe(0o600);
    expect(t.err()).toContain(`KEK) written to ${kekFile}`);
    const kekText = (await readFile(kekFile, "utf8")).trim();
    expect(t.out() + t.err()).not.toContain(kekText);
    expect(await readFile(keysFile, "utf8")).toMatch(/^eyJ[\w-]*\.\.[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { plaintext } = await compactDecrypt(
      (await readFile(keysFile, "utf8")).trim(),
      (await loadKekFile(kekFile)).subkey("key-file"),
    );
    const stored = JSON.parse(new TextDecoder().decode(plaintext));
    expect(stored.orgId).toBe("shelter-alpha");
    for (const k of stored.keys) expect(t.out()).not.toContain(k.privateJwk.d);
  });

  it("refuses to replace existing keys", async () => {
    const t = io();
    const args = ["init", "--org", "shelter-beta", "--network", "med-net", "--data-dir", join(dir, "sb")];
    expect(await run(args, io().io)).toBe(EXIT.ok);
    expect(await run(args, t.io)).toBe(EXIT.failed);
    expect(t.err()).toMatch(/already exists/);
  });

  it("uses the KEK configured: REFNET_KEK_FILE (made when absent) or REFNET_KEK (no file)", async () => {
    const elsewhere = join(dir, "secrets", "sc.kek");
    const t = io({ REFNET_KEK_FILE: elsewhere });
    expect(
      await run(
        ["init", "--org", "shelter-gamma", "--network", "med-net", "--data-dir", join(dir, "sc")],
        t.io,
      ),
    ).toBe(EXIT.ok);
    expect((await stat(elsewhere)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, "sc", "kek"))).toBe(false);
    const kek = await loadKekFile(elsewhere);
    expect((await KeyStore.load(join(dir, "sc", "keys.json"), "shelter-gamma", kek)).orgId).toBe(
      "shelter-gamma",
    );

    const inline = KeyEncryptionKey.generate("REFNET_KEK");
    const u = io({ REFNET_KEK: inline.text });
    expect(
      await run(
        ["init", "--org", "shelter-delta", "--network", "med-net", "--data-dir", join(dir, "sd")],
        u.io,
      ),
    ).toBe(EXIT.ok);
    expect(existsSync(join(dir, "sd", "kek"))).toBe(false);
    expect(u.err()).not.toContain("KEK) written");
    expect((await KeyStore.load(join(dir, "sd", "keys.json"), "shelter-delta", inline.key)).orgId).toBe(
      "shelter-delta",
    );
    // The wrong KEK is refused by name, never echoed.
    const bad = io({ REFNET_KEK: "not-a-key" });
    expect(await run(["init", "--org", "shelter-eps", "--network", "med-net"], bad.io)).toBe(EXIT.config);
    expect(bad.err()).toMatch(/REFNET_KEK must be 32 random bytes/);
    expect(bad.err()).not.toContain("not-a-key");
  });

  it("keys encrypt: encrypts a key file written in the clear, which the node refuses", async () => {
    const env = {
      REFNET_ORG_ID: "shelter-zeta",
      REFNET_NETWORK: "med-net",
      REFNET_DATA_DIR: join(dir, "sz"),
    };
    expect(await run(["init"], io(env).io)).toBe(EXIT.ok);
    const keysFile = join(dir, "sz", "keys.json");
    const kek = await loadKekFile(join(dir, "sz", "kek"));
    const { plaintext } = await compactDecrypt(
      (await readFile(keysFile, "utf8")).trim(),
      kek.subkey("key-file"),
    );
    // A key file as versions before encryption at rest wrote it.
    await writeFile(keysFile, new TextDecoder().decode(plaintext), { mode: 0o600 });
    await expect(KeyStore.load(keysFile, "shelter-zeta", kek)).rejects.toThrow(
      /not encrypted.*refnet keys encrypt/,
    );
    const t = io(env);
    expect(await run(["keys", "encrypt"], t.io)).toBe(EXIT.ok);
    expect(t.err()).toMatch(/is now encrypted under the KEK/);
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600);
    expect((await KeyStore.load(keysFile, "shelter-zeta", kek)).orgId).toBe("shelter-zeta");
    const again = io(env);
    expect(await run(["keys", "encrypt"], again.io)).toBe(EXIT.failed);
    expect(again.err()).toMatch(/not a key file in the clear/);
  });

  it("explains bad usage and bad configuration with distinct exit codes", async () => {
    const missing = io();
    expect(await run(["init", "--network", "med-net"], missing.io)).toBe(EXIT.usage);
    expect(missing.err()).toMatch(/--org is required/);
    const badOrg = io();
    expect(await run(["init", "--org", "Bad Org", "--network", "med-net"], badOrg.io)).toBe(EXIT.config);
    expect(badOrg.err()).toMatch(/REFNET_ORG_ID/);
    const unknown = io();
    expect(await run(["init", "--frobnicate"], unknown.io)).toBe(EXIT.usage);
    expect(await run(["launch"], io().io)).toBe(EXIT.usage);
    expect(await run([], io().io)).toBe(EXIT.usage);
    expect(await run(["help"], io().io)).toBe(EXIT.ok);
  });
});

describe("refnet staff", () => {
  it("creates an account and prints its token once; the token works; list never shows it", async () => {
    const create = io(env("ngo-origin"));
    expect(
      await run(
        ["staff", "create", "--username", "amina", "--role", "caseworker", "--display-name", "Amina K."],
        create.io,
      ),
    ).toBe(EXIT.ok);
    const token = create.out().trim();
    expect(token).toMatch(/^rn_[A-Za-z0-9_-]{43}$/);

    const opened = openDatabase({ database: { kind: "sqlite", path: join(dir, "ngo-origin", "node.db") } });
    try {
      await migrateToLatest(opened.db);
      expect((await authenticate(opened.db, `Bearer ${token}`)).username).toBe("amina");
    } finally {
      await opened.close();
    }

    const list = io(env("ngo-origin"));
    expect(await run(["staff", "list"], list.io)).toBe(EXIT.ok);
    expect(list.out()).toMatch(/amina\s+caseworker\s+active\s+Amina K\./);
    expect(list.out()).not.toContain(token);

    const disable = io(env("ngo-origin"));
    expect(await run(["staff", "disable", "--username", "amina"], disable.io)).toBe(EXIT.ok);
    const after = io(env("ngo-origin"));
    await run(["staff", "list"], after.io);
    expect(after.out()).toMatch(/amina\s+caseworker\s+disabled/);
  });

  it("refuses bad roles, duplicates and unknown accounts", async () => {
    const badRole = io(env("ngo-origin"));
    expect(await run(["staff", "create", "--username", "x1", "--role", "root"], badRole.io)).toBe(EXIT.usage);
    await run(["staff", "create", "--username", "dup", "--role", "admin"], io(env("ngo-origin")).io);
    const dup = io(env("ngo-origin"));
    expect(await run(["staff", "create", "--username", "dup", "--role", "admin"], dup.io)).toBe(EXIT.failed);
    expect(dup.err()).toMatch(/already exists/);
    const nobody = io(env("ngo-origin"));
    expect(await run(["staff", "disable", "--username", "nobody"], nobody.io)).toBe(EXIT.failed);
    const noConfig = io({});
    expect(await run(["staff", "list"], noConfig.io)).toBe(EXIT.config);
    expect(noConfig.err()).toMatch(/REFNET_ORG_ID is required/);
  });
});
