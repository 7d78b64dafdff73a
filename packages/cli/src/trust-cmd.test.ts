import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { NatsServer } from "@refnet/dev-env";
import {
  canonicalTrustListJson,
  formatFingerprint,
  generateOrgKeys,
  parseTrustList,
  parseTrustListProposal,
  type SignedTrustList,
  trustListDigest,
} from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, type Io, run } from "./cli.ts";

let dir: string;
const PASS = {
  amina: "amina's long passphrase",
  jonas: "jonas's long passphrase",
  eve: "eve's long passphrase",
};

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    env,
    cwd: dir,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    testPbes2Iterations: 1000,
  };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

async function refnet(args: string[], env: Record<string, string> = {}) {
  const t = io(env);
  const code = await run(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

const asAdmin = (who: keyof typeof PASS) => ({ REFNET_ADMIN_PASSPHRASE: PASS[who] });

async function readList(name: string): Promise<SignedTrustList> {
  const parsed = parseTrustListProposal(await readFile(join(dir, name), "utf8"));
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.signed;
}

/** A partner's `refnet init` output, with its real node key store. */
async function partnerInit(org: string): Promise<string> {
  const r = await refnet([
    "init",
    "--org",
    org,
    "--network",
    "med-net",
    "--data-dir",
    join(dir, `node-${org}`),
  ]);
  expect(r.code).toBe(EXIT.ok);
  await writeFile(join(dir, `${org}.json`), r.out);
  return `${org}.json`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-trust-"));
  for (const who of ["amina", "jonas", "eve"] as const)
    expect(
      (await refnet(["admin", "keygen", "--id", `admin-${who}`, "--out", `${who}.key`], asAdmin(who))).code,
    ).toBe(EXIT.ok);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("refnet trust: genesis, a new partner, two signatures", () => {
  it("walks the whole offline flow and a node's checks agree at every step", async () => {
    const init = await refnet([
      "trust",
      "init",
      "--network",
      "med-net",
      "--admin",
      "amina.key.pub.json",
      "--admin",
      "jonas.key.pub.json",
      "--threshold",
      "2",
      "--expires-in",
      "180d",
      "--out",
      "genesis.json",
    ]);
    expect(init.code).toBe(EXIT.ok);
    expect((await readList("genesis.json")).signatures).toHaveLength(0);

    const unsigned = await refnet(["trust", "verify", "genesis.json"]);
    expect(unsigned.code).toBe(EXIT.failed);
    expect(unsigned.out).toMatch(/^REFUSED e\.t\.threshold/);

    const s1 = await refnet(["trust", "sign", "genesis.json", "--key", "amina.key"], asAdmin("amina"));
    expect(s1.code).toBe(EXIT.ok);
    expect(s1.out).toContain("1 of 2 signatures needed");
    const half = await refnet(["trust", "verify", "genesis.json"]);
    expect(half.code).toBe(EXIT.failed);
    expect(half.out).toMatch(/^REFUSED e\.t\.threshold: 1 of 2/);

    const twice = await refnet(["trust", "sign", "genesis.json", "--key", "amina.key"], asAdmin("amina"));
    expect(twice.code).toBe(EXIT.failed);
    expect(twice.err).toMatch(/already signed.*ERR_ALREADY_SIGNED/);
    const outsider = await refnet(["trust", "sign", "genesis.json", "--key", "eve.key"], asAdmin("eve"));
    expect(outsider.code).toBe(EXIT.failed);
    expect(outsider.err).toMatch(/ERR_NOT_ADMIN/);
    const wrongPass = await refnet(["trust", "sign", "genesis.json", "--key", "jonas.key"], asAdmin("amina"));
    expect(wrongPass.code).toBe(EXIT.failed);
    expect(wrongPass.err).toMatch(/wrong passphrase/);
    expect((await readList("genesis.json")).signatures).toHaveLength(1);

    const s2 = await refnet(["trust", "sign", "genesis.json", "--key", "jonas.key"], asAdmin("jonas"));
    expect(s2.code).toBe(EXIT.ok);
    expect(s2.out).toContain("Threshold met");
    const genesis = await readList("genesis.json");
    const pin = trustListDigest(genesis);
    const ok = await refnet(["trust", "verify", "genesis.json", "--genesis-sha256", pin]);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.out).toMatch(/^OK version 1 of med-net/);
    expect(ok.out).toContain("2 of 2 signatures needed from this list's own admins");
    const badPin = await refnet(["trust", "verify", "genesis.json", "--genesis-sha256", "0".repeat(64)]);
    expect(badPin.code).toBe(EXIT.failed);
    expect(badPin.out).toMatch(/REFUSED e\.t\.genesis-digest/);

    const partner = await partnerInit("ngo-north");
    const proposed = await refnet([
      "trust",
      "propose",
      "--from",
      "genesis.json",
      "--out",
      "v2.json",
      "--add-partner",
      partner,
      "--name",
      "North Migrant Support",
      "--country",
      "IT",
      "--roles",
      "origin,destination",
    ]);
    expect(proposed.code).toBe(EXIT.ok);
    expect(proposed.out).toContain("partner ngo-north added (IT, origin and destination)");
    const initOut = JSON.parse(await readFile(join(dir, partner), "utf8"));
    // The fingerprints the admins compare with the partner over the phone.
    for (const k of initOut.keys)
      expect(proposed.out).toContain(`ngo-north ${k.use}  ${formatFingerprint(k.kid)}`);

    for (const who of ["jonas", "amina"] as const) {
      const r = await refnet(
        ["trust", "sign", "v2.json", "--key", `${who}.key`, "--base", "genesis.json"],
        asAdmin(who),
      );
      expect(r.code).toBe(EXIT.ok);
      expect(r.out).toContain("partner ngo-north added");
    }
    const v2 = await refnet(["trust", "verify", "v2.json", "--base", "genesis.json"]);
    expect(v2.code).toBe(EXIT.ok);
    expect(v2.out).toContain("2 of 2 signatures needed from the admins of version 1");

    // The list is the JWS a node takes: the partner's keys as its `refnet init` printed them.
    const parsed = parseTrustList(await readList("v2.json"));
    if (!parsed.ok) throw new Error(parsed.detail);
    const north = parsed.payload.partners[0]!;
    expect(north.keys.map((k) => k.jwk)).toEqual(initOut.keys.map((k: { jwk: unknown }) => k.jwk));

    const diff = await refnet(["trust", "diff", "genesis.json", "v2.json"]);
    expect(diff.code).toBe(EXIT.ok);
    expect(diff.out.split("\n")).toEqual(
      expect.arrayContaining(["version 1 → 2", "partner ngo-north added (IT, origin and destination)"]),
    );
    const show = await refnet(["trust", "show", "v2.json"]);
    expect(show.code).toBe(EXIT.ok);
    expect(show.out).toMatch(/version\s+2/);
    expect(show.out).toMatch(/threshold\s+2 of 2 admins/);
    expect(show.out).toContain('ngo-north  "North Migrant Support"  IT  origin,destination  ACTIVE');
    expect(show.out).toMatch(/admin-amina\s+[0-9a-f]{4} [0-9a-f]{4}/);
    expect(show.out).toMatch(/sig {2}[0-9a-f]{4} [0-9a-f]{4}.* {2}from 20/);
  });

  it("refuses a tampered payload even though every signature is still there", async () => {
    const signed = await readList("v2.json");
    const payload = JSON.parse(Buffer.from(signed.payload, "base64url").toString("utf8"));
    payload.partners[0].status = "suspended";
    const tampered = { ...signed, payload: Buffer.from(JSON.stringify(payload)).toString("base64url") };
    await writeFile(join(dir, "tampered.json"), JSON.stringify(tampered));
    const r = await refnet(["trust", "verify", "tampered.json", "--base", "genesis.json"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.out).toMatch(/^REFUSED e\.t\.threshold: 0 of 2/);
  });

  it("rotates keys with an overlap, suspends, restores and revokes, and never restores a revoked partner", async () => {
    const now = Math.floor(Date.now() / 1000);
    const fresh = await generateOrgKeys();
    const keys = {
      orgId: "ngo-north",
      keys: [fresh.sig, fresh.enc].map((k) => ({ use: k.publicJwk.use, kid: k.kid, jwk: k.publicJwk })),
    };
    await writeFile(join(dir, "north-new-keys.json"), JSON.stringify(keys));
    const rot = await refnet([
      "trust",
      "propose",
      "--from",
      "v2.json",
      "--out",
      "v3.json",
      "--rotate-keys",
      "ngo-north",
      "--keys",
      "north-new-keys.json",
      "--overlap",
      "7d",
    ]);
    expect(rot.code).toBe(EXIT.ok);
    expect(rot.out).toContain(`partner ngo-north sig key ${fresh.sig.kid} added`);
    expect(rot.out).toMatch(/partner ngo-north sig key \S+ now valid from .* until /);
    const v3 = parseTrustListProposal(await readFile(join(dir, "v3.json"), "utf8"));
    if (!v3.ok) throw new Error(v3.detail);
    const old = v3.payload.partners[0]!.keys.filter((k) => k.notAfter !== undefined);
    expect(old).toHaveLength(2);
    for (const k of old) expect(Math.abs(k.notAfter! - (now + 7 * 86_400))).toBeLessThan(60);

    // A key file with a kid that does not match its key was altered on the way: refused.
    await writeFile(
      join(dir, "altered.json"),
      JSON.stringify({ keys: [{ ...keys.keys[0], kid: keys.keys[1]!.kid }, keys.keys[1]] }),
    );
    const altered = await refnet([
      "trust",
      "propose",
      "--from",
      "v2.json",
      "--out",
      "x.json",
      "--rotate-keys",
      "ngo-north",
      "--keys",
      "altered.json",
    ]);
    expect(altered.code).toBe(EXIT.failed);
    expect(altered.err).toMatch(/kid is not the thumbprint/);

    const revoke = await refnet([
      "trust",
      "propose",
      "--from",
      "v2.json",
      "--out",
      "rev.json",
      "--revoke",
      "ngo-north",
    ]);
    expect(revoke.code).toBe(EXIT.ok);
    expect(revoke.out).toContain("partner ngo-north status active → revoked");
    for (const who of ["amina", "jonas"] as const)
      expect((await refnet(["trust", "sign", "rev.json", "--key", `${who}.key`], asAdmin(who))).code).toBe(
        EXIT.ok,
      );
    const restore = await refnet([
      "trust",
      "propose",
      "--from",
      "rev.json",
      "--out",
      "x.json",
      "--restore",
      "ngo-north",
    ]);
    expect(restore.code).toBe(EXIT.failed);
    expect(restore.err).toMatch(/revoked; cannot restore.*ERR_TRUST_CHANGE_CONFLICT/);

    const none = await refnet(["trust", "propose", "--from", "v2.json", "--out", "x.json"]);
    expect(none.code).toBe(EXIT.usage);
    const overwrite = await refnet([
      "trust",
      "propose",
      "--from",
      "v2.json",
      "--out",
      "v2.json",
      "--suspend",
      "ngo-north",
    ]);
    expect(overwrite.code).toBe(EXIT.failed);
    expect(overwrite.err).toMatch(/already exists/);
  });

  it("an admin change needs the incoming quorum too; parallel signatures merge", async () => {
    const add = await refnet([
      "trust",
      "propose",
      "--from",
      "v2.json",
      "--out",
      "v3-admin.json",
      "--add-admin",
      "eve.key.pub.json",
      "--threshold",
      "3",
    ]);
    expect(add.code).toBe(EXIT.ok);
    for (const who of ["amina", "jonas"] as const)
      expect(
        (
          await refnet(
            ["trust", "sign", "v3-admin.json", "--key", `${who}.key`, "--base", "v2.json"],
            asAdmin(who),
          )
        ).code,
      ).toBe(EXIT.ok);
    const two = await refnet(["trust", "verify", "v3-admin.json", "--base", "v2.json"]);
    expect(two.code).toBe(EXIT.failed);
    expect(two.out).toMatch(/REFUSED e\.t\.new-admins-threshold: admins change: 2 of 3/);

    // Eve signs her own copy of the two-signature file; merging gives all three.
    const copy = canonicalTrustListJson(await readList("v3-admin.json"));
    await writeFile(join(dir, "eve-copy.json"), copy);
    const eve = await refnet(
      ["trust", "sign", "eve-copy.json", "--key", "eve.key", "--base", "v2.json"],
      asAdmin("eve"),
    );
    expect(eve.code).toBe(EXIT.ok);
    const merged = await refnet([
      "trust",
      "merge",
      "v3-admin.json",
      "eve-copy.json",
      "--out",
      "v3-merged.json",
    ]);
    expect(merged.code).toBe(EXIT.ok);
    const three = await refnet(["trust", "verify", "v3-merged.json", "--base", "v2.json"]);
    expect(three.code).toBe(EXIT.ok);
    expect(three.out).toContain("3 of 3 signatures needed from the new admins");
  });
});

describe("refnet trust publish (real nats-server)", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({ port: 0 });
  });
  afterAll(async () => {
    await server.stop();
    await server.cleanup();
  });

  async function bucketValue(): Promise<string | undefined> {
    const nc = await connect({ servers: server.url });
    try {
      const kv = await new Kvm(nc).open("refnet-med-net-trust");
      const status = await kv.status();
      expect(status.history).toBe(16);
      expect(status.streamInfo.config.storage).toBe("file");
      const entry = await kv.get("list");
      return entry?.string();
    } finally {
      await nc.close();
    }
  }

  it("refuses a list at 1 of 2 signatures, then publishes and updates the KV entry as nodes read it", async () => {
    for (const who of ["amina", "jonas"] as const)
      expect(
        (await refnet(["admin", "keygen", "--id", `p-${who}`, "--out", `p-${who}.key`], asAdmin(who))).code,
      ).toBe(EXIT.ok);
    await refnet([
      "trust",
      "init",
      "--network",
      "med-net",
      "--admin",
      "p-amina.key.pub.json",
      "--admin",
      "p-jonas.key.pub.json",
      "--threshold",
      "2",
      "--expires-in",
      "30d",
      "--out",
      "p-genesis.json",
    ]);
    expect(
      (await refnet(["trust", "sign", "p-genesis.json", "--key", "p-amina.key"], asAdmin("amina"))).code,
    ).toBe(EXIT.ok);
    const publishArgs = (file: string) => [
      "trust",
      "publish",
      file,
      "--nats",
      server.url,
      "--network",
      "med-net",
    ];

    const early = await refnet(publishArgs("p-genesis.json"));
    expect(early.code).toBe(EXIT.failed);
    expect(early.err).toMatch(/not published.*e\.t\.threshold: 1 of 2/);
    expect(await bucketValue()).toBeUndefined();

    expect(
      (await refnet(["trust", "sign", "p-genesis.json", "--key", "p-jonas.key"], asAdmin("jonas"))).code,
    ).toBe(EXIT.ok);
    const first = await refnet(publishArgs("p-genesis.json"));
    expect(first.code).toBe(EXIT.ok);
    expect(first.out).toContain("bucket holds no list yet");
    expect(first.out).toContain("published version 1 of med-net");
    const genesis = await readList("p-genesis.json");
    expect(await bucketValue()).toBe(canonicalTrustListJson(genesis));

    const again = await refnet(publishArgs("p-genesis.json"));
    expect(again.code).toBe(EXIT.ok);
    expect(again.out).toContain("nothing to do");

    const partner = await partnerInit("shelter-south");
    await refnet([
      "trust",
      "propose",
      "--from",
      "p-genesis.json",
      "--out",
      "p-v2.json",
      "--add-partner",
      partner,
      "--name",
      "Shelter South",
      "--country",
      "GR",
      "--roles",
      "destination",
    ]);
    expect(
      (await refnet(["trust", "sign", "p-v2.json", "--key", "p-amina.key"], asAdmin("amina"))).code,
    ).toBe(EXIT.ok);
    const half = await refnet(publishArgs("p-v2.json"));
    expect(half.code).toBe(EXIT.failed);
    expect(half.err).toMatch(/checked against the list in the bucket.*1 of 2/);
    const halfWithBase = await refnet([...publishArgs("p-v2.json"), "--base", "p-genesis.json"]);
    expect(halfWithBase.code).toBe(EXIT.failed);
    expect(halfWithBase.out).not.toContain("connecting");
    expect(await bucketValue()).toBe(canonicalTrustListJson(genesis));

    expect(
      (await refnet(["trust", "sign", "p-v2.json", "--key", "p-jonas.key"], asAdmin("jonas"))).code,
    ).toBe(EXIT.ok);
    const second = await refnet(publishArgs("p-v2.json"));
    expect(second.code).toBe(EXIT.ok);
    expect(second.out).toContain("bucket holds version 1");
    expect(second.out).toContain("published version 2 of med-net");
    const stored = await bucketValue();
    expect(stored).toBe(canonicalTrustListJson(await readList("p-v2.json")));
    const parsed = parseTrustList(stored!);
    expect(parsed.ok && parsed.payload.partners.map((p) => p.orgId)).toEqual(["shelter-south"]);

    // An older list is never written over a newer one.
    const rollback = await refnet(publishArgs("p-genesis.json"));
    expect(rollback.code).toBe(EXIT.failed);
    expect(rollback.err).toMatch(/already holds version 2/);
  });
});
