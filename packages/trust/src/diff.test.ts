import { beforeAll, describe, expect, it } from "vitest";
import { describeTrustListChange, okpThumbprintSync } from "./diff.ts";
import type { TestNetworkTrust } from "./fixtures.ts";
import { generateEncryptionKeyPair, generateSigningKeyPair, publicJwkOf, thumbprint } from "./keys.ts";
import { NOW, nextPayload, testNetwork } from "./test-support.ts";

let net: TestNetworkTrust;
beforeAll(async () => {
  net = await testNetwork();
});

describe("okpThumbprintSync", () => {
  it("equals jose's RFC 7638 thumbprint for Ed25519 and X25519 keys", async () => {
    for (let i = 0; i < 10; i++) {
      const key = i % 2 ? await generateSigningKeyPair() : await generateEncryptionKeyPair();
      expect(okpThumbprintSync(key.publicJwk)).toBe(await thumbprint(key.publicJwk));
    }
  });
});

describe("describeTrustListChange", () => {
  it("says nothing but the version for a re-issue with the same expiry", () => {
    const to = { ...net.payload, version: 2 };
    expect(describeTrustListChange(net.payload, to)).toEqual(["version 1 → 2"]);
  });

  it("describes partners added, removed, changed, and their keys", async () => {
    const newSig = await generateSigningKeyPair();
    const newEnc = await generateEncryptionKeyPair();
    const to = nextPayload(net.payload, { expiresAt: NOW + 60 * 86400 });
    to.partners = to.partners.filter((p) => p.orgId !== "legal-it");
    to.partners.push({
      orgId: "shelter-tr",
      name: "Sığınma Evi",
      country: "TR",
      roles: ["destination"],
      status: "active",
      keys: [{ use: "sig", jwk: publicJwkOf(newSig.publicJwk), notBefore: NOW }],
    });
    const es = to.partners.find((p) => p.orgId === "ngo-es")!;
    es.status = "revoked";
    es.name = "Acogida Sur (ES)";
    es.roles = ["origin", "destination"];
    const gr = to.partners.find((p) => p.orgId === "shelter-gr")!;
    const oldEnc = gr.keys[1]!;
    gr.keys[1] = { use: "enc", jwk: publicJwkOf(newEnc.publicJwk), notBefore: NOW };
    gr.keys[0]!.notAfter = NOW + 86400;

    const grSig = net.orgKeys["shelter-gr"]!.sig.kid;
    const grOldEnc = await thumbprint(oldEnc.jwk);
    expect(describeTrustListChange(net.payload, to)).toEqual([
      "version 1 → 2",
      'partner ngo-es name "Acogida Sur" → "Acogida Sur (ES)"',
      "partner ngo-es roles origin → origin and destination",
      "partner ngo-es status active → revoked",
      `partner shelter-gr sig key ${grSig} now valid from 2025-06-15T15:01:40Z until 2025-06-16T15:06:40Z (was valid from 2025-06-15T15:01:40Z)`,
      `partner shelter-gr enc key ${newEnc.kid} added (valid from 2025-06-15T15:06:40Z)`,
      `partner shelter-gr enc key ${grOldEnc} removed`,
      "partner shelter-tr added (TR, destination)",
      `partner shelter-tr sig key ${newSig.kid} added (valid from 2025-06-15T15:06:40Z)`,
      "partner legal-it removed",
      "expiry extended to 2025-08-14T15:06:40Z",
    ]);
  });

  it("describes admin and threshold changes by key", async () => {
    const added = await generateSigningKeyPair();
    const to = nextPayload(net.payload, { threshold: 3, expiresAt: net.payload.expiresAt - 1 });
    const removed = to.admins.pop()!;
    to.admins.push({ id: "admin-9", jwk: publicJwkOf(added.publicJwk) });
    to.admins[0] = { ...to.admins[0]!, id: "amina" };
    const [k1, , k3] = net.adminKeys.map((k) => k.kid);
    expect(await thumbprint(removed.jwk)).toBe(k3);
    expect(describeTrustListChange(net.payload, to)).toEqual([
      "version 1 → 2",
      "threshold 2 → 3",
      `admin key ${k1} renamed admin-1 → amina`,
      `admin added admin-9 (key ${added.kid})`,
      `admin removed admin-3 (key ${k3})`,
      "expiry brought forward to 2025-07-15T15:06:39Z",
    ]);
  });

  it("mentions a partner added in another status", () => {
    const to = nextPayload(net.payload, { expiresAt: net.payload.expiresAt });
    to.partners.push({
      orgId: "ngo-pt",
      name: "Casa",
      country: "PT",
      roles: ["origin"],
      status: "suspended",
      keys: [],
    });
    expect(describeTrustListChange(net.payload, to)).toEqual([
      "version 1 → 2",
      "partner ngo-pt added (PT, origin, suspended)",
    ]);
  });
});
