import { describe, expect, it } from "vitest";
import { trustListDigest } from "./digest.ts";
import { createTestNetworkTrust } from "./fixtures.ts";
import type { TrustList } from "./trust-list.ts";
import { verifyGenesis } from "./verify.ts";

describe("createTestNetworkTrust", () => {
  it("builds a genesis list with real keys that verifyGenesis accepts both ways", async () => {
    const now = 1_800_000_000;
    const net = await createTestNetworkTrust({
      network: "demo-net",
      orgs: [
        { orgId: "ngo-es", name: "Acogida Sur", country: "ES", roles: ["origin"] },
        { orgId: "shelter-gr", name: "Shelter Athens", country: "GR", roles: ["destination"] },
      ],
      nowSeconds: now,
    });
    expect(net.adminKeys).toHaveLength(3);
    expect(net.payload).toMatchObject({ v: 1, network: "demo-net", version: 1, issuedAt: now, threshold: 2 });
    expect(net.payload.expiresAt).toBe(now + 30 * 24 * 3600);
    expect(net.signed.signatures).toHaveLength(3);
    expect(JSON.stringify(net.payload)).not.toContain('"d"');

    const byKeys = await verifyGenesis(
      net.signed,
      { adminJwks: net.adminKeys.map((k) => k.publicJwk), threshold: 2 },
      now,
    );
    const byDigest = await verifyGenesis(net.signed, { sha256: trustListDigest(net.signed) }, now);
    expect(byKeys.ok && byDigest.ok).toBe(true);
    const list = byKeys.ok ? byKeys.list : (undefined as never as TrustList);

    const es = net.orgKeys["ngo-es"]!;
    expect(list.signerKey(es.sig.kid)).toMatchObject({ orgId: "ngo-es", status: "active" });
    expect(list.encryptionKeyFor("shelter-gr", now)?.kid).toBe(net.orgKeys["shelter-gr"]!.enc.kid);
    expect(es.sig.privateJwk.d).toEqual(expect.any(String));
  });

  it("honours admins, threshold and lifetime", async () => {
    const net = await createTestNetworkTrust({
      network: "demo-net",
      orgs: [{ orgId: "ngo-es", name: "Acogida Sur", country: "ES", roles: ["origin"] }],
      admins: 5,
      threshold: 3,
      lifetimeSeconds: 3600,
      nowSeconds: 1000,
    });
    expect(net.payload.admins.map((a) => a.id)).toEqual([
      "admin-1",
      "admin-2",
      "admin-3",
      "admin-4",
      "admin-5",
    ]);
    expect(net.payload.threshold).toBe(3);
    expect(net.payload.expiresAt).toBe(4600);
  });
});
