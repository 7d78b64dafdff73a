// Fixed vectors (fixtures/test-vectors.json and docs/protocol.md Appendix A): any change to the wire
// format, to the member order of claims or headers, or to the key ids makes these fail.
import { calculateJwkThumbprint } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { openEnvelope } from "./open.ts";
import { prepareClaims, signClaimsJson } from "./seal.ts";
import {
  ALPHA,
  loadOrgKeys,
  NORTH,
  type OrgKeys,
  signerInfo,
  TestReceiver,
  trustOf,
  vectors,
} from "./test-support.ts";
import type { MessageClaims, OutgoingMessage } from "./types.ts";

let north: OrgKeys;
let alpha: OrgKeys;

beforeAll(async () => {
  north = await loadOrgKeys(NORTH);
  alpha = await loadOrgKeys(ALPHA);
});

function receiverFor(self: OrgKeys): TestReceiver {
  const r = new TestReceiver(
    self.orgId,
    trustOf(
      vectors.trustVersion,
      [north.signing.kid, signerInfo(north)],
      [alpha.signing.kid, signerInfo(alpha)],
    ),
  );
  r.ownKeys.set(self.encKid, self.decryption);
  r.now = vectors.now;
  return r;
}

/** The sender's input that produced `claimsJson`. */
function messageOf(claimsJson: string): OutgoingMessage {
  const c = JSON.parse(claimsJson) as MessageClaims;
  const msg: OutgoingMessage = {
    type: c.type,
    jti: c.jti,
    aud: c.aud,
    thid: c.thid,
    body: c.body,
    ttlSeconds: c.exp - c.iat,
  };
  if (c.consent) msg.consent = c.consent;
  return msg;
}

describe("key ids (docs/protocol.md §1.3)", () => {
  it("are the RFC 7638 thumbprints of the fixture keys", async () => {
    for (const org of Object.values(vectors.orgs)) {
      for (const k of [org.sig, org.enc]) expect(await calculateJwkThumbprint(k.publicJwk)).toBe(k.kid);
    }
  });

  it("match the worked example of §1.3", async () => {
    const jwk = { kty: "OKP", crv: "Ed25519", x: "G5ty0k4EY7pgJ6fxCQDAwI55JJztej5eRKRkgcQl1Vg" };
    expect(await calculateJwkThumbprint(jwk)).toBe("densQUJ7AC299S72WEpWT1TiBkWf1x3OeIbGIr_2gu4");
  });
});

describe("inner JWS (Ed25519 is deterministic)", () => {
  it("the offer of §2.7 serializes to the pinned claims, byte for byte", () => {
    const { json } = prepareClaims(messageOf(vectors.innerJws.claimsJson), {
      iss: NORTH,
      trustVersion: vectors.trustVersion,
      nowSeconds: vectors.now,
      recipientKey: alpha.recipient,
    });
    expect(json).toBe(vectors.innerJws.claimsJson);
  });

  it("signs to the pinned JWS, byte for byte", async () => {
    expect(await signClaimsJson(vectors.innerJws.claimsJson, north.signing)).toBe(vectors.innerJws.jws);
  });

  it("has the pinned header", () => {
    const header = Buffer.from(vectors.innerJws.jws.split(".")[0]!, "base64url").toString("utf8");
    expect(header).toBe(`{"alg":"EdDSA","kid":"${north.signing.kid}","typ":"refnet-msg+jws"}`);
  });

  it("reproduces the inner JWS of docs/protocol.md Appendix A", async () => {
    const { json } = prepareClaims(messageOf(vectors.appendixA.claimsJson), {
      iss: ALPHA,
      trustVersion: vectors.trustVersion,
      nowSeconds: vectors.now,
      recipientKey: north.recipient,
    });
    expect(json).toBe(vectors.appendixA.claimsJson);
    expect(await signClaimsJson(json, alpha.signing)).toBe(vectors.appendixA.jws);
  });
});

describe("sealed envelopes open with a fixed clock", () => {
  it("the pinned offer: exact claims and exact outer protected header", async () => {
    const v = vectors.sealedEnvelope;
    const res = await openEnvelope(v.envelope, v.natsSubject, receiverFor(alpha));
    expect(res).toEqual({
      ok: true,
      claims: v.claims,
      signerKid: north.signing.kid,
      decryptKid: alpha.encKid,
    });
    const header = Buffer.from(v.envelope.split(".")[0]!, "base64url").toString("utf8");
    expect(JSON.parse(header)).toEqual(v.protectedHeader);
    // Member order too: alg, enc, kid, cty, typ, then the library's epk.
    expect(header).toBe(JSON.stringify(v.protectedHeader));
    expect(Object.keys(v.protectedHeader)).toEqual(["alg", "enc", "kid", "cty", "typ", "epk"]);
    expect(v.protectedHeader).toMatchObject({
      alg: "ECDH-ES+A256KW",
      enc: "A256GCM",
      kid: alpha.encKid,
      cty: "refnet-msg+jws",
      typ: "refnet-msg+jwe",
      epk: { kty: "OKP", crv: "X25519" },
    });
    if (res.ok) expect(JSON.stringify(res.claims)).toBe(vectors.innerJws.claimsJson);
  });

  it("the envelope of docs/protocol.md Appendix A", async () => {
    const v = vectors.appendixA;
    const res = await openEnvelope(v.envelope, v.natsSubject, receiverFor(north));
    expect(res).toEqual({
      ok: true,
      claims: JSON.parse(v.claimsJson),
      signerKid: "densQUJ7AC299S72WEpWT1TiBkWf1x3OeIbGIr_2gu4",
      decryptKid: "oqZL0_WM7TgGDO2hAfTdLdSE02HwwMB-iS47WtyRx-Q",
    });
  });

  it("the pinned envelope is refused once its time has passed", async () => {
    const r = receiverFor(alpha);
    r.now = (vectors.sealedEnvelope.claims as MessageClaims).exp + 300;
    const res = await openEnvelope(vectors.sealedEnvelope.envelope, vectors.sealedEnvelope.natsSubject, r);
    expect(res).toMatchObject({ ok: false, step: 6 });
  });
});
