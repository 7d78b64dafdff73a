// The payload schema of docs/protocol.md §6, one rule per case. Parsing ignores signatures, so each
// case wraps the mutated payload in a JWS envelope with placeholder signatures.
import { beforeAll, describe, expect, it } from "vitest";
import { generateSigningKeyPair, publicJwkOf } from "./keys.ts";
import { TRUST_PROBLEM_CODES } from "./problems.ts";
import { MAX_SIGNATURES, parseTrustList } from "./schema.ts";
import { encodeJson, testNetwork } from "./test-support.ts";
import type { TrustListPayload } from "./types.ts";

let base: TrustListPayload;
let extraKey: Awaited<ReturnType<typeof generateSigningKeyPair>>;

beforeAll(async () => {
  base = (await testNetwork()).payload;
  extraKey = await generateSigningKeyPair();
});

const envelope = (value: unknown) => ({
  payload: encodeJson(value),
  signatures: [{ protected: "e30", signature: "AAAA" }],
});

function mutated(mutate: (p: TrustListPayload & Record<string, unknown>) => void): unknown {
  const copy = structuredClone(base) as TrustListPayload & Record<string, unknown>;
  mutate(copy);
  return copy;
}

describe("parseTrustList", () => {
  it("accepts the fixture payload and returns it as signed", () => {
    const result = parseTrustList(envelope(base));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.payload).toEqual(base);
  });

  it("accepts optional JWK members that agree with the key (kid, alg, use) and a notAfter", () => {
    const ok = mutated((p) => {
      p.partners[0]!.keys[0]!.jwk = {
        ...p.partners[0]!.keys[0]!.jwk,
        kid: "A".repeat(43),
        alg: "EdDSA",
        use: "sig",
      };
      p.partners[0]!.keys[1]!.jwk = { ...p.partners[0]!.keys[1]!.jwk, alg: "ECDH-ES+A256KW", use: "enc" };
      p.partners[0]!.keys[1]!.notAfter = p.partners[0]!.keys[1]!.notBefore + 1;
      p.partners[1]!.keys = [];
    });
    const result = parseTrustList(envelope(ok));
    expect(result.ok, result.ok ? "" : result.detail).toBe(true);
  });

  // Each case names the rule and the member path the detail must point at.
  const cases: [string, (p: TrustListPayload & Record<string, unknown>) => void, string][] = [
    ["v must be 1", (p) => Object.assign(p, { v: 2 }), "v:"],
    ["network id pattern", (p) => Object.assign(p, { network: "Refnet" }), "network:"],
    ["network id too short", (p) => Object.assign(p, { network: "ab" }), "network:"],
    ["version ≥ 1", (p) => Object.assign(p, { version: 0 }), "version:"],
    ["version an integer", (p) => Object.assign(p, { version: 1.5 }), "version:"],
    ["times are integer seconds", (p) => Object.assign(p, { issuedAt: 1.25 }), "issuedAt:"],
    ["times are not negative", (p) => Object.assign(p, { issuedAt: -1 }), "issuedAt:"],
    ["times are numbers", (p) => Object.assign(p, { expiresAt: "2030-01-01" }), "expiresAt:"],
    [
      "expiresAt after issuedAt",
      (p) => Object.assign(p, { expiresAt: p.issuedAt }),
      "expiresAt: must be after",
    ],
    ["threshold ≥ 1", (p) => Object.assign(p, { threshold: 0 }), "threshold:"],
    [
      "threshold ≤ admins",
      (p) => Object.assign(p, { threshold: 4 }),
      "threshold: must not exceed the number of admins",
    ],
    [
      "threshold ≤ distinct admin keys",
      (p) => {
        p.admins[2]!.jwk = p.admins[0]!.jwk;
        p.threshold = 3;
      },
      "threshold: must not exceed the number of distinct admin keys",
    ],
    ["at least one admin", (p) => Object.assign(p, { admins: [], threshold: 1 }), "admins:"],
    [
      "admin ids unique",
      (p) => Object.assign(p.admins[1]!, { id: p.admins[0]!.id }),
      "admins.1.id: admin ids must be unique",
    ],
    ["admin id pattern", (p) => Object.assign(p.admins[1]!, { id: "bad id" }), "admins.1.id:"],
    [
      "admin key Ed25519",
      (p) => Object.assign(p.admins[1]!, { jwk: p.partners[0]!.keys[1]!.jwk }),
      "admins.1.jwk:",
    ],
    [
      "admin key OKP",
      (p) => Object.assign(p.admins[1]!, { jwk: { kty: "EC", crv: "P-256", x: "a", y: "b" } }),
      "admins.1.jwk",
    ],
    [
      "x canonical",
      (p) => Object.assign(p.admins[0]!.jwk, { x: `${String(p.admins[0]!.jwk.x).slice(0, 42)}B` }),
      "admins.0.jwk.x:",
    ],
    ["x 32 bytes", (p) => Object.assign(p.admins[0]!.jwk, { x: "AAAA" }), "admins.0.jwk.x:"],
    ["JWK alg agrees", (p) => Object.assign(p.admins[0]!.jwk, { alg: "ES256" }), "admins.0.jwk.alg:"],
    ["JWK use agrees", (p) => Object.assign(p.admins[0]!.jwk, { use: "enc" }), "admins.0.jwk.use:"],
    ["JWK has no unknown member", (p) => Object.assign(p.admins[0]!.jwk, { x5c: ["MIIB"] }), "admins.0.jwk:"],
    [
      "org ids unique",
      (p) => Object.assign(p.partners[1]!, { orgId: p.partners[0]!.orgId }),
      "partners.1.orgId: org ids must be unique",
    ],
    ["org id pattern", (p) => Object.assign(p.partners[1]!, { orgId: "Shelter_GR" }), "partners.1.orgId:"],
    ["country alpha-2", (p) => Object.assign(p.partners[1]!, { country: "gr" }), "partners.1.country:"],
    ["country two letters", (p) => Object.assign(p.partners[1]!, { country: "GRC" }), "partners.1.country:"],
    ["roles not empty", (p) => Object.assign(p.partners[1]!, { roles: [] }), "partners.1.roles:"],
    ["roles known", (p) => Object.assign(p.partners[1]!, { roles: ["transit"] }), "partners.1.roles.0:"],
    [
      "roles unique",
      (p) => Object.assign(p.partners[1]!, { roles: ["origin", "origin"] }),
      "partners.1.roles:",
    ],
    ["status known", (p) => Object.assign(p.partners[1]!, { status: "paused" }), "partners.1.status:"],
    ["name not empty", (p) => Object.assign(p.partners[1]!, { name: "" }), "partners.1.name:"],
    [
      "name without bidi overrides",
      (p) => Object.assign(p.partners[1]!, { name: "Shelter \u202EsnehtA" }),
      "partners.1.name:",
    ],
    [
      "name without control characters",
      (p) => Object.assign(p.partners[1]!, { name: "Shelter\nAthens" }),
      "partners.1.name:",
    ],
    [
      "key use known",
      (p) => Object.assign(p.partners[0]!.keys[0]!, { use: "wrap" }),
      "partners.0.keys.0.use:",
    ],
    [
      "sig key is Ed25519",
      (p) => Object.assign(p.partners[0]!.keys[1]!, { use: "sig" }),
      "partners.0.keys.1.jwk.crv:",
    ],
    [
      "enc key is X25519",
      (p) => Object.assign(p.partners[0]!.keys[0]!, { use: "enc" }),
      "partners.0.keys.0.jwk.crv:",
    ],
    [
      "notAfter after notBefore",
      (p) => Object.assign(p.partners[0]!.keys[0]!, { notAfter: p.partners[0]!.keys[0]!.notBefore }),
      "partners.0.keys.0.notAfter: must be after notBefore",
    ],
    [
      "a key belongs to one partner",
      (p) => {
        p.partners[1]!.keys[0]!.jwk = p.partners[0]!.keys[0]!.jwk;
      },
      "partners.1.keys.0.jwk: a key appears only once",
    ],
    ["no unknown member in the payload", (p) => Object.assign(p, { note: "x" }), "(root): Unrecognized key"],
    [
      "no unknown member in a partner",
      (p) => Object.assign(p.partners[0]!, { url: "x" }),
      "partners.0: Unrecognized key",
    ],
  ];

  it.each(cases)("refuses a payload that breaks: %s", (_rule, mutate, detail) => {
    const result = parseTrustList(envelope(mutated(mutate)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(TRUST_PROBLEM_CODES.malformed);
    expect(result.detail).toContain(detail);
  });

  it("refuses private key material with its own code, wherever it is", () => {
    for (const mutate of [
      (p: TrustListPayload) => Object.assign(p.admins[0]!.jwk, { d: "secret" }),
      (p: TrustListPayload) => Object.assign(p.partners[2]!.keys[1]!.jwk, { d: "secret" }),
      (p: TrustListPayload) => Object.assign(p.partners[2]!, { d: "secret" }),
    ]) {
      const result = parseTrustList(envelope(mutated(mutate)));
      expect(result).toMatchObject({ ok: false, code: TRUST_PROBLEM_CODES.privateKey });
      if (!result.ok) expect(result.detail).not.toContain("secret");
    }
  });

  it("admits one admin key under two ids while the threshold stays reachable", () => {
    const result = parseTrustList(
      envelope(
        mutated((p) => {
          p.admins.push({ id: "alias", jwk: p.admins[0]!.jwk });
        }),
      ),
    );
    expect(result.ok).toBe(true);
  });

  it("refuses more signatures than MAX_SIGNATURES", () => {
    const many = {
      payload: encodeJson(base),
      signatures: Array.from({ length: MAX_SIGNATURES + 1 }, () => ({ protected: "e30", signature: "AAAA" })),
    };
    expect(parseTrustList(many)).toMatchObject({ ok: false, code: TRUST_PROBLEM_CODES.malformed });
  });

  it("bounds the detail of a hostile list", () => {
    const hostile = { ...base, [`x${"y".repeat(5000)}`]: 1 };
    const result = parseTrustList(envelope(hostile));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.detail.length).toBeLessThanOrEqual(401);
  });

  it("keeps only the JWS members in the returned signed list", () => {
    const input = envelope(base);
    const result = parseTrustList(JSON.stringify(input));
    expect(result.ok && result.signed).toEqual(input);
  });

  it("refuses an admin key that does not match a fresh key's public part", () => {
    const result = parseTrustList(
      envelope(
        mutated((p) =>
          Object.assign(p.admins[0]!, { jwk: { ...publicJwkOf(extraKey.publicJwk), crv: "Ed448" } }),
        ),
      ),
    );
    expect(result).toMatchObject({ ok: false, code: TRUST_PROBLEM_CODES.malformed });
  });
});
