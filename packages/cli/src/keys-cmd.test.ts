// `refnet keys` on a partner's node key file, and the admins' side of its rotation request
// (`refnet trust propose --rotation-request`), with real key files and real signed trust lists.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, openNodeKeyStore } from "@refnet/node";
import {
  buildGenesisTrustList,
  buildNextTrustList,
  formatFingerprint,
  generateSigningKeyPair,
  type KeyPairJwk,
  parseTrustListProposal,
  publicJwkOf,
  signTrustList,
  type TrustListPayload,
  thumbprint,
} from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, type Io, run } from "./cli.ts";

const NETWORK = "med-net";
const ORG = "shelter-south";
const DAY = 86_400;
let dir: string;
let admins: KeyPairJwk[];
let now: number;

function io(at?: number) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    env: {},
    cwd: dir,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    ...(at !== undefined ? { now: () => at } : {}),
  };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

async function refnet(args: string[], at?: number) {
  const t = io(at);
  const code = await run(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

const node = (org: string) => ["--org", org, "--network", NETWORK, "--data-dir", join(dir, org)];

/** Writes a list signed by both admins and returns its payload. */
async function writeList(name: string, payload: TrustListPayload): Promise<TrustListPayload> {
  const signed = await signTrustList(
    payload,
    admins.map((a) => a.privateJwk),
  );
  await writeFile(join(dir, name), `${JSON.stringify(signed, null, 2)}\n`);
  return payload;
}

async function payloadOf(name: string): Promise<TrustListPayload> {
  const parsed = parseTrustListProposal(await readFile(join(dir, name), "utf8"));
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.payload;
}

let v1: TrustListPayload;
let initKeys: { use: "sig" | "enc"; kid: string; jwk: Record<string, string> }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refnet-keys-"));
  now = Math.floor(Date.now() / 1000);
  admins = [await generateSigningKeyPair(), await generateSigningKeyPair()];
  const init = await refnet(["init", ...node(ORG)]);
  expect(init.code, init.err).toBe(EXIT.ok);
  initKeys = JSON.parse(init.out).keys;
  const other = JSON.parse((await refnet(["init", ...node("ngo-north")])).out).keys;
  const genesis = await buildGenesisTrustList({
    network: NETWORK,
    admins: admins.map((a, i) => ({ id: `admin-${i}`, jwk: a.publicJwk })),
    threshold: 2,
    issuedAt: now - 60,
    expiresAt: now + 180 * DAY,
  });
  v1 = await writeList(
    "v1.json",
    await buildNextTrustList(
      genesis,
      [
        {
          kind: "add-partner",
          partner: {
            orgId: ORG,
            name: "Shelter South",
            country: "GR",
            roles: ["destination"],
            keys: initKeys,
          },
        },
        {
          kind: "add-partner",
          partner: { orgId: "ngo-north", name: "North", country: "IT", roles: ["origin"], keys: other },
        },
      ],
      now - 60,
    ),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("refnet keys", () => {
  it("shows the node's keys: held, without a list; active, with the list in force", async () => {
    const bare = await refnet(["keys", "show", ...node(ORG)]);
    expect(bare.code, bare.err).toBe(EXIT.ok);
    expect(bare.out).toMatch(/no trust list/);
    for (const k of initKeys)
      expect(bare.out).toMatch(new RegExp(`${k.use}\\s+HELD\\s+${formatFingerprint(k.kid)}`));
    const judged = await refnet(["keys", "show", ...node(ORG), "--trust-list", "v1.json"]);
    expect(judged.code, judged.err).toBe(EXIT.ok);
    expect(judged.out).toMatch(/version 2 of the med-net trust list/);
    for (const k of initKeys)
      expect(judged.out).toMatch(new RegExp(`${k.use}\\s+ACTIVE\\s+${formatFingerprint(k.kid)}`));
  });

  it("rotates: pending keys in the key file, a signed request with public keys only, the admins' proposal", async () => {
    const r = await refnet([
      "keys",
      "rotate",
      ...node(ORG),
      "--trust-list",
      "v1.json",
      "--overlap",
      "3d",
      "--out",
      "rotation.jws",
    ]);
    expect(r.code, r.err).toBe(EXIT.ok);
    const request = (await readFile(join(dir, "rotation.jws"), "utf8")).trim();
    expect(request).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const store = await openNodeKeyStore(
      loadConfig({ REFNET_ORG_ID: ORG, REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, ORG) }, dir),
    );
    const pending = store.keys().filter((k) => k.pending);
    expect(pending.map((k) => k.use).sort()).toEqual(["enc", "sig"]);
    for (const k of pending) expect(r.out).toContain(formatFingerprint(k.kid));
    expect(store.rotation()?.request).toBe(request);
    // The node still signs with the key the list lists.
    expect(store.signingKey().kid).toBe(initKeys.find((k) => k.use === "sig")!.kid);
    // Nothing private left the key file: the request holds exactly the two new public keys.
    const payload = JSON.parse(Buffer.from(request.split(".")[1]!, "base64url").toString("utf8"));
    expect(payload.keys.map((k: { jwk: object }) => Object.keys(k.jwk).sort())).toEqual([
      ["crv", "kty", "x"],
      ["crv", "kty", "x"],
    ]);
    expect(payload).toMatchObject({ v: 1, network: NETWORK, orgId: ORG, overlap: 3 * DAY });
    expect(request).not.toMatch(/"d"/);
    expect(Buffer.from(request.split(".")[1]!, "base64url").toString("utf8")).not.toMatch(/"d"/);

    const show = await refnet(["keys", "show", ...node(ORG), "--trust-list", "v1.json"]);
    for (const k of pending)
      expect(show.out).toMatch(new RegExp(`${k.use}\\s+PENDING\\s+${formatFingerprint(k.kid)}`));
    expect(show.out).toMatch(/rotation requested/);

    // A second rotation is refused while this one is pending; the request can be written again.
    const again = await refnet([
      "keys",
      "rotate",
      ...node(ORG),
      "--trust-list",
      "v1.json",
      "--out",
      "again.jws",
    ]);
    expect(again.code).toBe(EXIT.failed);
    expect(again.err).toMatch(/still pending/);
    const copy = await refnet(["keys", "request", ...node(ORG), "--out", "copy.jws"]);
    expect(copy.code, copy.err).toBe(EXIT.ok);
    expect((await readFile(join(dir, "copy.jws"), "utf8")).trim()).toBe(request);

    // The admins' side: verified against the list in force, turned into the next version.
    const p = await refnet([
      "trust",
      "propose",
      "--from",
      "v1.json",
      "--out",
      "v2.json",
      "--rotation-request",
      "rotation.jws",
    ]);
    expect(p.code, p.err).toBe(EXIT.ok);
    expect(p.out).toMatch(
      new RegExp(`rotation request of ${ORG}, signed .* with its listed signing key .*: OK`),
    );
    const v2 = await payloadOf("v2.json");
    const keys = await Promise.all(
      v2.partners
        .find((x) => x.orgId === ORG)!
        .keys.map(async (k) => ({
          use: k.use,
          kid: await thumbprint(publicJwkOf(k.jwk)),
          notBefore: k.notBefore,
          notAfter: k.notAfter,
        })),
    );
    expect(
      keys
        .filter((k) => k.notAfter !== undefined)
        .map((k) => k.kid)
        .sort(),
    ).toEqual(initKeys.map((k) => k.kid).sort());
    for (const k of keys.filter((x) => x.notAfter !== undefined))
      expect(k.notAfter).toBe(v2.issuedAt + 3 * DAY);
    expect(
      keys
        .filter((k) => k.notAfter === undefined)
        .map((k) => k.kid)
        .sort(),
    ).toEqual(pending.map((k) => k.kid).sort());
    for (const k of keys.filter((x) => x.notAfter === undefined)) expect(k.notBefore).toBe(v2.issuedAt);
    // `trust diff` says it in words.
    const diff = await refnet(["trust", "diff", "v1.json", "v2.json"]);
    for (const k of pending)
      expect(diff.out).toMatch(new RegExp(`partner ${ORG} ${k.use} key ${k.kid} added`));
    for (const k of initKeys)
      expect(diff.out).toMatch(new RegExp(`partner ${ORG} ${k.use} key ${k.kid} now valid from .* until`));
    // An admin-chosen overlap and start.
    const start = new Date((now + 2 * DAY) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    const p2 = await refnet([
      "trust",
      "propose",
      "--from",
      "v1.json",
      "--out",
      "v2-later.json",
      "--rotation-request",
      "rotation.jws",
      "--overlap",
      "1d",
      "--not-before",
      start,
    ]);
    expect(p2.code, p2.err).toBe(EXIT.ok);
    const later = (await payloadOf("v2-later.json")).partners.find((x) => x.orgId === ORG)!.keys;
    expect(later.map((k) => [k.notBefore, k.notAfter])).toEqual([
      [v1.issuedAt, now + 3 * DAY],
      [v1.issuedAt, now + 3 * DAY],
      [now + 2 * DAY, undefined],
      [now + 2 * DAY, undefined],
    ]);

    // Once the list is in force, the node's view: new keys active, old ones retiring.
    await writeList("v2-signed.json", v2);
    const after = await refnet(["keys", "show", ...node(ORG), "--trust-list", "v2-signed.json"]);
    for (const k of pending)
      expect(after.out).toMatch(new RegExp(`${k.use}\\s+ACTIVE\\s+${formatFingerprint(k.kid)}`));
    for (const k of initKeys)
      expect(after.out).toMatch(new RegExp(`${k.use}\\s+RETIRING\\s+${formatFingerprint(k.kid)}`));
    expect(after.out).not.toMatch(/rotation requested/);
  });

  it("refuses requests the admins must not act on", async () => {
    const propose = (out: string, request: string, at?: number) =>
      refnet(["trust", "propose", "--from", "v1.json", "--out", out, "--rotation-request", request], at);
    // Stale: more than 14 days later.
    const stale = await propose("x1.json", "rotation.jws", now + 15 * DAY);
    expect(stale.code).toBe(EXIT.failed);
    expect(stale.err).toMatch(/\[e\.k\.stale\]/);
    // Signed by another partner's key (its own request, relabelled): the org does not match.
    const north = await refnet([
      "keys",
      "rotate",
      ...node("ngo-north"),
      "--trust-list",
      "v1.json",
      "--out",
      "north.jws",
    ]);
    expect(north.code, north.err).toBe(EXIT.ok);
    const text = (await readFile(join(dir, "north.jws"), "utf8")).trim();
    const [h, body, s] = text.split(".");
    const relabelled = JSON.parse(Buffer.from(body!, "base64url").toString("utf8"));
    relabelled.orgId = ORG;
    await writeFile(
      join(dir, "relabelled.jws"),
      `${h}.${Buffer.from(JSON.stringify(relabelled)).toString("base64url")}.${s}\n`,
    );
    const forged = await propose("x2.json", "relabelled.jws");
    expect(forged.code).toBe(EXIT.failed);
    expect(forged.err).toMatch(/\[e\.k\.signature\]/);
    // A list of another network.
    const otherNet = await writeList("other-net.json", { ...v1, network: "other-net" });
    expect(otherNet.network).toBe("other-net");
    const wrongNet = await refnet([
      "trust",
      "propose",
      "--from",
      "other-net.json",
      "--out",
      "x3.json",
      "--rotation-request",
      "north.jws",
    ]);
    expect(wrongNet.code).toBe(EXIT.failed);
    expect(wrongNet.err).toMatch(/\[e\.k\.network\]/);
    // Not a request at all; and one rotation per proposal.
    await writeFile(join(dir, "junk.jws"), "hello\n");
    expect((await propose("x4.json", "junk.jws")).err).toMatch(/\[e\.k\.malformed\]/);
    const both = await refnet([
      "trust",
      "propose",
      "--from",
      "v1.json",
      "--out",
      "x5.json",
      "--rotation-request",
      "north.jws",
      "--rotate-keys",
      ORG,
      "--keys",
      "whatever.json",
    ]);
    expect(both.code).toBe(EXIT.usage);
  });

  it("starts over with --replace, retiring the abandoned keys", async () => {
    const before = await openNodeKeyStore(
      loadConfig(
        { REFNET_ORG_ID: "ngo-north", REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "ngo-north") },
        dir,
      ),
    );
    const abandoned = before.rotation()!;
    const r = await refnet([
      "keys",
      "rotate",
      ...node("ngo-north"),
      "--trust-list",
      "v1.json",
      "--out",
      "north-2.jws",
      "--replace",
    ]);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.out).toContain(`abandoned pending key ${formatFingerprint(abandoned.sigKid)} (retired)`);
    const after = await openNodeKeyStore(
      loadConfig(
        { REFNET_ORG_ID: "ngo-north", REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "ngo-north") },
        dir,
      ),
    );
    expect(after.keys().find((k) => k.kid === abandoned.sigKid)?.retiredAt).toBeDefined();
    expect(after.rotation()?.sigKid).not.toBe(abandoned.sigKid);
    // An existing --out is never overwritten, and nothing is recorded then.
    const clash = await refnet([
      "keys",
      "rotate",
      ...node("ngo-north"),
      "--trust-list",
      "v1.json",
      "--out",
      "north-2.jws",
      "--replace",
    ]);
    expect(clash.code).toBe(EXIT.failed);
    expect(clash.err).toMatch(/already exists/);
    const unchanged = await openNodeKeyStore(
      loadConfig(
        { REFNET_ORG_ID: "ngo-north", REFNET_NETWORK: NETWORK, REFNET_DATA_DIR: join(dir, "ngo-north") },
        dir,
      ),
    );
    expect(unchanged.rotation()).toEqual(after.rotation());
  });
});
