// The receiver's checks of docs/protocol.md §2.8, one refusal at a time, on real keys and real crypto.
import { CompactSign, generateKeyPair, importJWK, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { newMessageId } from "./ids.ts";
import { type OpenResult, openEnvelope } from "./open.ts";
import { PROBLEM_CODES, type ProblemCode } from "./problems.ts";
import { sealEnvelope } from "./seal.ts";
import {
  ALPHA,
  b64,
  b64json,
  decodeSegment,
  encryptRaw,
  loadOrgKeys,
  NORTH,
  NOW,
  type OrgKeys,
  SECRETS,
  signerInfo,
  signRaw,
  TestReceiver,
  THID,
  tamper,
  testConsent,
  testOffer,
  testSubject,
  trustOf,
  withSegment,
} from "./test-support.ts";
import { MAX_ENVELOPE_BYTES, MAX_LIFETIME_SECONDS, type MessageType, type OutgoingMessage } from "./types.ts";

let north: OrgKeys;
let alpha: OrgKeys;

beforeAll(async () => {
  north = await loadOrgKeys(NORTH);
  alpha = await loadOrgKeys(ALPHA);
});

/** shelter-alpha's node, trust list version 7 holding both organizations, active. */
function receiver(): TestReceiver {
  const r = new TestReceiver(
    ALPHA,
    trustOf(7, [north.signing.kid, signerInfo(north)], [alpha.signing.kid, signerInfo(alpha)]),
  );
  r.ownKeys.set(alpha.encKid, alpha.decryption);
  return r;
}

/** An honest envelope from ngo-north to shelter-alpha. */
async function seal(msg: OutgoingMessage = testOffer(), nowSeconds = NOW) {
  return sealEnvelope(msg, {
    iss: NORTH,
    signingKey: north.signing,
    recipientKey: alpha.recipient,
    trustVersion: 7,
    nowSeconds,
  });
}

/** Claims as an honest sender would sign them (an accept), for crafting what no honest sender would. */
function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    jti: newMessageId(),
    type: "referral.accept",
    iss: NORTH,
    aud: ALPHA,
    rkid: alpha.encKid,
    iat: NOW,
    exp: NOW + 3600,
    thid: THID,
    tlv: 7,
    body: { note: "We have a bed" },
    ...over,
  };
}

const innerHeader = (over: Record<string, unknown> = {}) => ({
  alg: "EdDSA",
  kid: north.signing.kid,
  typ: "refnet-msg+jws",
  ...over,
});

/** Signs `payload` with ngo-north's key (or `key`) under `header`, then encrypts it properly to alpha. */
async function craft(
  payload: unknown,
  opts: { header?: Record<string, unknown>; key?: CryptoKey; outer?: Record<string, unknown> } = {},
): Promise<string> {
  const jws = await signRaw(
    opts.header ?? innerHeader(),
    payload,
    opts.key ?? (north.signing.key as CryptoKey),
  );
  return encryptRaw(jws, alpha, opts.outer);
}

async function open(envelope: string | Uint8Array, r = receiver(), subject?: string): Promise<OpenResult> {
  return openEnvelope(envelope, subject ?? r.inbox, r);
}

function expectRefused(res: OpenResult, code: ProblemCode, step: number, verified: boolean): void {
  expect(res).toMatchObject({ ok: false, code, step });
  if (res.ok) return;
  expect(res.verified !== undefined).toBe(verified);
  expect(typeof res.detail).toBe("string");
  const text = JSON.stringify(res);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe("happy path: every message type opens (docs/protocol.md §4)", () => {
  const bodies: { [T in MessageType]: OutgoingMessage<T>["body"] } = {
    "referral.offer": testOffer().body,
    "referral.accept": { note: "We have a bed", arrangements: "Staff meet the bus at 10:00" },
    "referral.decline": { reason: "lack_of_capacity", note: "Full until next month" },
    "referral.withdraw": { reason: "client_withdrew" },
    "referral.update": { status: "completed", outcome: "successful" },
    "consent.revoke": { consentId: "e-aUI5aFSoQB9modPM4uXQ", scopes: ["contact"] },
    "consent.erased": { consentId: "e-aUI5aFSoQB9modPM4uXQ", scopes: ["contact"], erasedAt: NOW - 5 },
    "message.receipt": { ack: ["RYVSFYoEwa1IPWFy87uqzw"] },
    "problem.report": {
      code: "e.p.consent.out-of-scope",
      comment: "subject.notes",
      ack: "RYVSFYoEwa1IPWFy87uqzw",
    },
  };

  it.each(Object.keys(bodies) as MessageType[])("%s", async (type) => {
    const msg = { type, aud: ALPHA, thid: THID, body: bodies[type] } as OutgoingMessage;
    if (type === "referral.offer") msg.consent = testConsent();
    const sealed = await seal(msg);
    const r = receiver();
    const res = await open(sealed.envelope, r);
    expect(res).toEqual({
      ok: true,
      claims: sealed.claims,
      signerKid: north.signing.kid,
      decryptKid: alpha.encKid,
    });
  });

  it("opens the envelope given as bytes, as NATS delivers it", async () => {
    const sealed = await seal();
    const res = await open(new TextEncoder().encode(sealed.envelope));
    expect(res.ok).toBe(true);
  });

  it("never shows the person, the type or the sender in clear on the wire", async () => {
    const sealed = await seal();
    const parts = sealed.envelope.split(".");
    const header = JSON.stringify(decodeSegment(sealed.envelope, 0));
    for (const text of [
      sealed.envelope,
      header,
      ...parts.map((p) => Buffer.from(p, "base64url").toString("latin1")),
    ]) {
      for (const secret of [...SECRETS, "referral.offer", NORTH, sealed.claims.jti, THID]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});

describe("step 1: size", () => {
  it("refuses more than 512 KiB", async () => {
    expectRefused(await open("A".repeat(MAX_ENVELOPE_BYTES + 1)), PROBLEM_CODES.envelopeTooLarge, 1, false);
    expectRefused(
      await open(new Uint8Array(MAX_ENVELOPE_BYTES + 1)),
      PROBLEM_CODES.envelopeTooLarge,
      1,
      false,
    );
  });

  it("counts bytes, not characters", async () => {
    const s = "é".repeat(MAX_ENVELOPE_BYTES / 2 + 1);
    expect(s.length).toBeLessThan(MAX_ENVELOPE_BYTES);
    expectRefused(await open(s), PROBLEM_CODES.envelopeTooLarge, 1, false);
  });

  it("lets exactly 512 KiB through to step 2", async () => {
    expectRefused(await open("A".repeat(MAX_ENVELOPE_BYTES)), PROBLEM_CODES.envelopeMalformed, 2, false);
  });
});

describe("step 2: outer header", () => {
  it.each([
    ["not JOSE at all", "hello world"],
    ["empty", ""],
    ["four segments", "a.b.c.d"],
    ["six segments", "a.b.c.d.e.f"],
    ["a JWS", "eyJhbGciOiJFZERTQSJ9.e30.AAAA"],
  ])("refuses %s as malformed", async (_what, envelope) => {
    expectRefused(await open(envelope), PROBLEM_CODES.envelopeMalformed, 2, false);
  });

  it("refuses bad base64url, empty segments, non-ASCII bytes and a header that is not a JSON object", async () => {
    const env = (await seal()).envelope;
    const cases = [
      withSegment(env, 1, "abc+def"),
      withSegment(env, 2, "abc=def"),
      withSegment(env, 3, ""),
      withSegment(env, 4, "A"),
      withSegment(env, 0, b64("{not json")),
      withSegment(env, 0, b64json(["alg", "ECDH-ES+A256KW"])),
      withSegment(env, 0, b64json(null)),
      withSegment(env, 0, b64(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))),
      `${env.slice(0, 10)}é${env.slice(11)}`,
    ];
    for (const c of cases) expectRefused(await open(c), PROBLEM_CODES.envelopeMalformed, 2, false);
    const bytes = new TextEncoder().encode(env);
    bytes[20] = 0xc3;
    expectRefused(await open(bytes), PROBLEM_CODES.envelopeMalformed, 2, false);
  });

  it("refuses a header encoded with non-zero padding bits (one header, two encodings)", async () => {
    const env = (await seal()).envelope;
    const h = decodeSegment(env, 0);
    // Only an encoding whose length is not a multiple of 4 has spare bits; pad the header until it has.
    let pad = "x";
    let seg = b64json({ ...h, x5t: pad });
    while (seg.length % 4 === 0) {
      pad += "x";
      seg = b64json({ ...h, x5t: pad });
    }
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const spare = seg.length % 4 === 2 ? 15 : 3;
    const twin = seg.slice(0, -1) + alphabet[alphabet.indexOf(seg.at(-1)!) | spare];
    expect(twin).not.toBe(seg);
    expect(Buffer.from(twin, "base64url")).toEqual(Buffer.from(seg, "base64url"));
    // The canonical form passes step 2 (and fails at 3: the header is the AAD); its twin does not.
    expectRefused(await open(withSegment(env, 0, seg)), PROBLEM_CODES.envelopeDecrypt, 3, false);
    expectRefused(await open(withSegment(env, 0, twin)), PROBLEM_CODES.envelopeMalformed, 2, false);
  });

  const header = async (change: (h: Record<string, unknown>) => void) => {
    const env = (await seal()).envelope;
    const h = decodeSegment(env, 0);
    change(h);
    return withSegment(env, 0, b64json(h));
  };

  it.each<[string, (h: Record<string, unknown>) => void]>([
    ["alg ECDH-ES", (h) => (h.alg = "ECDH-ES")],
    ["alg RSA-OAEP-256", (h) => (h.alg = "RSA-OAEP-256")],
    ["alg dir", (h) => (h.alg = "dir")],
    ["alg in lower case", (h) => (h.alg = "ecdh-es+a256kw")],
    ["no alg", (h) => delete h.alg],
    ["enc A128GCM", (h) => (h.enc = "A128GCM")],
    ["enc A256CBC-HS512", (h) => (h.enc = "A256CBC-HS512")],
    ["no typ", (h) => delete h.typ],
    ["typ with an application/ prefix", (h) => (h.typ = "application/refnet-msg+jwe")],
    ["cty JWT", (h) => (h.cty = "JWT")],
    ["no kid", (h) => delete h.kid],
    ["a kid that is not a string", (h) => (h.kid = 42)],
    ["no epk", (h) => delete h.epk],
    ["an epk on P-256", (h) => (h.epk = { kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" })],
    ["an epk that is an Ed25519 key", (h) => (h.epk = { ...(h.epk as object), crv: "Ed25519" })],
    ["an epk with a private member", (h) => (h.epk = { ...(h.epk as object), d: "AAAA" })],
    ["an embedded jwk", (h) => (h.jwk = { kty: "OKP", crv: "X25519", x: (h.epk as { x: string }).x })],
    ["a jku", (h) => (h.jku = "https://attacker.example/keys")],
    ["an x5u", (h) => (h.x5u = "https://attacker.example/cert")],
    ["an x5c", (h) => (h.x5c = ["MIIB"])],
    ["an unknown crit", (h) => (h.crit = ["urn:example:ext"])],
    ["an empty crit", (h) => (h.crit = [])],
    ["zip", (h) => (h.zip = "DEF")],
    ["b64", (h) => (h.b64 = false)],
  ])("refuses %s", async (_what, change) => {
    expectRefused(await open(await header(change)), PROBLEM_CODES.envelopeHeader, 2, false);
  });

  it("refuses a kid that names no key of its own (an envelope for another recipient)", async () => {
    const forNorth = await sealEnvelope(
      testOffer({ aud: NORTH, consent: testConsent({ recipients: [NORTH] }) }),
      {
        iss: ALPHA,
        signingKey: alpha.signing,
        recipientKey: north.recipient,
        trustVersion: 7,
        nowSeconds: NOW,
      },
    );
    expectRefused(await open(forNorth.envelope), PROBLEM_CODES.envelopeUnknownKey, 2, false);
  });

  it("refuses its own key once it is no longer in force (the node stops returning it)", async () => {
    const r = receiver();
    r.ownKeys.clear();
    expectRefused(await open((await seal()).envelope, r), PROBLEM_CODES.envelopeUnknownKey, 2, false);
  });
});

describe("step 3: decryption", () => {
  it.each([
    ["encrypted key", 1],
    ["IV", 2],
    ["ciphertext", 3],
    ["tag", 4],
  ])("refuses a tampered %s", async (_what, index) => {
    const env = (await seal()).envelope;
    expectRefused(await open(tamper(env, index)), PROBLEM_CODES.envelopeDecrypt, 3, false);
  });

  it("refuses a truncated IV, tag and ciphertext", async () => {
    const env = (await seal()).envelope;
    for (const i of [2, 3, 4]) {
      const short = withSegment(env, i, env.split(".")[i]!.slice(0, 8));
      expectRefused(await open(short), PROBLEM_CODES.envelopeDecrypt, 3, false);
    }
  });

  it("refuses a tampered protected header that still passes step 2 (it is the AAD)", async () => {
    const env = (await seal()).envelope;
    const h = decodeSegment(env, 0);
    // Members without meaning in refnet (§1.4) pass step 2, but the header is authenticated.
    expectRefused(
      await open(withSegment(env, 0, b64json({ ...h, x5t: "AAAA" }))),
      PROBLEM_CODES.envelopeDecrypt,
      3,
      false,
    );
    const reordered = Object.fromEntries(Object.entries(h).reverse());
    expectRefused(
      await open(withSegment(env, 0, b64json(reordered))),
      PROBLEM_CODES.envelopeDecrypt,
      3,
      false,
    );
    // Another ephemeral key changes the key agreement.
    const otherEpk = decodeSegment((await seal()).envelope, 0).epk;
    expectRefused(
      await open(withSegment(env, 0, b64json({ ...h, epk: otherEpk }))),
      PROBLEM_CODES.envelopeDecrypt,
      3,
      false,
    );
  });

  it("refuses an envelope encrypted to another key under its own kid", async () => {
    const jws = await signRaw(innerHeader(), claims(), north.signing.key as CryptoKey);
    const toNorth = await encryptRaw(jws, north, { kid: alpha.encKid });
    expectRefused(await open(toNorth), PROBLEM_CODES.envelopeDecrypt, 3, false);
  });

  it("refuses a small-order ephemeral key (all-zero shared secret)", async () => {
    const env = (await seal()).envelope;
    const h = decodeSegment(env, 0);
    const zero = { kty: "OKP", crv: "X25519", x: b64(new Uint8Array(32)) };
    expectRefused(
      await open(withSegment(env, 0, b64json({ ...h, epk: zero }))),
      PROBLEM_CODES.envelopeDecrypt,
      3,
      false,
    );
  });
});

describe("step 4: inner header and signer", () => {
  it("refuses a plaintext that is not a JWS", async () => {
    const cases = [
      "hello",
      "a.b",
      "a.b.c.d",
      `${b64("{not json")}.${b64json(claims())}.AAAA`,
      `${b64json(innerHeader())}.${b64("{not json")}.AAAA`,
      `${b64json(innerHeader())}.${b64json([1, 2])}.AAAA`,
      `${b64json(innerHeader())}..AAAA`,
      `${b64json(innerHeader())}.${b64json(claims())}.AA+A`,
    ];
    for (const c of cases) {
      expectRefused(await open(await encryptRaw(c, alpha)), PROBLEM_CODES.signatureMalformed, 4, false);
    }
  });

  it("refuses a payload without an integer iat", async () => {
    for (const iat of [undefined, "1795000000", 1795000000.5, -1, null]) {
      const res = await open(await craft(claims({ iat })));
      expectRefused(res, PROBLEM_CODES.signatureMalformed, 4, false);
    }
  });

  it("refuses alg none", async () => {
    const jws = `${b64json(innerHeader({ alg: "none" }))}.${b64json(claims())}.`;
    expectRefused(await open(await encryptRaw(jws, alpha)), PROBLEM_CODES.signatureHeader, 4, false);
  });

  it("refuses HS256, even with a MAC that verifies under the public key as a secret", async () => {
    const secret = Buffer.from((north.signingPublicJwk as { x: string }).x, "base64url");
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
      .setProtectedHeader(innerHeader({ alg: "HS256" }))
      .sign(secret);
    expectRefused(await open(await encryptRaw(jws, alpha)), PROBLEM_CODES.signatureHeader, 4, false);
  });

  it("refuses ES256", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
      .setProtectedHeader(innerHeader({ alg: "ES256" }))
      .sign(privateKey);
    expectRefused(await open(await encryptRaw(jws, alpha)), PROBLEM_CODES.signatureHeader, 4, false);
  });

  it.each<[string, Record<string, unknown>]>([
    ["alg Ed25519 (not the protocol's name)", { alg: "Ed25519" }],
    ["no typ", { typ: undefined }],
    ["typ JWT", { typ: "JWT" }],
    ["no kid", { kid: undefined }],
    ["an empty kid", { kid: "" }],
    [
      "an embedded jwk",
      { jwk: { kty: "OKP", crv: "Ed25519", x: "G5ty0k4EY7pgJ6fxCQDAwI55JJztej5eRKRkgcQl1Vg" } },
    ],
    ["a jku", { jku: "https://attacker.example/jwks" }],
    ["an x5u", { x5u: "https://attacker.example/cert" }],
    ["an x5c", { x5c: ["MIIB"] }],
    ["an unknown crit", { crit: ["exp"], exp: 1 }],
    ["b64 false", { b64: false, crit: ["b64"] }],
    ["zip", { zip: "DEF" }],
  ])("refuses an inner header with %s", async (_what, change) => {
    const h = innerHeader(change);
    for (const k of Object.keys(h)) if (h[k as keyof typeof h] === undefined) delete h[k as keyof typeof h];
    expectRefused(await open(await craft(claims(), { header: h })), PROBLEM_CODES.signatureHeader, 4, false);
  });

  it("ignores members without meaning (x5t) in the inner header", async () => {
    const res = await open(await craft(claims(), { header: innerHeader({ x5t: "AAAA" }) }));
    expect(res.ok).toBe(true);
  });

  it("refuses an unknown signer after one refresh of the trust list", async () => {
    const r = receiver();
    r.trust.signers.delete(north.signing.kid);
    expectRefused(await open((await seal()).envelope, r), PROBLEM_CODES.trustUnknownSigner, 4, false);
    expect(r.refreshCalls).toBe(1);
  });

  it("refuses an unknown signer when the node cannot refresh", async () => {
    const r = receiver();
    r.canRefresh = false;
    r.trust.signers.delete(north.signing.kid);
    expectRefused(await open((await seal()).envelope, r), PROBLEM_CODES.trustUnknownSigner, 4, false);
  });

  it("accepts a signer that the refreshed list brings in (a new partner)", async () => {
    const r = receiver();
    r.trust = trustOf(6, [alpha.signing.kid, signerInfo(alpha)]);
    r.next = trustOf(7, [north.signing.kid, signerInfo(north)], [alpha.signing.kid, signerInfo(alpha)]);
    const res = await open((await seal()).envelope, r);
    expect(res.ok).toBe(true);
    // tlv 7 is then no newer than the list: no second refresh.
    expect(r.refreshCalls).toBe(1);
  });

  it.each(["suspended", "revoked"] as const)("refuses a %s signer", async (status) => {
    const r = receiver();
    r.trust.signers.set(north.signing.kid, signerInfo(north, { status }));
    expectRefused(await open((await seal()).envelope, r), PROBLEM_CODES.trustSignerInactive, 4, false);
  });

  it("refuses a key outside its validity at iat, and accepts it at its edges", async () => {
    const cases: [Partial<ReturnType<typeof signerInfo>>, boolean][] = [
      [{ notBefore: NOW + 1 }, false],
      [{ notBefore: NOW }, true],
      [{ notBefore: NOW - 100, notAfter: NOW }, false],
      [{ notBefore: NOW - 100, notAfter: NOW - 50 }, false],
      [{ notBefore: NOW - 100, notAfter: NOW + 1 }, true],
    ];
    const env = (await seal()).envelope;
    for (const [validity, ok] of cases) {
      const r = receiver();
      r.trust.signers.set(north.signing.kid, signerInfo(north, validity));
      const res = await open(env, r);
      if (ok) expect(res.ok).toBe(true);
      else expectRefused(res, PROBLEM_CODES.trustKeyNotValid, 4, false);
    }
  });

  it("judges key validity at iat, not at the time of arrival", async () => {
    // Sealed a day ago under a key retired since: still valid, as the message is within its lifetime.
    const consent = testConsent({ grantedAt: NOW - 100_000 });
    const env = (await seal(testOffer({ consent }), NOW - 86_400)).envelope;
    const r = receiver();
    r.trust.signers.set(north.signing.kid, signerInfo(north, { notAfter: NOW - 3600 }));
    expect((await open(env, r)).ok).toBe(true);
  });
});

describe("step 5: signature", () => {
  it("refuses a signature that does not verify", async () => {
    const jws = await signRaw(innerHeader(), claims(), north.signing.key as CryptoKey);
    const parts = jws.split(".");
    const sig = Buffer.from(parts[2]!, "base64url");
    sig[0]! ^= 1;
    const bad = `${parts[0]}.${parts[1]}.${sig.toString("base64url")}`;
    expectRefused(await open(await encryptRaw(bad, alpha)), PROBLEM_CODES.signatureInvalid, 5, false);
  });

  it("refuses claims changed after signing", async () => {
    const jws = await signRaw(innerHeader(), claims(), north.signing.key as CryptoKey);
    const parts = jws.split(".");
    const forged = `${parts[0]}.${b64json(claims({ aud: ALPHA, body: { note: "changed" } }))}.${parts[2]}`;
    expectRefused(await open(await encryptRaw(forged, alpha)), PROBLEM_CODES.signatureInvalid, 5, false);
  });

  it("refuses a signature by another key under the signer's kid", async () => {
    const env = await craft(claims(), { key: alpha.signing.key as CryptoKey });
    expectRefused(await open(env), PROBLEM_CODES.signatureInvalid, 5, false);
  });

  it("refuses a trust entry whose key is not an Ed25519 public key", async () => {
    const env = (await seal()).envelope;
    const { publicKey: p256 } = await generateKeyPair("ES256");
    const badKeys: unknown[] = [
      vectors_x25519(),
      { kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" },
      { ...(north.signingPublicJwk as object), crv: "Ed448" },
      { ...(north.signingPublicJwk as object), d: "AAAA" },
      p256,
      alpha.decryption,
      north.signing.key,
    ];
    for (const key of badKeys) {
      const r = receiver();
      r.trust.signers.set(north.signing.kid, signerInfo(north, { key: key as JWK }));
      expectRefused(await open(env, r), PROBLEM_CODES.signatureInvalid, 5, false);
    }
  });

  it("accepts the signer's key as a CryptoKey or a KeyObject as well as a JWK", async () => {
    const env = (await seal()).envelope;
    const cryptoKey = (await importJWK(north.signingPublicJwk, "EdDSA")) as CryptoKey;
    const { KeyObject } = await import("node:crypto");
    for (const key of [cryptoKey, KeyObject.from(cryptoKey)]) {
      const r = receiver();
      r.trust.signers.set(north.signing.kid, signerInfo(north, { key }));
      expect((await open(env, r)).ok).toBe(true);
    }
  });

  function vectors_x25519(): JWK {
    return alpha.recipient.key as JWK;
  }
});

describe("step 6: claims", () => {
  it("refuses malformed claims, reporting them when jti and thid can be named", async () => {
    const cases: Record<string, unknown>[] = [
      claims({ extra: "claim" }),
      claims({ v: 2 }),
      claims({ v: "1" }),
      claims({ aud: "Shelter Alpha" }),
      claims({ rkid: "short" }),
      claims({ exp: "never" }),
      claims({ tlv: -1 }),
      claims({ body: [] }),
      claims({ body: null }),
      claims({ type: 5 }),
      claims({ consent: { ...testConsent(), extra: 1 } }),
      claims({ consent: testConsent({ grantedAt: NOW + 301, expiresAt: NOW + 1000 }) }),
      claims({ consent: null }),
    ];
    for (const c of cases) {
      const res = await open(await craft(c));
      // A malformed type or exp cannot be named in a report, so nothing is reported for those.
      const reportable = typeof c.type === "string" && typeof c.exp === "number";
      expectRefused(res, PROBLEM_CODES.claimsInvalid, 6, reportable);
    }
  });

  it("refuses a malformed jti or thid without anything to report", async () => {
    for (const c of [
      claims({ jti: "short" }),
      claims({ thid: undefined }),
      claims({ jti: "has spaces in it ok" }),
    ]) {
      expectRefused(await open(await craft(c)), PROBLEM_CODES.claimsInvalid, 6, false);
    }
  });

  it("names the refused message for a problem report once the signature verified", async () => {
    const c = claims({ aud: "shelter-beta" });
    const res = await open(await craft(c));
    expectRefused(res, PROBLEM_CODES.claimsAudience, 6, true);
    if (!res.ok)
      expect(res.verified).toEqual({
        iss: NORTH,
        jti: c.jti,
        type: "referral.accept",
        thid: THID,
        exp: NOW + 3600,
      });
  });

  it("refuses an iss that does not own the signing key, and names the key's owner as the one to answer", async () => {
    const res = await open(await craft(claims({ iss: "shelter-beta" })));
    expectRefused(res, PROBLEM_CODES.claimsIssuer, 6, true);
    if (!res.ok) expect(res.verified?.iss).toBe(NORTH);
  });

  it("refuses an aud other than itself (surreptitious forwarding to another org)", async () => {
    expectRefused(await open(await craft(claims({ aud: NORTH }))), PROBLEM_CODES.claimsAudience, 6, true);
  });

  it("refuses an rkid other than the key it decrypted with (re-wrapping under another key)", async () => {
    expectRefused(
      await open(await craft(claims({ rkid: north.encKid }))),
      PROBLEM_CODES.claimsRecipientKey,
      6,
      true,
    );
  });

  it("refuses an envelope taken from another NATS subject", async () => {
    const env = (await seal()).envelope;
    for (const subject of ["refnet.med-net.inbox.ngo-north", "refnet.other-net.inbox.shelter-alpha", "x"]) {
      expectRefused(await open(env, receiver(), subject), PROBLEM_CODES.claimsSubject, 6, true);
    }
  });

  it("refuses an iat more than 300 s in the future", async () => {
    expectRefused(
      await open(await craft(claims({ iat: NOW + 301, exp: NOW + 4000 }))),
      PROBLEM_CODES.claimsNotYetValid,
      6,
      true,
    );
    expect((await open(await craft(claims({ iat: NOW + 300, exp: NOW + 4000 })))).ok).toBe(true);
  });

  it("refuses an exp more than 300 s in the past", async () => {
    const past = NOW - 86_400;
    expectRefused(
      await open(await craft(claims({ iat: past, exp: NOW - 300 }))),
      PROBLEM_CODES.expired,
      6,
      true,
    );
    expect((await open(await craft(claims({ iat: past, exp: NOW - 299 })))).ok).toBe(true);
  });

  it("refuses an expired honest envelope (sealed 14 days and 301 s ago)", async () => {
    const consent = testConsent({ grantedAt: NOW - 2_000_000 });
    const env = (await seal(testOffer({ consent }), NOW - MAX_LIFETIME_SECONDS - 301)).envelope;
    expectRefused(await open(env), PROBLEM_CODES.expired, 6, true);
  });

  it("refuses a lifetime over 14 days, or iat not before exp", async () => {
    for (const c of [
      claims({ iat: NOW, exp: NOW + MAX_LIFETIME_SECONDS + 1 }),
      claims({ iat: NOW, exp: NOW }),
      claims({ iat: NOW + 100, exp: NOW + 50 }),
    ]) {
      expectRefused(await open(await craft(c)), PROBLEM_CODES.claimsLifetime, 6, true);
    }
    expect((await open(await craft(claims({ iat: NOW, exp: NOW + MAX_LIFETIME_SECONDS })))).ok).toBe(true);
  });

  it("checks claims in the order of §2.8 step 6", async () => {
    const all = { iss: "shelter-beta", aud: NORTH, rkid: north.encKid, iat: NOW + 1000, exp: NOW + 1001 };
    const expected: [string, ProblemCode][] = [
      ["iss", PROBLEM_CODES.claimsIssuer],
      ["aud", PROBLEM_CODES.claimsAudience],
      ["rkid", PROBLEM_CODES.claimsRecipientKey],
      ["subject", PROBLEM_CODES.claimsSubject],
      ["iat", PROBLEM_CODES.claimsNotYetValid],
    ];
    let over: Record<string, unknown> = { ...all };
    let subject = "refnet.med-net.inbox.elsewhere";
    for (const [fix, code] of expected) {
      expectRefused(await open(await craft(claims(over)), receiver(), subject), code, 6, true);
      if (fix === "subject") subject = receiver().inbox;
      else if (fix === "iat") over = { ...over, iat: NOW };
      else over = { ...over, [fix]: claims()[fix] };
    }
  });

  it("fetches the newest trust list once when tlv is newer, and does not refuse for that alone", async () => {
    const r = receiver();
    const env = (
      await sealEnvelope(testOffer(), {
        iss: NORTH,
        signingKey: north.signing,
        recipientKey: alpha.recipient,
        trustVersion: 9,
        nowSeconds: NOW,
      })
    ).envelope;
    expect((await open(env, r)).ok).toBe(true);
    expect(r.refreshCalls).toBe(1);
    const noRefresh = receiver();
    noRefresh.canRefresh = false;
    expect((await open(env, noRefresh)).ok).toBe(true);
  });

  it("judges the signer again under the newer list, with step 4's codes and nothing to report", async () => {
    const env = (
      await sealEnvelope(testOffer(), {
        iss: NORTH,
        signingKey: north.signing,
        recipientKey: alpha.recipient,
        trustVersion: 8,
        nowSeconds: NOW,
      })
    ).envelope;
    const r = receiver();
    r.next = trustOf(8, [north.signing.kid, signerInfo(north, { status: "revoked" })]);
    expectRefused(await open(env, r), PROBLEM_CODES.trustSignerInactive, 4, false);
    const gone = receiver();
    gone.next = trustOf(8, [alpha.signing.kid, signerInfo(alpha)]);
    expectRefused(await open(env, gone), PROBLEM_CODES.trustUnknownSigner, 4, false);
    expect(gone.refreshCalls).toBe(1);
  });
});

describe("step 7: replay", () => {
  it("refuses an (iss, jti) already accepted", async () => {
    const sealed = await seal();
    const r = receiver();
    expect((await open(sealed.envelope, r)).ok).toBe(true);
    r.accepted.add(`${NORTH} ${sealed.claims.jti}`);
    const res = await open(sealed.envelope, r);
    expectRefused(res, PROBLEM_CODES.replay, 7, true);
    if (!res.ok) expect(res.verified?.jti).toBe(sealed.claims.jti);
  });

  it("keys the record on the pair: the same jti from another sender is not a replay", async () => {
    const sealed = await seal();
    const r = receiver();
    r.accepted.add(`${ALPHA} ${sealed.claims.jti}`);
    expect((await open(sealed.envelope, r)).ok).toBe(true);
  });
});

describe("step 8: type, body, consent", () => {
  it("refuses an unknown type", async () => {
    expectRefused(
      await open(await craft(claims({ type: "referral.teleport" }))),
      PROBLEM_CODES.bodyUnknownType,
      8,
      true,
    );
  });

  it("refuses an invalid body, naming the path and not the value", async () => {
    const cases = [
      claims({ body: { note: PERSON_NOTE, unknown: PERSON_NOTE } }),
      claims({ body: { note: "x".repeat(4001) } }),
      claims({ type: "referral.decline", body: { reason: "because", note: PERSON_NOTE } }),
      claims({ type: "referral.update", body: { status: "arrived", outcome: "successful" } }),
      claims({ type: "message.receipt", body: { ack: [] } }),
      claims({ type: "problem.report", body: { code: "not a code", ack: THID } }),
      claims({
        type: "consent.erased",
        body: { consentId: "e-aUI5aFSoQB9modPM4uXQ", scopes: ["contact"], erasedAt: NOW + 1 },
      }),
    ];
    for (const c of cases) {
      const res = await open(await craft(c));
      expectRefused(res, PROBLEM_CODES.bodyInvalid, 8, true);
      if (!res.ok) expect(res.detail).toMatch(/^body/);
    }
  });

  it("refuses an offer whose referral.id differs from thid", async () => {
    const sealed = await seal();
    const c = { ...sealed.claims, jti: newMessageId(), body: { ...sealed.claims.body } } as Record<
      string,
      unknown
    >;
    const body = c.body as { referral: Record<string, unknown> };
    body.referral = { ...body.referral, id: "another-referral-id-000" };
    expectRefused(await open(await craft(c)), PROBLEM_CODES.bodyInvalid, 8, true);
  });

  async function offerWith(change: (c: Record<string, unknown>) => void): Promise<OpenResult> {
    const sealed = await seal();
    const c = JSON.parse(JSON.stringify(sealed.claims)) as Record<string, unknown>;
    change(c);
    return open(await craft(c));
  }
  const subjectOf = (c: Record<string, unknown>) => (c.body as { subject: Record<string, unknown> }).subject;

  it("refuses an offer without consent", async () => {
    expectRefused(await offerWith((c) => delete c.consent), PROBLEM_CODES.consentMissing, 8, true);
  });

  it("refuses a subject field outside the consent's scopes", async () => {
    const res = await offerWith((c) => (subjectOf(c).notes = PERSON_NOTE));
    expectRefused(res, PROBLEM_CODES.consentOutOfScope, 8, true);
    if (!res.ok) expect(res.detail).toContain("notes");
    // Named with its consent, so that revoking or erasing it reaches the quarantined envelope (§5.6).
    const consent = testConsent();
    if (!res.ok) {
      expect(res.verified?.consent).toEqual({
        id: consent.id,
        subjectRef: consent.subjectRef,
        expiresAt: consent.expiresAt,
      });
    }
  });

  it("names no consent for a refusal whose consent claim is malformed", async () => {
    const res = await offerWith((c) => (c.consent = { ...testConsent(), subjectRef: "has spaces in it" }));
    expectRefused(res, PROBLEM_CODES.claimsInvalid, 6, true);
    if (!res.ok) expect(res.verified?.consent).toBeUndefined();
  });

  it("refuses a subject member the protocol does not define, including __proto__", async () => {
    expectRefused(
      await offerWith((c) => (subjectOf(c).passportScan = "AAAA")),
      PROBLEM_CODES.consentOutOfScope,
      8,
      true,
    );
    const sealed = await seal();
    const json = JSON.stringify({ ...sealed.claims, jti: newMessageId() }).replace(
      '"ref":',
      '"__proto__":{"notes":"hidden"},"ref":',
    );
    expectRefused(await open(await craft(json)), PROBLEM_CODES.consentOutOfScope, 8, true);
  });

  it("refuses a subject.ref other than consent.subjectRef", async () => {
    expectRefused(
      await offerWith((c) => (subjectOf(c).ref = "p-someone-else")),
      PROBLEM_CODES.consentOutOfScope,
      8,
      true,
    );
  });

  it("refuses an aud outside consent.recipients", async () => {
    const res = await offerWith(
      (c) => ((c.consent as { recipients: string[] }).recipients = ["shelter-beta"]),
    );
    expectRefused(res, PROBLEM_CODES.consentRecipient, 8, true);
  });

  it("refuses a service outside consent.purposes", async () => {
    const res = await offerWith((c) => {
      (c.body as { referral: { services: string[] } }).referral.services = ["shelter", "medical"];
    });
    expectRefused(res, PROBLEM_CODES.consentPurpose, 8, true);
  });

  it("refuses an expired consent, with no clock-skew allowance", async () => {
    const env = (await seal(testOffer({ consent: testConsent({ expiresAt: NOW + 10 }) }))).envelope;
    const r = receiver();
    r.now = NOW + 10;
    expectRefused(await open(env, r), PROBLEM_CODES.consentExpired, 8, true);
    r.now = NOW + 9;
    expect((await open(env, r)).ok).toBe(true);
  });

  it("refuses a consent its origin revoked", async () => {
    const r = receiver();
    r.revoked.add(`${NORTH} e-aUI5aFSoQB9modPM4uXQ`);
    expectRefused(await open((await seal()).envelope, r), PROBLEM_CODES.consentRevoked, 8, true);
    // Revocation is per sender: the same consent id revoked by someone else is not this one.
    const other = receiver();
    other.revoked.add(`${ALPHA} e-aUI5aFSoQB9modPM4uXQ`);
    expect((await open((await seal()).envelope, other)).ok).toBe(true);
  });

  it("checks a consent found on another type too (§5.4.1)", async () => {
    const c = claims({ consent: testConsent({ recipients: ["shelter-beta"] }) });
    expectRefused(await open(await craft(c)), PROBLEM_CODES.consentRecipient, 8, true);
    expect((await open(await craft(claims({ consent: testConsent() })))).ok).toBe(true);
  });

  it("returns the body as validated, not a prototype-polluted copy", async () => {
    const sealed = await seal(
      testOffer({ body: { ...testOffer().body, subject: testSubject({ phone: undefined }) } }),
    );
    const res = await open(sealed.envelope);
    expect(res.ok).toBe(true);
    if (res.ok) expect(Object.getPrototypeOf(res.claims.body)).toBe(Object.prototype);
  });
});

describe("order of the steps", () => {
  it("refuses at the first failing step", async () => {
    // Expired and replayed and invalid body at once: step 6 speaks first.
    const c = claims({ iat: NOW - 90_000, exp: NOW - 86_400, body: { unknown: 1 } });
    const r = receiver();
    r.accepted.add(`${NORTH} ${c.jti}`);
    expectRefused(await open(await craft(c), r), PROBLEM_CODES.expired, 6, true);
    // Unknown signer and a forbidden outer member: step 2 speaks first.
    const noSigner = receiver();
    noSigner.trust.signers.clear();
    const env = await craft(c);
    const h = decodeSegment(env, 0);
    expectRefused(
      await open(withSegment(env, 0, b64json({ ...h, jku: "x" })), noSigner),
      PROBLEM_CODES.envelopeHeader,
      2,
      false,
    );
    expect(noSigner.refreshCalls).toBe(0);
  });
});

const PERSON_NOTE = "Zuwenaya arrived via the Tripoli route";
