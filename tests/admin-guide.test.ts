// docs/admin-guide.md, run exactly as written: every ```sh block of the guide, in order, with bash in a
// fresh directory, against a real nats-server. The environment holds only what the guide tells an admin
// to have: `refnet` on PATH, REFNET_ADMIN_PASSPHRASE and REFNET_NATS_URL. If the guide and the command
// drift apart, this fails; the end state in the trust bucket is then checked as a node would read it.
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { cliEntry, NatsServer } from "@refnet/dev-env";
import { TRUST_LIST_KEY, trustBucketName } from "@refnet/protocol";
import { parseTrustList, publicJwkOf, type TrustListPayload, thumbprint } from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GUIDE = join(ROOT, "docs", "admin-guide.md");
const NETWORK = "med-net";
// Any passphrase of 12 characters or more; the guide's three pretend admins share it.
const PASSPHRASE = "guide walk-through passphrase";

interface Block {
  line: number;
  code: string;
}

/**
 * The ```sh blocks to run, in order. A block right after `<!-- not run -->` is a set-up example (the
 * wrapper on PATH, `export REFNET_NATS_URL=…`) that the test provides itself.
 */
function shellBlocks(markdown: string): { run: Block[]; skipped: Block[] } {
  const blocks = { run: [] as Block[], skipped: [] as Block[] };
  const fence = /(<!--\s*not run\s*-->[ \t]*\n)?```sh\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of markdown.matchAll(fence)) {
    const line = markdown.slice(0, m.index).split("\n").length;
    (m[1] ? blocks.skipped : blocks.run).push({ line, code: m[2]! });
  }
  return blocks;
}

/** `refnet init` output → { sig: kid, enc: kid }. */
function kidsOf(printed: { keys: { use: string; kid: string }[] }): Record<string, string> {
  return Object.fromEntries(printed.keys.map((k) => [k.use, k.kid]));
}

async function listKids(p: TrustListPayload, orgId: string) {
  const partner = p.partners.find((x) => x.orgId === orgId)!;
  return Promise.all(
    partner.keys.map(async (k) => ({
      use: k.use,
      kid: await thumbprint(publicJwkOf(k.jwk)),
      notBefore: k.notBefore,
      notAfter: k.notAfter,
    })),
  );
}

let nats: NatsServer;
let work: string;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  nats = await NatsServer.start({ port: 0 });
  work = await mkdtemp(join(tmpdir(), "refnet-admin-guide-"));
});

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await nats?.stop();
  await nats?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("docs/admin-guide.md", () => {
  it("runs as written: three admins, genesis, three partners, a rotation and a revocation", async () => {
    const markdown = await readFile(GUIDE, "utf8");
    // A runnable-looking block in another shell dialect would silently escape the test.
    expect(markdown).not.toMatch(/^```(bash|shell|console|zsh)\b/m);
    const blocks = shellBlocks(markdown);
    const script = blocks.run.map((b) => b.code).join("\n");
    // Every step of the story is in a block that runs (not only in prose or a `not run` example).
    for (const step of [
      /refnet admin keygen --id admin-amina/,
      /refnet admin keygen --id admin-jonas/,
      /refnet admin keygen --id admin-lucia/,
      /refnet trust init --network med-net/,
      /refnet init --org ngo-north .*> ngo-north\.json/,
      /refnet init --org shelter-south .*> shelter-south\.json/,
      /refnet init --org legal-east .*> legal-east\.json/,
      /--add-partner ngo-north\.json/,
      /--add-partner shelter-south\.json/,
      /--add-partner legal-east\.json/,
      /refnet trust sign /,
      /refnet trust merge /,
      /refnet trust verify /,
      /refnet trust verify genesis\.json --genesis-sha256/,
      /refnet trust publish .*--nats "\$REFNET_NATS_URL"/,
      /refnet keys rotate --org shelter-south .*--out shelter-south-rotation\.jws/,
      /refnet keys show --org shelter-south/,
      /--rotation-request shelter-south-rotation\.jws/,
      /--revoke legal-east/,
      /refnet trust show /,
      /refnet trust diff /,
    ])
      expect(script).toMatch(step);
    // The guide's one form of the command: no `npm run refnet` in a block that runs.
    expect(script).not.toMatch(/npm run/);
    // Each sign decrypts a PBES2 key at 600 000 iterations: keep the walk-through to the 12 it needs.
    expect(script.match(/refnet trust sign /g)?.length).toBe(12);

    // `refnet` on PATH, the way the guide's "Before you start" makes it: node running the built
    // command (`npm run build`, which `npm test` runs first), or the sources through the tsx loader
    // when the build is missing or older than them.
    const bin = join(work, ".bin");
    const story = join(work, "story");
    await mkdir(bin);
    await mkdir(story);
    const args = (await cliEntry()).map((a) => `"${a}"`).join(" ");
    await writeFile(join(bin, "refnet"), `#!/bin/sh\nexec "${process.execPath}" ${args} "$@"\n`);
    await chmod(join(bin, "refnet"), 0o755);
    const env = {
      PATH: `${bin}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`,
      REFNET_ADMIN_PASSPHRASE: PASSPHRASE,
      REFNET_NATS_URL: nats.url,
    };

    for (const block of blocks.run) {
      try {
        await run("bash", ["-c", `set -euo pipefail\n${block.code}`], {
          cwd: story,
          env,
          timeout: 180_000,
          maxBuffer: 16 * 1024 * 1024,
        });
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        expect.fail(
          `the block at docs/admin-guide.md:${block.line} failed (exit ${e.code}):\n${block.code}\n` +
            `--- stdout\n${e.stdout ?? ""}\n--- stderr\n${e.stderr ?? ""}`,
        );
      }
    }

    // Admin keys: encrypted, owner-only; partner node keys likewise.
    for (const f of ["amina.key", "jonas.key", "lucia.key", ".refnet/ngo-north/keys.json"])
      expect((await stat(join(story, f))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(story, "amina.key"), "utf8")).toMatch(
      /^eyJ[\w-]*\.[\w-]*\.[\w-]*\.[\w-]*\.[\w-]*\n$/,
    );

    // The bucket, as a node reads it.
    nc = await connect({ servers: nats.url });
    const kv = await new Kvm(nc).open(trustBucketName(NETWORK));
    const entry = await kv.get(TRUST_LIST_KEY);
    expect(entry?.operation).toBe("PUT");
    const text = entry!.string();
    const parsed = parseTrustList(text);
    if (!parsed.ok) throw new Error(`the bucket's list does not parse: ${parsed.code}`);
    const list = parsed.payload;
    // What sits in the bucket is byte for byte the file the admins signed last.
    expect(text).toBe((await readFile(join(story, "v6.json"), "utf8")).trimEnd());

    // Versions 1 to 6, each published once, in order.
    const versions: number[] = [];
    for await (const e of await kv.history({ key: TRUST_LIST_KEY })) {
      const p = parseTrustList(e.string());
      if (!p.ok) throw new Error(`revision ${e.revision} does not parse: ${p.code}`);
      versions.push(p.payload.version);
    }
    expect(versions).toEqual([1, 2, 3, 4, 5, 6]);

    expect(list.network).toBe(NETWORK);
    expect(list.version).toBe(6);
    expect(list.threshold).toBe(2);
    expect(list.admins.map((a) => a.id).sort()).toEqual(["admin-amina", "admin-jonas", "admin-lucia"]);
    expect(parsed.signed.signatures).toHaveLength(2);
    expect(list.partners.map((p) => [p.orgId, p.status, p.country, p.roles.join(",")]).sort()).toEqual([
      ["legal-east", "revoked", "RO", "origin,destination"],
      ["ngo-north", "active", "IT", "origin"],
      ["shelter-south", "active", "GR", "destination"],
    ]);

    // The partners' keys are those their own `refnet init` printed.
    const initOut = async (f: string) => JSON.parse(await readFile(join(story, f), "utf8"));
    const north = kidsOf(await initOut("ngo-north.json"));
    expect((await listKids(list, "ngo-north")).map((k) => [k.use, k.kid, k.notAfter])).toEqual([
      ["sig", north.sig, undefined],
      ["enc", north.enc, undefined],
    ]);

    // The rotation: old keys kept for the 7-day overlap (notAfter set), new keys open-ended. The new
    // keys are the ones the partner's request carried, signed by its listed signing key.
    const oldKeys = kidsOf(await initOut("shelter-south.json"));
    const request = (await readFile(join(story, "shelter-south-rotation.jws"), "utf8")).trim();
    const [header, body] = request
      .split(".")
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p!, "base64url").toString("utf8")));
    expect(header).toEqual({ alg: "EdDSA", kid: oldKeys.sig, typ: "refnet-key-rotation+jws" });
    expect(body.keys.map((k: { jwk: object }) => Object.keys(k.jwk).sort())).toEqual([
      ["crv", "kty", "x"],
      ["crv", "kty", "x"],
    ]);
    const newKeys = kidsOf(body);
    expect(newKeys.sig).not.toBe(oldKeys.sig);
    const south = await listKids(list, "shelter-south");
    expect(south).toHaveLength(4);
    const v5 = parseTrustList(await readFile(join(story, "v5.json"), "utf8"));
    if (!v5.ok) throw new Error(v5.code);
    for (const use of ["sig", "enc"] as const) {
      const old = south.find((k) => k.kid === oldKeys[use])!;
      const fresh = south.find((k) => k.kid === newKeys[use])!;
      expect(old.use).toBe(use);
      expect(fresh.use).toBe(use);
      expect(fresh.notAfter).toBeUndefined();
      expect(fresh.notBefore).toBeLessThanOrEqual(v5.payload.issuedAt);
      expect(old.notAfter).toBe(v5.payload.issuedAt + 7 * 86_400);
    }
  }, 600_000);
});
