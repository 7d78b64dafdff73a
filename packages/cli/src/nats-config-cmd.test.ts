// `refnet trust nats-config`: the broker configuration written from a trust list is accepted by the
// real nats-server, gives active partners a user each, and leaves suspended or revoked ones out.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNatsServerBinary } from "@refnet/dev-env";
import { buildNextTrustList, createTestNetworkTrust, signTrustList } from "@refnet/trust";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, type Io, run } from "./cli.ts";

let dir: string;

async function refnet(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { env: {}, cwd: dir, out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await run(args, io);
  return { code, out: out.join(""), err: err.join("") };
}

describe("refnet trust nats-config", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "refnet-nats-config-"));
    const net = await createTestNetworkTrust({
      network: "med-net",
      orgs: [
        { orgId: "ngo-north", name: "North NGO", country: "NG", roles: ["origin"] },
        { orgId: "shelter-south", name: "South Shelter", country: "IT", roles: ["destination"] },
        { orgId: "legal-east", name: "East Legal Aid", country: "GR", roles: ["destination"] },
      ],
    });
    const now = Math.floor(Date.now() / 1000);
    const next = await buildNextTrustList(net.payload, [{ kind: "revoke", orgId: "legal-east" }], now);
    const signed = await signTrustList(
      next,
      net.adminKeys.slice(0, 2).map((k) => k.privateJwk),
    );
    await writeFile(join(dir, "list.json"), JSON.stringify(signed));
    await writeFile(
      join(dir, "credentials.json"),
      JSON.stringify({
        admin: { user: "refnet-admin", password: "admin-password-long-enough" },
        orgs: {
          "ngo-north": { password: "north-password-long-enough" },
          "shelter-south": { password: "south-password-long-enough" },
        },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a configuration nats-server accepts, with users for the active partners only", async () => {
    const res = await refnet([
      "trust",
      "nats-config",
      "list.json",
      "--credentials",
      "credentials.json",
      "--out",
      "nats.conf",
      "--store-dir",
      join(dir, "js"),
    ]);
    expect(res.err).toBe("");
    expect(res.code).toBe(EXIT.ok);
    const file = join(dir, "nats.conf");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, "utf8");
    expect(text).toContain("ngo-north");
    expect(text).toContain("shelter-south");
    // The revoked partner has no user: it cannot even connect.
    expect(text).not.toMatch(/user:\s*"?legal-east/);
    const check = spawnSync(findNatsServerBinary(), ["-t", "-c", file], { encoding: "utf8" });
    expect(`${check.stdout}${check.stderr}`).toMatch(/configuration file .* is valid/i);
    expect(check.status).toBe(0);
  });

  it("refuses when an active partner has no credential, and never overwrites a file", async () => {
    await writeFile(
      join(dir, "partial.json"),
      JSON.stringify({
        admin: { user: "refnet-admin", password: "admin-password-long-enough" },
        orgs: { "ngo-north": { password: "north-password-long-enough" } },
      }),
    );
    const missing = await refnet([
      "trust",
      "nats-config",
      "list.json",
      "--credentials",
      "partial.json",
      "--out",
      "other.conf",
    ]);
    expect(missing.code).not.toBe(EXIT.ok);
    expect(missing.err).toMatch(/shelter-south/);
    const again = await refnet([
      "trust",
      "nats-config",
      "list.json",
      "--credentials",
      "credentials.json",
      "--out",
      "nats.conf",
    ]);
    expect(again.code).not.toBe(EXIT.ok);
  });
});
