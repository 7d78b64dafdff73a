import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { thumbprint } from "@refnet/trust";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, type Io, run } from "./cli.ts";
import { decryptAdminKey, encryptAdminKey, MIN_PBES2_ITERATIONS } from "./keyfile.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-admin-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PASS = "correct horse battery staple";

function io(env: Record<string, string> = {}, extra: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = { env, cwd: dir, out: (t) => out.push(t), err: (t) => err.push(t), ...extra };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

describe("refnet admin keygen", () => {
  it("writes the private key only as a PBES2 JWE (≥ 600 000 iterations, mode 0600) and the public half beside it", async () => {
    const t = io({ REFNET_ADMIN_PASSPHRASE: PASS });
    expect(await run(["admin", "keygen", "--id", "admin-amina", "--out", "amina.key"], t.io)).toBe(EXIT.ok);

    const text = (await readFile(join(dir, "amina.key"), "utf8")).trim();
    expect(text.split(".")).toHaveLength(5);
    expect(text).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const header = decodeProtectedHeader(text);
    expect(header.alg).toBe("PBES2-HS512+A256KW");
    expect(header.enc).toBe("A256GCM");
    expect(header.p2c).toBeGreaterThanOrEqual(600_000);
    expect(JSON.stringify(header)).not.toContain('"d"');
    expect((await stat(join(dir, "amina.key"))).mode & 0o777).toBe(0o600);

    const pub = JSON.parse(await readFile(join(dir, "amina.key.pub.json"), "utf8"));
    expect(Object.keys(pub).sort()).toEqual(["id", "jwk", "kid"]);
    expect(pub.id).toBe("admin-amina");
    expect(Object.keys(pub.jwk).sort()).toEqual(["crv", "kty", "x"]);
    expect(pub.kid).toBe(await thumbprint(pub.jwk));
    expect(header.kid).toBe(pub.kid);

    // Round trip with the passphrase; the private member never reached the terminal.
    const key = await decryptAdminKey(text, PASS);
    expect(key.kid).toBe(pub.kid);
    expect(key.privateJwk.x).toBe(pub.jwk.x);
    expect(typeof key.privateJwk.d).toBe("string");
    expect(t.out() + t.err()).not.toContain(key.privateJwk.d);
    expect(t.out()).toContain(pub.kid);

    await expect(decryptAdminKey(text, `${PASS}!`)).rejects.toMatchObject({ code: "ERR_PASSPHRASE" });
  });

  it("refuses short passphrases, missing passphrases and overwriting a key", async () => {
    const short = io({ REFNET_ADMIN_PASSPHRASE: "too short" });
    expect(await run(["admin", "keygen", "--id", "a1", "--out", "short.key"], short.io)).toBe(EXIT.failed);
    expect(short.err()).toMatch(/at least 12 characters/);
    await expect(stat(join(dir, "short.key"))).rejects.toThrow();

    const none = io();
    expect(await run(["admin", "keygen", "--id", "a1", "--out", "none.key"], none.io)).toBe(EXIT.failed);
    expect(none.err()).toMatch(/no passphrase/);

    const fast = { testPbes2Iterations: 1000 };
    const args = ["admin", "keygen", "--id", "admin-jonas", "--out", "jonas.key"];
    expect(await run(args, io({ REFNET_ADMIN_PASSPHRASE: PASS }, fast).io)).toBe(EXIT.ok);
    const before = await readFile(join(dir, "jonas.key"), "utf8");
    const again = io({ REFNET_ADMIN_PASSPHRASE: PASS }, fast);
    expect(await run(args, again.io)).toBe(EXIT.failed);
    expect(again.err()).toMatch(/already exists/);
    expect(await readFile(join(dir, "jonas.key"), "utf8")).toBe(before);

    expect(await run(["admin", "keygen", "--id", "bad id", "--out", "x.key"], io().io)).toBe(EXIT.usage);
  });

  it("takes the passphrase from --passphrase-file (one trailing newline stripped) or a terminal prompt", async () => {
    await writeFile(join(dir, "pass.txt"), `${PASS}\n`, { mode: 0o600 });
    const fast = { testPbes2Iterations: 1000 };
    const t = io({}, fast);
    const args = [
      "admin",
      "keygen",
      "--id",
      "admin-lucia",
      "--out",
      "lucia.key",
      "--passphrase-file",
      "pass.txt",
    ];
    expect(await run(args, t.io)).toBe(EXIT.ok);
    const key = await decryptAdminKey(await readFile(join(dir, "lucia.key"), "utf8"), PASS);
    expect(key.iterations).toBe(1000);

    const asked: string[] = [];
    const answers = [PASS, PASS];
    const prompt = async (q: string, o: { echo: boolean }) => {
      asked.push(`${q}|${o.echo}`);
      return answers.shift()!;
    };
    expect(
      await run(
        ["admin", "keygen", "--id", "admin-omar", "--out", "omar.key"],
        io({}, { ...fast, prompt }).io,
      ),
    ).toBe(EXIT.ok);
    expect(asked.every((q) => q.endsWith("|false"))).toBe(true);
    expect(asked).toHaveLength(2);
    await decryptAdminKey(await readFile(join(dir, "omar.key"), "utf8"), PASS);

    const mismatch = [PASS, `${PASS}x`];
    const t2 = io({}, { ...fast, prompt: async () => mismatch.shift()! });
    expect(await run(["admin", "keygen", "--id", "admin-x", "--out", "x.key"], t2.io)).toBe(EXIT.failed);
    expect(t2.err()).toMatch(/differ/);
  });

  it("keeps the default iteration count for keys made without the test option", async () => {
    const pair = { kty: "OKP", crv: "Ed25519" };
    expect(MIN_PBES2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    await expect(encryptAdminKey(pair, PASS)).rejects.toThrow(/signing key/);
  });
});
