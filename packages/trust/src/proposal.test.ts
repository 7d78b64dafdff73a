import { describe, expect, it } from "vitest";
import { buildGenesisTrustList, buildNextTrustList, TrustChangeError } from "./changes.ts";
import { generateOrgKeys, generateSigningKeyPair, publicJwkOf } from "./keys.ts";
import { TRUST_PROBLEM_CODES } from "./problems.ts";
import {
  createTrustListProposal,
  mergeTrustListProposals,
  parseTrustListProposal,
  signTrustListProposal,
  trustPayloadDigest,
} from "./proposal.ts";
import { DAY, NOW } from "./test-support.ts";
import { acceptTrustList, verifyGenesis } from "./verify.ts";

async function genesis(admins = 2, threshold = 2) {
  const keys = await Promise.all(Array.from({ length: admins }, () => generateSigningKeyPair()));
  const payload = await buildGenesisTrustList({
    network: "med-net",
    admins: keys.map((k, i) => ({ id: `admin-${i}`, jwk: k.publicJwk })),
    threshold,
    issuedAt: NOW,
    expiresAt: NOW + 180 * DAY,
  });
  return { keys, payload };
}

describe("trust list proposals", () => {
  it("start unsigned, gain one signature per admin over the same bytes, and end as an acceptable list", async () => {
    const { keys, payload } = await genesis();
    expect(payload.admins.map((a) => Object.keys(a.jwk).sort())).toEqual([
      ["crv", "kty", "x"],
      ["crv", "kty", "x"],
    ]);
    const proposal = await createTrustListProposal(payload);
    expect(proposal.signatures).toEqual([]);
    const digest = trustPayloadDigest(proposal);
    const one = await signTrustListProposal(proposal, keys[0]!.privateJwk);
    const two = await signTrustListProposal(one, keys[1]!.privateJwk);
    expect(two.payload).toBe(proposal.payload);
    expect(trustPayloadDigest(two)).toBe(digest);
    expect(
      (await verifyGenesis(one, { adminJwks: keys.map((k) => k.publicJwk), threshold: 2 }, NOW)).ok,
    ).toBe(false);
    expect(
      (await verifyGenesis(two, { adminJwks: keys.map((k) => k.publicJwk), threshold: 2 }, NOW)).ok,
    ).toBe(true);
    await expect(signTrustListProposal(two, keys[0]!.privateJwk)).rejects.toMatchObject({
      code: TRUST_PROBLEM_CODES.duplicateSigner,
    });
  });

  it("refuses to sign a payload whose bytes are not in canonical form", async () => {
    const { keys, payload } = await genesis();
    // The same members, threshold first: valid JSON of the same payload, but not the bytes signTrustList makes.
    const { threshold, ...rest } = payload;
    const reordered = { threshold, ...rest };
    const proposal = {
      payload: Buffer.from(JSON.stringify(reordered)).toString("base64url"),
      signatures: [],
    };
    expect(parseTrustListProposal(proposal).ok).toBe(true);
    await expect(signTrustListProposal(proposal, keys[0]!.privateJwk)).rejects.toThrow(/canonical/);
  });

  it("parses strictly: extra members, unsigned headers and private keys are refused", async () => {
    const { payload } = await genesis();
    const proposal = await createTrustListProposal(payload);
    expect(parseTrustListProposal({ ...proposal, base: null }).ok).toBe(false);
    expect(
      parseTrustListProposal({ ...proposal, signatures: [{ protected: "e30", signature: "AA", header: {} }] })
        .ok,
    ).toBe(false);
    const leaked = { ...payload, admins: [{ id: "a", jwk: { ...payload.admins[0]!.jwk, d: "x" } }] };
    const bad = { payload: Buffer.from(JSON.stringify(leaked)).toString("base64url"), signatures: [] };
    const parsed = parseTrustListProposal(bad);
    expect(!parsed.ok && parsed.code).toBe(TRUST_PROBLEM_CODES.privateKey);
  });

  it("merges copies signed in parallel, and only copies of one payload", async () => {
    const { keys, payload } = await genesis();
    const proposal = await createTrustListProposal(payload);
    const a = await signTrustListProposal(proposal, keys[0]!.privateJwk);
    const b = await signTrustListProposal(proposal, keys[1]!.privateJwk);
    const merged = mergeTrustListProposals([a, b, a]);
    expect(merged.signatures).toHaveLength(2);
    expect(
      (await verifyGenesis(merged, { adminJwks: keys.map((k) => k.publicJwk), threshold: 2 }, NOW)).ok,
    ).toBe(true);
    const other = await createTrustListProposal({ ...payload, expiresAt: payload.expiresAt + 1 });
    expect(() => mergeTrustListProposals([a, other])).toThrow(/same payload/);
  });
});

describe("buildNextTrustList", () => {
  it("adds a partner, rotates its keys with an overlap, and every result is accepted over its predecessor", async () => {
    const { keys, payload } = await genesis();
    const sign = async (p: typeof payload) => {
      let s = await createTrustListProposal(p);
      for (const k of keys) s = await signTrustListProposal(s, k.privateJwk);
      return s;
    };
    const org = await generateOrgKeys();
    const v2 = await buildNextTrustList(
      payload,
      [
        {
          kind: "add-partner",
          partner: {
            orgId: "ngo-north",
            name: "North",
            country: "IT",
            roles: ["origin"],
            keys: [
              { use: "sig", jwk: org.sig.publicJwk },
              { use: "enc", jwk: org.enc.publicJwk },
            ],
          },
        },
      ],
      NOW + 10,
    );
    expect(v2.version).toBe(2);
    expect(v2.issuedAt).toBe(NOW + 10);
    expect(v2.expiresAt).toBe(payload.expiresAt);
    expect(v2.partners[0]!.keys.map((k) => k.jwk)).toEqual([
      publicJwkOf(org.sig.publicJwk),
      publicJwkOf(org.enc.publicJwk),
    ]);
    expect((await acceptTrustList(payload, await sign(v2), NOW + 20)).ok).toBe(true);

    const next = await generateOrgKeys();
    const v3 = await buildNextTrustList(
      v2,
      [
        {
          kind: "rotate-keys",
          orgId: "ngo-north",
          keys: [{ use: "sig", jwk: next.sig.publicJwk }],
          overlapSeconds: 7 * DAY,
        },
      ],
      NOW + 100,
    );
    const [oldSig, oldEnc, newSig] = v3.partners[0]!.keys;
    expect(oldSig!.notAfter).toBe(NOW + 100 + 7 * DAY);
    expect(oldEnc!.notAfter).toBeUndefined();
    expect(newSig!.notBefore).toBe(NOW + 100);
    expect((await acceptTrustList(v2, await sign(v3), NOW + 200)).ok).toBe(true);
  });

  it("refuses what does not fit the list", async () => {
    const { payload } = await genesis();
    const org = await generateOrgKeys();
    const partner = {
      orgId: "ngo-north",
      name: "North",
      country: "IT",
      roles: ["origin" as const],
      keys: [
        { use: "sig" as const, jwk: org.sig.publicJwk },
        { use: "enc" as const, jwk: org.enc.publicJwk },
      ],
    };
    await expect(
      buildNextTrustList(payload, [{ kind: "suspend", orgId: "nobody" }], NOW),
    ).rejects.toBeInstanceOf(TrustChangeError);
    await expect(
      buildNextTrustList(
        payload,
        [{ kind: "add-partner", partner: { ...partner, keys: partner.keys.slice(0, 1) } }],
        NOW,
      ),
    ).rejects.toThrow(/needs a signing \(sig\) and an encryption \(enc\) key/);
    await expect(
      buildNextTrustList(
        payload,
        [
          {
            kind: "add-partner",
            partner: { ...partner, keys: [{ use: "sig", jwk: org.sig.privateJwk }, partner.keys[1]!] },
          },
        ],
        NOW,
      ),
    ).rejects.toThrow(/private member d/);
    const v2 = await buildNextTrustList(payload, [{ kind: "add-partner", partner }], NOW);
    await expect(
      buildNextTrustList(v2, [{ kind: "add-partner", partner: { ...partner, orgId: "ngo-copy" } }], NOW),
    ).rejects.toThrow(/already listed for partner ngo-north/);
    const revoked = await buildNextTrustList(v2, [{ kind: "revoke", orgId: "ngo-north" }], NOW);
    await expect(
      buildNextTrustList(revoked, [{ kind: "restore", orgId: "ngo-north" }], NOW),
    ).rejects.toMatchObject({
      code: "ERR_TRUST_CHANGE_CONFLICT",
    });
    await expect(buildNextTrustList(payload, [{ kind: "remove-admin", id: "admin-0" }], NOW)).rejects.toThrow(
      /threshold/,
    );
    await expect(
      buildNextTrustList(payload, [{ kind: "threshold", threshold: 1 }], payload.expiresAt),
    ).rejects.toThrow(/expired/);
  });
});
