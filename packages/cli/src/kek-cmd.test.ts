// `refnet kek rotate` end to end through the command line, on a node made by `refnet init` whose person
// key vault holds a person's key: output and next steps, exit codes, and the refusals (vault held open
// by another process, new KEK file exists, wrong current KEK, missing flag).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyStore, loadConfig, loadKekFile, PersonVault, resolveKek } from "@refnet/node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT, run } from "./cli.ts";

const ORG = "shelter-south";
const NETWORK = "med-net";
const PERSON = { originOrgId: "ngo-north", subjectRef: "s-7f3a9c" };
const AAD = "referral/r-1/subject";
const FIELD = '{"givenName":"Amarachi"}';
let dir: string;
let node: string[];
let sealed: string;

async function refnet(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { env, cwd: dir, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(""), err: err.join("") };
}

const config = (env: NodeJS.ProcessEnv = {}) =>
  loadConfig(
    { REFNET_ORG_ID: ORG, REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "node"), ...env },
    dir,
  );

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-kek-"));
  node = ["--org", ORG, "--network", NETWORK, "--data-dir", join(dir, "node")];
  const init = await refnet(["init", ...node]);
  expect(init.code, init.err).toBe(EXIT.ok);
  // The node's vault with one person's key, as the node leaves it after storing a referral.
  const cfg = config();
  const vault = PersonVault.open(cfg.vaultFile, await resolveKek(cfg.kek));
  sealed = vault.seal(PERSON, AAD, FIELD);
  vault.close();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("refnet kek rotate", () => {
  it("rotates, prints the steps and the next ones; the new KEK opens everything, the old nothing", async () => {
    const cfg = config();
    const oldKek = await resolveKek(cfg.kek);
    const res = await refnet(["kek", "rotate", "--new-kek-file", "secrets/kek.new", ...node]);
    expect(res.code, res.err).toBe(EXIT.ok);
    const newFile = join(dir, "secrets/kek.new");
    const newKek = await loadKekFile(newFile);
    expect((await stat(newFile)).mode & 0o777).toBe(0o600);
    expect(res.err).toContain("the node must be stopped");
    expect(res.err).toContain("1 person key(s) re-wrapped under the new KEK (one transaction)");
    expect(res.err).toContain("key file: re-encrypted under the new KEK");
    expect(res.out).toContain(`KEK rotated: ${oldKek.id} -> ${newKek.id}`);
    expect(res.out).toContain(`Set REFNET_KEK_FILE=${newFile}`);
    expect(res.out).toContain(`destroy the old KEK file ${join(dir, "node", "kek")}`);
    // Nothing the command printed holds a key.
    const text = (await readFile(newFile, "utf8")).trim();
    expect(res.out + res.err).not.toContain(text);

    const vault = PersonVault.open(cfg.vaultFile, newKek);
    expect(vault.open(PERSON, AAD, sealed)).toBe(FIELD);
    vault.close();
    await expect(KeyStore.load(cfg.keysFile, ORG, newKek)).resolves.toBeInstanceOf(KeyStore);
    expect(() => PersonVault.open(cfg.vaultFile, oldKek)).toThrow(/made under another KEK/);
    await expect(KeyStore.load(cfg.keysFile, ORG, oldKek)).rejects.toThrow(/cannot be decrypted/);
    // And the same REFNET_* configuration, pointed at the new file, reads it.
    const switched = config({ REFNET_KEK_FILE: newFile });
    expect((await resolveKek(switched.kek)).id).toBe(newKek.id);
  });

  describe("while another process holds the vault open (a running node)", () => {
    let holder: ChildProcess | undefined;
    afterEach(() => {
      holder?.kill();
      holder = undefined;
    });

    it("refuses, and writes no new KEK file", async () => {
      const cfg = config();
      const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
      holder = spawn(
        process.execPath,
        [
          "-e",
          `const S = require(${JSON.stringify(sqlite)}); const db = new S(${JSON.stringify(cfg.vaultFile)});` +
            `db.pragma("journal_mode = WAL"); db.prepare("select count(*) from person_key").get();` +
            `process.stdout.write("ready\\n"); setInterval(() => {}, 1000);`,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      await new Promise<void>((resolve, reject) => {
        holder!.stdout!.once("data", () => resolve());
        holder!.once("exit", (c) => reject(new Error(`holder exited ${c}`)));
      });
      const res = await refnet(["kek", "rotate", "--new-kek-file", "kek.new", ...node]);
      expect(res.code).toBe(EXIT.failed);
      expect(res.err).toContain("is in use by another process: stop the node first");
      expect(existsSync(join(dir, "kek.new"))).toBe(false);
      // Nothing changed: the current KEK still opens the vault.
      const vault = PersonVault.open(cfg.vaultFile, await resolveKek(cfg.kek));
      expect(vault.open(PERSON, AAD, sealed)).toBe(FIELD);
      vault.close();
    });
  });

  it("refuses a new KEK file that exists", async () => {
    const first = await refnet(["kek", "rotate", "--new-kek-file", "kek.new", ...node]);
    expect(first.code, first.err).toBe(EXIT.ok);
    const before = await readFile(join(dir, "kek.new"), "utf8");
    // Still on the old KEK, the operator runs it again by mistake.
    const again = await refnet(["kek", "rotate", "--new-kek-file", "kek.new", ...node]);
    expect(again.code).toBe(EXIT.config);
    expect(again.err).toMatch(/A file already exists at \S*kek\.new; refusing to replace it/);
    expect(await readFile(join(dir, "kek.new"), "utf8")).toBe(before);
  });

  it("refuses a wrong current KEK", async () => {
    const wrong = `${"A".repeat(42)}E`;
    const res = await refnet(["kek", "rotate", "--new-kek-file", "kek.new", ...node], { REFNET_KEK: wrong });
    expect(res.code).toBe(EXIT.failed);
    expect(res.err).toContain("was made under another KEK");
    expect(res.err).not.toContain(wrong);
    expect(existsSync(join(dir, "kek.new"))).toBe(false);
  });

  it("needs --new-kek-file", async () => {
    const res = await refnet(["kek", "rotate", ...node]);
    expect(res.code).toBe(EXIT.usage);
    expect(res.err).toContain("--new-kek-file is required");
  });
});
