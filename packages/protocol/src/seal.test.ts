// Sealing (docs/protocol.md §2.6): the sender checks what the recipient will check, before signing.
import { KeyObject } from "node:crypto";
import { compactDecrypt, compactVerify, generateKeyPair, importJWK, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { KeyTypeError, ProtocolError } from "./errors.ts";
import { importPublicJwk } from "./keys.ts";
import { PROBLEM_CODES, type ProblemCode } from "./problems.ts";
import { type SealOptions, sealEnvelope } from "./seal.ts";
import {
  ALPHA,
  decodeSegment,
  loadOrgKeys,
  NORTH,
  NOW,
  type OrgKeys,
  PERSON,
  SECRETS,
  THID,
  testConsent,
  testOffer,
  testSubject,
} from "./test-support.ts";
import { MAX_ENVELOPE_BYTES, MAX_LIFETIME_SECONDS, type OutgoingMessage } from "./types.ts";

let north: OrgKeys;
let alpha: OrgKeys;
let opts: SealOptions;

beforeAll(async () => {
  north = await loadOrgKeys(NORTH);
  alpha = await loadOrgKeys(ALPHA);
  opts = {
    iss: NORTH,
    signingKey: north.signing,
    recipientKey: alpha.recipient,
    trustVersion: 7,
    nowSeconds: NOW,
  };
});

/** Decrypts and verifies as a recipient would, returning the inner header and the signed payload text. */
async function unseal(envelope: string) {
  const { plaintext } = await compactDecrypt(envelope, alpha.decryption, {
    keyManagementAlgorithms: ["ECDH-ES+A256KW"],
    contentEncryptionAlgorithms: ["A256GCM"],
  });
  const pub = await importJWK(north.signingPublicJwk, "EdDSA");
  const { payload, protectedHeader } = await compactVerify(plaintext, pub, { algorithms: ["EdDSA"] });
  return { header: protectedHeader, json: new TextDecoder().decode(payload) };
}

async function expectRefusal(msg: OutgoingMessage, code: ProblemCode, o: SealOptions = opts): Promise<void> {
  const err = await sealEnvelope(msg, o).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  for (const secret of SECRETS) expect((err as Error).message).not.toContain(secret);
}

describe("sealEnvelope", () => {
  it("builds the claims of §2.3 in their order, and signs exactly what it returns", async () => {
    const { envelope, claims } = await sealEnvelope(testOffer(), opts);
    const { header, json } = await unseal(envelope);
    expect(header).toEqual({ alg: "EdDSA", kid: north.signing.kid, typ: "refnet-msg+jws" });
    expect(JSON.parse(json)).toEqual(claims);
    expect(Object.keys(JSON.parse(json))).toEqual([
      "v",
      "jti",
      "type",
      "iss",
      "aud",
      "rkid",
      "iat",
      "exp",
      "thid",
      "tlv",
      "consent",
      "body",
    ]);
    expect(claims).toMatchObject({
      v: 1,
      type: "referral.offer",
      iss: NORTH,
      aud: ALPHA,
      rkid: alpha.encKid,
      iat: NOW,
      exp: NOW + MAX_LIFETIME_SECONDS,
      thid: THID,
      tlv: 7,
    });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("writes the outer header of §2.4 and nothing else but the epk", async () => {
    const { envelope } = await sealEnvelope(testOffer(), opts);
    const h = decodeSegment(envelope, 0);
    expect(h).toEqual({
      alg: "ECDH-ES+A256KW",
      enc: "A256GCM",
      kid: alpha.encKid,
      cty: "refnet-msg+jws",
      typ: "refnet-msg+jwe",
      epk: { kty: "OKP", crv: "X25519", x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    });
  });

  it("uses a fresh ephemeral key, CEK and IV for every envelope", async () => {
    const msg = testOffer({ jti: "fixed-jti-0000000000" });
    const a = await sealEnvelope(msg, opts);
    const b = await sealEnvelope(msg, opts);
    expect(a.claims).toEqual(b.claims);
    const [pa, pb] = [a.envelope.split("."), b.envelope.split(".")];
    for (let i = 0; i < 5; i++) expect(pa[i]).not.toBe(pb[i]);
    expect((await unseal(a.envelope)).json).toBe((await unseal(b.envelope)).json);
  });

  it("keeps a given jti and makes a new one otherwise", async () => {
    expect((await sealEnvelope(testOffer({ jti: "given-jti-00000000000" }), opts)).claims.jti).toBe(
      "given-jti-00000000000",
    );
    const a = await sealEnvelope(testOffer(), opts);
    const b = await sealEnvelope(testOffer(), opts);
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  it("sets exp from ttlSeconds, capped at 14 days", async () => {
    expect((await sealEnvelope(testOffer({ ttlSeconds: 3600 }), opts)).claims.exp).toBe(NOW + 3600);
    expect((await sealEnvelope(testOffer({ ttlSeconds: 10 * MAX_LIFETIME_SECONDS }), opts)).claims.exp).toBe(
      NOW + MAX_LIFETIME_SECONDS,
    );
    for (const ttlSeconds of [0, -5, 1.5, Number.NaN]) {
      await expectRefusal(testOffer({ ttlSeconds }), PROBLEM_CODES.claimsLifetime);
    }
  });

  it("signs the JSON form of the input: undefined members vanish, and are not checked as present", async () => {
    const msg = testOffer();
    msg.body.subject = testSubject({ notes: undefined, phone: undefined });
    const { claims } = await sealEnvelope(msg, opts);
    expect(Object.hasOwn(claims.body.subject, "notes")).toBe(false);
    expect(Object.hasOwn(claims.body.subject, "phone")).toBe(false);
  });

  it("accepts the recipient key as a CryptoKey or KeyObject, and the signing key as a KeyObject", async () => {
    const pub = (await importJWK(alpha.recipient.key as JWK, "ECDH-ES+A256KW")) as CryptoKey;
    for (const key of [pub, KeyObject.from(pub)]) {
      const { envelope } = await sealEnvelope(testOffer(), {
        ...opts,
        recipientKey: { kid: alpha.encKid, key },
      });
      expect((await unseal(envelope)).header.kid).toBe(north.signing.kid);
    }
    const signing = { kid: north.signing.kid, key: KeyObject.from(north.signing.key as CryptoKey) };
    const { envelope } = await sealEnvelope(testOffer(), { ...opts, signingKey: signing });
    expect((await unseal(envelope)).header.alg).toBe("EdDSA");
  });
});

describe("sealEnvelope refuses, before signing, what the recipient would refuse", () => {
  it("an offer without consent", async () => {
    await expectRefusal(testOffer({ consent: undefined }), PROBLEM_CODES.consentMissing);
  });

  it("a subject field outside the consent (the sender must minimise first)", async () => {
    const msg = testOffer();
    msg.body.subject = testSubject({ notes: PERSON.notes });
    await expectRefusal(msg, PROBLEM_CODES.consentOutOfScope);
  });

  it("an aud outside consent.recipients", async () => {
    await expectRefusal(
      testOffer({ consent: testConsent({ recipients: ["shelter-beta"] }) }),
      PROBLEM_CODES.consentRecipient,
    );
  });

  it("a service outside consent.purposes", async () => {
    await expectRefusal(
      testOffer({ consent: testConsent({ purposes: ["medical"] }) }),
      PROBLEM_CODES.consentPurpose,
    );
  });

  it("an expired consent", async () => {
    await expectRefusal(
      testOffer({ consent: testConsent({ expiresAt: NOW }) }),
      PROBLEM_CODES.consentExpired,
    );
  });

  it("a consent on a message other than an offer (§5.4.1)", async () => {
    const msg: OutgoingMessage = {
      type: "referral.accept",
      aud: ALPHA,
      thid: THID,
      body: {},
      consent: testConsent(),
    };
    await expectRefusal(msg, PROBLEM_CODES.claimsInvalid);
  });

  it("a malformed consent", async () => {
    await expectRefusal(testOffer({ consent: testConsent({ id: "short" }) }), PROBLEM_CODES.claimsInvalid);
  });

  it("an invalid body, an unknown type, and cross-checks", async () => {
    await expectRefusal(
      { type: "referral.decline", aud: ALPHA, thid: THID, body: { reason: "busy" } } as never,
      PROBLEM_CODES.bodyInvalid,
    );
    await expectRefusal(
      { type: "referral.teleport", aud: ALPHA, thid: THID, body: {} } as never,
      PROBLEM_CODES.bodyUnknownType,
    );
    const wrongId = testOffer();
    wrongId.body.referral = { ...wrongId.body.referral, id: "another-referral-0000" };
    await expectRefusal(wrongId, PROBLEM_CODES.bodyInvalid);
    const late = testOffer();
    late.body.referral = { ...late.body.referral, respondBy: "2026-11-18T11:06:40Z" };
    await expectRefusal(late, PROBLEM_CODES.bodyInvalid);
  });

  it("malformed claims: org ids, jti, thid, times", async () => {
    await expectRefusal(testOffer({ aud: "Shelter Alpha" }), PROBLEM_CODES.claimsInvalid);
    await expectRefusal(testOffer({ jti: "short" }), PROBLEM_CODES.claimsInvalid);
    await expectRefusal(testOffer({ thid: "has spaces in the id" }), PROBLEM_CODES.claimsInvalid);
    await expectRefusal(testOffer(), PROBLEM_CODES.claimsInvalid, { ...opts, iss: "NGO North" });
    await expectRefusal(testOffer(), PROBLEM_CODES.claimsInvalid, { ...opts, nowSeconds: 1.5 });
    await expectRefusal(testOffer(), PROBLEM_CODES.claimsInvalid, { ...opts, trustVersion: -1 });
  });

  it("an envelope over 512 KiB (§2.5)", async () => {
    const msg = testOffer({ consent: testConsent({ scopes: ["identity", "contact", "health"] }) });
    msg.body.subject = testSubject({ health: { history: "x".repeat(300_000) } });
    await expectRefusal(msg, PROBLEM_CODES.envelopeTooLarge);
    msg.body.subject = testSubject({ health: { history: "x".repeat(200_000) } });
    const { envelope } = await sealEnvelope(msg, opts);
    expect(envelope.length).toBeLessThanOrEqual(MAX_ENVELOPE_BYTES);
  });
});

describe("sealEnvelope refuses keys of the wrong type (§1.2)", () => {
  async function expectKeyError(o: SealOptions): Promise<void> {
    await expect(sealEnvelope(testOffer(), o)).rejects.toBeInstanceOf(KeyTypeError);
  }

  it("a signing key that is not an Ed25519 private key", async () => {
    const { privateKey: es256 } = await generateKeyPair("ES256");
    for (const key of [
      alpha.decryption,
      es256,
      (await importJWK(north.signingPublicJwk, "EdDSA")) as CryptoKey,
    ]) {
      await expectKeyError({ ...opts, signingKey: { kid: north.signing.kid, key } });
    }
    await expectKeyError({ ...opts, signingKey: { kid: "", key: north.signing.key } });
  });

  it("a recipient key that is not an X25519 public key, or whose thumbprint is not its kid", async () => {
    const bad: unknown[] = [
      north.signingPublicJwk,
      { ...(alpha.recipient.key as object), d: "AAAA" },
      { kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" },
      alpha.decryption,
    ];
    for (const key of bad)
      await expectKeyError({ ...opts, recipientKey: { kid: alpha.encKid, key: key as JWK } });
    await expectKeyError({ ...opts, recipientKey: { kid: north.encKid, key: alpha.recipient.key } });
  });
});

describe("JWK imports", () => {
  it("import a public key once, whatever object carries it", async () => {
    const jwk = alpha.recipient.key as JWK;
    const a = await importPublicJwk(jwk, "X25519");
    const b = await importPublicJwk({ ...jwk, kid: "ignored" } as JWK, "X25519");
    expect(b.key).toBe(a.key);
    expect(a.kid).toBe(alpha.encKid);
  });

  it("ignore private members: a JWK with d is refused, not imported as a private key", () => {
    expect(() => importPublicJwk({ ...(alpha.recipient.key as object), d: "AAAA" } as JWK, "X25519")).toThrow(
      KeyTypeError,
    );
  });
});
