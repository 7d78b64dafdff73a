import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authenticate, migrateToLatest, openDatabase } from "@refnet/node";
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
    const stored = JSON.parse(await readFile(keysFile, "utf8"));
    for (const k of stored.keys) expect(t.out()).not.toContain(k.privateJwk.d);
  });

  it("refuses to replace existing keys", async () => {
    const t = io();
    const args = ["init", "--org", "shelter-beta", "--network", "med-net", "--data-dir", join(dir, "sb")];
    expect(await run(args, io().io)).toBe(EXIT.ok);
    expect(await run(args, t.io)).toBe(EXIT.failed);
    expect(t.err()).toMatch(/already exists/);
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
