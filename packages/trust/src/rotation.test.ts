import { createPrivateKey, sign as cryptoSign } from "node:crypto";
import { importJWK, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { buildNextTrustList } from "./changes.ts";
import type { TestNetworkTrust } from "./fixtures.ts";
import { generateOrgKeys, generateSigningKeyPair, type KeyPairJwk, publicJwkOf, thumbprint } from "./keys.ts";
import {
  KEY_ROTATION_PROBLEM_CODES as CODES,
  createKeyRotationRequest,
  KEY_ROTATION_TYP,
  KeyRotationError,
  MAX_ROTATION_REQUEST_AGE_SECONDS,
  verifyKeyRotationRequest,
} from "./rotation.ts";
import { DAY, encodeJson, NOW, testNetwork } from "./test-support.ts";
import type { TrustListPayload } from "./types.ts";

const ORG = "shelter-gr";
let net: TestNetworkTrust;
let fresh: { sig: KeyPairJwk; enc: KeyPairJwk };

beforeAll(async () => {
  net = await testNetwork();
  fresh = await generateOrgKeys();
});

async function signer(pair: KeyPairJwk) {
  return { kid: pair.kid, key: (await importJWK(pair.privateJwk, "EdDSA")) as CryptoKey };
}

async function request(
  over: Partial<{ orgId: string; network: string; overlapSeconds: number; nowSeconds: number }> = {},
  by: KeyPairJwk = net.orgKeys[ORG]!.sig,
) {
  return createKeyRotationRequest(
    {
      network: net.payload.network,
      orgId: ORG,
      sig: fresh.sig.publicJwk,
      enc: fresh.enc.publicJwk,
      overlapSeconds: 7 * DAY,
      nowSeconds: NOW,
      ...over,
    },
    await signer(by),
  );
}

/**
 * A compact JWS over any header and payload, signed by `pair`: what a buggy or hostile peer could send.
 * Signed with node:crypto's Ed25519 directly, since jose refuses to make some of these headers.
 */
async function raw(header: Record<string, unknown>, payload: unknown, pair: KeyPairJwk): Promise<string> {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  const key = createPrivateKey({ key: { ...pair.privateJwk }, format: "jwk" });
  return `${input}.${cryptoSign(null, Buffer.from(input), key).toString("base64url")}`;
}

function withPartner(
  list: TrustListPayload,
  orgId: string,
  change: (p: TrustListPayload["partners"][number]) => void,
) {
  const copy = structuredClone(list);
  change(copy.partners.find((p) => p.orgId === orgId)!);
  return copy;
}

describe("key rotation requests", () => {
  it("verify against the list in force when signed by the partner's listed signing key", async () => {
    const jws = await request();
    const res = await verifyKeyRotationRequest(jws, net.payload, NOW + 60);
    expect(res).toEqual({
      ok: true,
      signerKid: net.orgKeys[ORG]!.sig.kid,
      request: {
        v: 1,
        network: net.payload.network,
        orgId: ORG,
        keys: [
          { use: "sig", kid: fresh.sig.kid, jwk: publicJwkOf(fresh.sig.publicJwk) },
          { use: "enc", kid: fresh.enc.kid, jwk: publicJwkOf(fresh.enc.publicJwk) },
        ],
        overlap: 7 * DAY,
        iat: NOW,
      },
    });
    // Only public members travel, and the header is exactly alg, kid, typ.
    expect(jws).not.toMatch(/"d"/);
    const header = JSON.parse(Buffer.from(jws.split(".")[0]!, "base64url").toString("utf8"));
    expect(header).toEqual({ alg: "EdDSA", kid: net.orgKeys[ORG]!.sig.kid, typ: KEY_ROTATION_TYP });
    // White space around the file's content does not matter.
    expect((await verifyKeyRotationRequest(`\n${jws}\n`, net.payload, NOW)).ok).toBe(true);
  });

  it("refuses a request signed by a key that is not the partner's listed signing key", async () => {
    const stranger = await generateSigningKeyPair();
    expect(await verifyKeyRotationRequest(await request({}, stranger), net.payload, NOW)).toMatchObject({
      ok: false,
      code: CODES.signer,
    });
    // Its encryption key cannot sign for it either.
    const encAsSig = { ...net.orgKeys[ORG]!.enc };
    const res = await verifyKeyRotationRequest(
      await raw(
        { alg: "EdDSA", kid: encAsSig.kid, typ: KEY_ROTATION_TYP },
        { v: 1 },
        await generateSigningKeyPair(),
      ),
      net.payload,
      NOW,
    );
    expect(res).toMatchObject({ ok: false, code: CODES.signer });
    // An admin key is not a partner signing key.
    expect(
      await verifyKeyRotationRequest(await request({}, net.adminKeys[0]!), net.payload, NOW),
    ).toMatchObject({ ok: false, code: CODES.signer });
  });

  it("refuses a request another partner signed for this one, or one for another network", async () => {
    const other = net.orgKeys["legal-it"]!.sig;
    expect(await verifyKeyRotationRequest(await request({}, other), net.payload, NOW)).toMatchObject({
      ok: false,
      code: CODES.org,
    });
    expect(
      await verifyKeyRotationRequest(await request({ network: "other-net" }), net.payload, NOW),
    ).toMatchObject({ ok: false, code: CODES.network });
  });

  it("refuses a stale request, and one from the future beyond the clock skew", async () => {
    const jws = await request();
    expect(
      (await verifyKeyRotationRequest(jws, net.payload, NOW + MAX_ROTATION_REQUEST_AGE_SECONDS)).ok,
    ).toBe(true);
    expect(
      await verifyKeyRotationRequest(jws, net.payload, NOW + MAX_ROTATION_REQUEST_AGE_SECONDS + 1),
    ).toMatchObject({ ok: false, code: CODES.stale });
    expect((await verifyKeyRotationRequest(jws, net.payload, NOW - 300)).ok).toBe(true);
    expect(await verifyKeyRotationRequest(jws, net.payload, NOW - 301)).toMatchObject({
      ok: false,
      code: CODES.future,
    });
  });

  it("refuses a request signed by a key the list has ended, whatever iat it claims", async () => {
    const ended = withPartner(net.payload, ORG, (p) => {
      p.keys[0]!.notAfter = NOW + DAY;
    });
    const jws = await request();
    expect((await verifyKeyRotationRequest(jws, ended, NOW + DAY - 1)).ok).toBe(true);
    expect(await verifyKeyRotationRequest(jws, ended, NOW + DAY)).toMatchObject({
      ok: false,
      code: CODES.signer,
    });
  });

  it("refuses a revoked partner's request", async () => {
    const revoked = withPartner(net.payload, ORG, (p) => {
      p.status = "revoked";
    });
    expect(await verifyKeyRotationRequest(await request(), revoked, NOW)).toMatchObject({
      ok: false,
      code: CODES.org,
    });
  });

  it("refuses a tampered request, a wrong header and a header that names its own key", async () => {
    const jws = await request();
    const [h, , s] = jws.split(".");
    const altered = encodeJson({
      v: 1,
      network: net.payload.network,
      orgId: ORG,
      keys: [
        {
          use: "sig",
          kid: net.orgKeys["legal-it"]!.sig.kid,
          jwk: publicJwkOf(net.orgKeys["legal-it"]!.sig.publicJwk),
        },
        { use: "enc", kid: fresh.enc.kid, jwk: publicJwkOf(fresh.enc.publicJwk) },
      ],
      overlap: 7 * DAY,
      iat: NOW,
    });
    expect(await verifyKeyRotationRequest(`${h}.${altered}.${s}`, net.payload, NOW)).toMatchObject({
      ok: false,
      code: CODES.signature,
    });
    const own = net.orgKeys[ORG]!.sig;
    const payload = JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8"));
    for (const header of [
      { alg: "EdDSA", kid: own.kid, typ: "JWT" },
      { alg: "EdDSA", kid: own.kid },
      { alg: "EdDSA", kid: own.kid, typ: KEY_ROTATION_TYP, jwk: publicJwkOf(own.publicJwk) },
      { alg: "EdDSA", kid: own.kid, typ: KEY_ROTATION_TYP, crit: ["exp"], exp: 1 },
      { alg: "EdDSA", kid: "not-a-kid", typ: KEY_ROTATION_TYP },
    ])
      expect(await verifyKeyRotationRequest(await raw(header, payload, own), net.payload, NOW)).toMatchObject(
        {
          ok: false,
          code: CODES.header,
        },
      );
    for (const junk of ["", "a.b", "not a jws", `${h}.${s}`, "x".repeat(20_000)])
      expect(await verifyKeyRotationRequest(junk, net.payload, NOW)).toMatchObject({
        ok: false,
        code: CODES.malformed,
      });
  });

  it("refuses a well-signed payload that is not exactly the request's shape", async () => {
    const own = net.orgKeys[ORG]!.sig;
    const header = { alg: "EdDSA", kid: own.kid, typ: KEY_ROTATION_TYP };
    const good = JSON.parse(Buffer.from((await request()).split(".")[1]!, "base64url").toString("utf8"));
    const privateEnc: JWK = { ...publicJwkOf(fresh.enc.publicJwk), d: fresh.enc.privateJwk.d };
    const cases: [string, unknown][] = [
      ["an unknown member", { ...good, note: "hello" }],
      ["v 2", { ...good, v: 2 }],
      ["keys in the wrong order", { ...good, keys: [good.keys[1], good.keys[0]] }],
      ["one key only", { ...good, keys: [good.keys[0]] }],
      ["a private key", { ...good, keys: [good.keys[0], { ...good.keys[1], jwk: privateEnc }] }],
      [
        "a kid that is not the thumbprint",
        { ...good, keys: [{ ...good.keys[0], kid: fresh.enc.kid }, good.keys[1]] },
      ],
      ["an X25519 key as sig", { ...good, keys: [{ ...good.keys[1], use: "sig" }, good.keys[1]] }],
      ["a negative overlap", { ...good, overlap: -1 }],
      ["an overlap of a year", { ...good, overlap: 365 * DAY }],
      ["a fractional iat", { ...good, iat: NOW + 0.5 }],
      ["an org id with a dot", { ...good, orgId: "shelter.gr" }],
    ];
    for (const [what, payload] of cases) {
      const res = await verifyKeyRotationRequest(await raw(header, payload, own), net.payload, NOW);
      expect(res, what).toMatchObject({ ok: false, code: CODES.malformed });
    }
  });

  it("refuses new keys that are already in the list", async () => {
    const reused = await createKeyRotationRequest(
      {
        network: net.payload.network,
        orgId: ORG,
        sig: fresh.sig.publicJwk,
        enc: net.orgKeys["ngo-es"]!.enc.publicJwk,
        overlapSeconds: DAY,
        nowSeconds: NOW,
      },
      await signer(net.orgKeys[ORG]!.sig),
    );
    expect(await verifyKeyRotationRequest(reused, net.payload, NOW)).toMatchObject({
      ok: false,
      code: CODES.keys,
    });
  });

  it("is never made for input the admins would refuse", async () => {
    await expect(request({ overlapSeconds: -5 })).rejects.toBeInstanceOf(KeyRotationError);
    await expect(request({ orgId: "Shelter GR" })).rejects.toMatchObject({ code: CODES.malformed });
    // A request may not carry the key that signs it.
    await expect(
      createKeyRotationRequest(
        {
          network: net.payload.network,
          orgId: ORG,
          sig: net.orgKeys[ORG]!.sig.publicJwk,
          enc: fresh.enc.publicJwk,
          overlapSeconds: DAY,
          nowSeconds: NOW,
        },
        await signer(net.orgKeys[ORG]!.sig),
      ),
    ).rejects.toMatchObject({ code: CODES.keys });
  });

  it("turns into the next list: new keys from now (or a given time), old keys ending after the overlap", async () => {
    const res = await verifyKeyRotationRequest(await request(), net.payload, NOW);
    if (!res.ok) throw new Error(res.detail);
    const change = {
      kind: "rotate-keys" as const,
      orgId: ORG,
      keys: res.request.keys,
      overlapSeconds: 3 * DAY,
    };
    const next = await buildNextTrustList(net.payload, [change], NOW + 100);
    const keys = await Promise.all(
      next.partners
        .find((p) => p.orgId === ORG)!
        .keys.map(async (k) => [k.use, await thumbprint(publicJwkOf(k.jwk)), k.notBefore, k.notAfter]),
    );
    const old = net.orgKeys[ORG]!;
    const start = net.payload.partners.find((p) => p.orgId === ORG)!.keys[0]!.notBefore;
    expect(keys).toEqual([
      ["sig", old.sig.kid, start, NOW + 100 + 3 * DAY],
      ["enc", old.enc.kid, start, NOW + 100 + 3 * DAY],
      ["sig", fresh.sig.kid, NOW + 100, undefined],
      ["enc", fresh.enc.kid, NOW + 100, undefined],
    ]);
    const later = await buildNextTrustList(net.payload, [{ ...change, notBefore: NOW + DAY }], NOW);
    const p = later.partners.find((x) => x.orgId === ORG)!;
    expect(p.keys.map((k) => [k.notBefore, k.notAfter])).toEqual([
      [start, NOW + 4 * DAY],
      [start, NOW + 4 * DAY],
      [NOW + DAY, undefined],
      [NOW + DAY, undefined],
    ]);
    await expect(
      buildNextTrustList(net.payload, [{ ...change, notBefore: NOW - 1 }], NOW),
    ).rejects.toMatchObject({ code: "ERR_TRUST_CHANGE_INVALID" });
  });
});
