// Body and claims schemas (docs/protocol.md §2.3, §4): closed objects, limits in code points, and
// details that never carry a value.
import { describe, expect, it } from "vitest";
import { newConsentId, newMessageId, newReferralId } from "./ids.ts";
import { describeIssues } from "./primitives.ts";
import { PROBLEM_CODES } from "./problems.ts";
import { claimsSchema, validateBody, validateClaims } from "./schemas.ts";
import { THID, testConsent, testOffer } from "./test-support.ts";
import { JTI_PATTERN, MESSAGE_TYPES } from "./types.ts";

const MARK = "Zuwenaya-Okonkwo-PX9931775QZ";
const JTI = "RYVSFYoEwa1IPWFy87uqzw";

function ok(type: string, body: unknown, ctx = {}) {
  const res = validateBody(type, body, ctx);
  if (!res.ok) throw new Error(`expected valid ${type}: ${res.detail}`);
  return res;
}

function bad(type: string, body: unknown, ctx = {}): string {
  const res = validateBody(type, body, ctx);
  expect(res.ok).toBe(false);
  if (res.ok) return "";
  expect(res.code).toBe(PROBLEM_CODES.bodyInvalid);
  expect(res.detail).not.toContain(MARK);
  return res.detail;
}

const offerBody = () => testOffer().body;

describe("ids (docs/protocol.md §1.1)", () => {
  it("are 22 base64url characters from 128 random bits, and match the jti format", () => {
    const ids = new Set<string>();
    for (const make of [newMessageId, newReferralId, newConsentId]) {
      for (let i = 0; i < 200; i++) {
        const id = make();
        expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(JTI_PATTERN.test(id)).toBe(true);
        expect(Buffer.from(id, "base64url")).toHaveLength(16);
        ids.add(id);
      }
    }
    expect(ids.size).toBe(600);
  });
});

describe("validateBody: types", () => {
  it("knows the nine types of §4.1 and no other", () => {
    expect(MESSAGE_TYPES).toHaveLength(9);
    for (const t of [
      "referral.teleport",
      "REFERRAL.OFFER",
      "",
      5,
      null,
      undefined,
      "__proto__",
      "toString",
    ]) {
      expect(validateBody(t, {})).toMatchObject({ ok: false, code: PROBLEM_CODES.bodyUnknownType });
    }
  });

  it("refuses a body that is not an object, for every type", () => {
    for (const t of MESSAGE_TYPES) {
      for (const body of [null, [], "x", 1, undefined]) bad(t, body);
    }
  });

  it("refuses an unknown member in every closed body, without naming it", () => {
    const valid: Record<string, unknown> = {
      "referral.offer": offerBody(),
      "referral.accept": {},
      "referral.decline": { reason: "other" },
      "referral.withdraw": { reason: "sent_in_error" },
      "referral.update": { status: "arrived" },
      "consent.revoke": { consentId: JTI },
      "consent.erased": { consentId: JTI, scopes: ["health"], erasedAt: 1 },
      "message.receipt": { ack: [JTI] },
      "problem.report": { code: "e.p.replay", ack: JTI },
    };
    for (const t of MESSAGE_TYPES) {
      ok(t, valid[t]);
      const detail = bad(t, { ...(valid[t] as object), [MARK]: 1 });
      expect(detail).toContain("1 unknown member");
    }
    const nested = offerBody();
    bad("referral.offer", { ...nested, referral: { ...nested.referral, [MARK]: MARK } });
  });

  it("refuses null where a member is optional (§0.4)", () => {
    bad("referral.accept", { note: null });
    bad("referral.offer", { ...offerBody(), referral: { ...offerBody().referral, summary: null } });
  });
});

describe("validateBody: referral.offer (§4.3)", () => {
  const withReferral = (r: Record<string, unknown>) => ({
    ...offerBody(),
    referral: { ...offerBody().referral, ...r },
  });
  const withSubject = (s: Record<string, unknown>) => ({
    ...offerBody(),
    subject: { ...offerBody().subject, ...s },
  });

  it("accepts the offer of §2.7", () =>
    ok("referral.offer", offerBody(), { thid: THID, iat: 1_795_000_000 }));

  it("checks urgency and services", () => {
    bad("referral.offer", withReferral({ urgency: "whenever" }));
    bad("referral.offer", withReferral({ services: [] }));
    bad("referral.offer", withReferral({ services: ["shelter", "shelter"] }));
    bad("referral.offer", withReferral({ services: ["tourism"] }));
    ok("referral.offer", withReferral({ services: ["shelter", "medical", "documentation"] }));
  });

  it("counts summary length in code points: 2000 emoji pass, 2001 do not", () => {
    ok("referral.offer", withReferral({ summary: "😀".repeat(2000) }));
    expect(bad("referral.offer", withReferral({ summary: "😀".repeat(2001) }))).toBe(
      "body.referral.summary: too big",
    );
    bad("referral.offer", withReferral({ summary: "" }));
    bad("referral.offer", withReferral({ summary: `${MARK}\ud800` }));
  });

  it("accepts a full-date or a date-time with offset as proposedArrival, and only a date-time as respondBy", () => {
    ok("referral.offer", withReferral({ proposedArrival: "2026-11-21" }));
    ok("referral.offer", withReferral({ proposedArrival: "2026-11-21T09:00:00+01:00" }));
    bad("referral.offer", withReferral({ proposedArrival: "2026-11-21T09:00:00" }));
    bad("referral.offer", withReferral({ proposedArrival: "21/11/2026" }));
    bad("referral.offer", withReferral({ proposedArrival: "2026-02-30" }));
    ok("referral.offer", withReferral({ respondBy: "2026-11-19T18:00:00.5Z" }));
    bad("referral.offer", withReferral({ respondBy: "2026-11-19" }));
    bad("referral.offer", withReferral({ respondBy: "2026-11-19T18:00:00" }));
  });

  it("cross-checks referral.id against thid and respondBy against iat", () => {
    expect(bad("referral.offer", offerBody(), { thid: "another-referral-0000" })).toBe(
      "body.referral.id differs from thid",
    );
    const iat = Date.parse("2026-11-19T18:00:00Z") / 1000;
    bad("referral.offer", offerBody(), { iat });
    ok("referral.offer", offerBody(), { iat: iat - 1 });
  });

  it("type-checks the subject members §4.3 defines", () => {
    bad("referral.offer", withSubject({ ref: "x" }));
    bad("referral.offer", withSubject({ ref: undefined }));
    bad("referral.offer", withSubject({ languages: ["English"] }));
    bad("referral.offer", withSubject({ languages: ["en", "en"] }));
    bad(
      "referral.offer",
      withSubject({ languages: Array.from({ length: 21 }, (_, i) => `a${String.fromCharCode(97 + i)}`) }),
    );
    bad("referral.offer", withSubject({ ageBand: "30" }));
    bad("referral.offer", withSubject({ givenName: "" }));
    bad("referral.offer", withSubject({ givenName: "x".repeat(201) }));
    bad("referral.offer", withSubject({ email: "x".repeat(255) }));
    bad("referral.offer", withSubject({ currentLocation: "x".repeat(501) }));
    bad("referral.offer", withSubject({ notes: "x".repeat(4001) }));
    bad("referral.offer", withSubject({ health: [MARK] }));
    bad("referral.offer", withSubject({ health: MARK }));
    bad("referral.offer", withSubject({ documents: [{ number: MARK }] }));
    bad("referral.offer", withSubject({ documents: [{ type: "passport", colour: MARK }] }));
    bad("referral.offer", withSubject({ documents: Array.from({ length: 21 }, () => ({ type: "id" })) }));
    ok("referral.offer", withSubject({ health: { conditions: ["asthma"], nested: { deep: [1, null] } } }));
    ok(
      "referral.offer",
      withSubject({
        documents: [{ type: "passport", number: "X", issuingCountry: "ER", expiresOn: "2030-01-31" }],
      }),
    );
  });

  it("accepts a year, a year and month, or a full date of birth", () => {
    for (const d of ["1990", "1990-04", "1990-04-30"]) ok("referral.offer", withSubject({ dateOfBirth: d }));
    for (const d of ["90", "1990-13", "1990-04-31", "1990-4-3", "April 1990"])
      bad("referral.offer", withSubject({ dateOfBirth: d }));
  });

  it("leaves undefined subject members to the consent check (§4.3: step 8.3, not 8.2)", () => {
    ok("referral.offer", withSubject({ passportScan: "AAAA" }));
  });

  it("never puts a value in a detail", () => {
    const details = [
      bad("referral.offer", withSubject({ givenName: MARK.repeat(20) })),
      bad("referral.offer", withSubject({ dateOfBirth: MARK })),
      bad("referral.offer", withSubject({ ageBand: MARK })),
      bad("referral.offer", withReferral({ urgency: MARK })),
      bad("referral.offer", withReferral({ respondBy: MARK })),
      bad("referral.offer", withSubject({ languages: [MARK] })),
    ];
    for (const d of details) expect(d).toMatch(/^body\.(referral|subject)\.[a-zA-Z]+(\[\d+\])?: /);
  });
});

describe("validateBody: the other types (§4.4–§4.11)", () => {
  it("referral.accept: optional note and arrangements of 1–4000", () => {
    ok("referral.accept", {});
    ok("referral.accept", { note: "x".repeat(4000), arrangements: "y" });
    bad("referral.accept", { note: "x".repeat(4001) });
    bad("referral.accept", { arrangements: "" });
  });

  it("referral.decline: a reason from the list", () => {
    ok("referral.decline", { reason: "not_eligible", note: "n" });
    bad("referral.decline", { reason: MARK });
    bad("referral.decline", { note: "n" });
  });

  it("referral.withdraw: a free-text reason of 1–200", () => {
    ok("referral.withdraw", { reason: "x".repeat(200) });
    bad("referral.withdraw", { reason: "x".repeat(201) });
    bad("referral.withdraw", { reason: "" });
  });

  it("referral.update: an outcome only with completed or closed", () => {
    ok("referral.update", { status: "in_progress" });
    ok("referral.update", { status: "completed", outcome: "successful" });
    ok("referral.update", { status: "closed", outcome: "unsuccessful" });
    expect(bad("referral.update", { status: "arrived", outcome: "successful" })).toBe(
      "body.outcome: outcome only with status completed or closed",
    );
    bad("referral.update", { status: "teleported" });
    bad("referral.update", { status: "completed", outcome: "meh" });
  });

  it("consent.revoke: a consent id and 1–7 unique scopes, or none", () => {
    ok("consent.revoke", { consentId: JTI });
    ok("consent.revoke", { consentId: JTI, scopes: ["identity", "case_notes"] });
    bad("consent.revoke", { consentId: JTI, scopes: [] });
    bad("consent.revoke", { consentId: JTI, scopes: ["identity", "identity"] });
    bad("consent.revoke", { consentId: "short" });
  });

  it("consent.erased: scopes required, erasedAt not after iat", () => {
    ok("consent.erased", { consentId: JTI, scopes: ["identity"], erasedAt: 100 }, { iat: 100 });
    bad("consent.erased", { consentId: JTI, scopes: ["identity"], erasedAt: 101 }, { iat: 100 });
    bad("consent.erased", { consentId: JTI, erasedAt: 100 });
    bad("consent.erased", { consentId: JTI, scopes: ["identity"], erasedAt: 1.5 });
  });

  it("message.receipt: 1–1000 unique jti", () => {
    ok("message.receipt", { ack: Array.from({ length: 1000 }, () => newMessageId()) });
    bad("message.receipt", { ack: Array.from({ length: 1001 }, () => newMessageId()) });
    bad("message.receipt", { ack: [JTI, JTI] });
    bad("message.receipt", { ack: ["short"] });
  });

  it("problem.report: a code of the e.* form, an optional comment, the refused jti", () => {
    ok("problem.report", { code: "e.p.consent.out-of-scope", comment: "c", ack: JTI });
    ok("problem.report", { code: "e.future.unknown-code", ack: JTI });
    for (const code of ["x.p.replay", "e", "e.", "E.P.REPLAY", `e.p.${"x".repeat(100)}`, "e.p..x"]) {
      bad("problem.report", { code, ack: JTI });
    }
    bad("problem.report", { code: "e.p.replay", ack: JTI, comment: "x".repeat(2001) });
  });
});

describe("claims (docs/protocol.md §2.3)", () => {
  const claims = (over: Record<string, unknown> = {}) => ({
    v: 1,
    jti: JTI,
    type: "referral.offer",
    iss: "ngo-north",
    aud: "shelter-alpha",
    rkid: "YjOoglHjDN7YDs9qM9PE6zc3DsZgypLPeLmHiaO-rtk",
    iat: 1_795_000_000,
    exp: 1_796_209_600,
    thid: THID,
    tlv: 7,
    consent: testConsent(),
    body: {},
    ...over,
  });

  it("accepts well-formed claims, with an unknown type left for step 8.1", () => {
    expect(claimsSchema.safeParse(claims()).success).toBe(true);
    expect(claimsSchema.safeParse(claims({ type: "referral.teleport" })).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ["an unknown claim", { nbf: 1 }],
    ["v 2", { v: 2 }],
    ["no jti", { jti: undefined }],
    ["an org id with upper case", { iss: "NGO-north" }],
    ["an org id too short", { aud: "ab" }],
    ["an rkid that is not a thumbprint", { rkid: "abc" }],
    ["a fractional iat", { iat: 1.5 }],
    ["an exp beyond 2^53", { exp: 2 ** 60 }],
    ["a tlv as a string", { tlv: "7" }],
    ["a body that is an array", { body: [] }],
    ["a malformed consent", { consent: { ...testConsent(), scopes: "all" } }],
    [
      "a consent granted after iat + 300",
      { consent: testConsent({ grantedAt: 1_795_000_301, expiresAt: 1_795_000_400 }) },
    ],
  ])("refuses %s", (_what, over) => {
    const res = validateClaims(claims(over));
    expect(res).toMatchObject({ ok: false, code: PROBLEM_CODES.claimsInvalid });
  });

  it("names paths, not values", () => {
    const res = validateClaims(claims({ aud: MARK, jti: `${MARK} !`, [MARK]: MARK }));
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.detail).not.toContain(MARK);
      expect(res.detail).toContain("jti: invalid format");
      expect(res.detail).toContain("aud: invalid format");
      expect(res.detail).toContain("(root): 1 unknown member");
    }
  });
});

describe("describeIssues", () => {
  it("masks path segments that are not plain member names, and counts what it leaves out", () => {
    const issues = [
      { code: "custom" as const, path: ["a b", 0, "ok"], message: "fixed message", input: MARK },
      { code: "custom" as const, path: [], message: `leaks ${MARK}!`, input: MARK },
      { code: "custom" as const, path: ["x"], message: "m", input: 1 },
      { code: "custom" as const, path: ["y"], message: "m", input: 1 },
    ];
    const d = describeIssues(issues, "body");
    expect(d).toBe("body.?[0].ok: fixed message; body: invalid; body.x: m (+1 more)");
  });
});
