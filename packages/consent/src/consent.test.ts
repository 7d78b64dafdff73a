import type { Consent, MessageClaims, Subject } from "@refnet/protocol";
import { PROBLEM_CODES, SCOPES } from "@refnet/protocol";
import { describe, expect, it } from "vitest";
import { ALWAYS_FIELDS, allowedFields, SCOPE_FIELDS, SUBJECT_FIELDS } from "./fields.ts";
import { checkConsent, consentSchema, minimise } from "./index.ts";

const NOW = 1_795_000_000;

// Fictional, recognisable values: none of them may ever appear in a detail.
const PERSON: Subject = {
  ref: "p-7f3a9c21",
  languages: ["ti", "en"],
  ageBand: "26-59",
  givenName: "Zuwenaya",
  familyName: "Okonkwo-Marlowe",
  dateOfBirth: "1990-04",
  sex: "female",
  nationality: "ER",
  documents: [{ type: "passport", number: "PX9931775QZ", issuingCountry: "ER" }],
  phone: "+234 801 555 0199",
  email: "zuwenaya.marlowe@example.org",
  currentLocation: "Hotel Quixotic, Via Fittizia 17",
  health: { conditions: ["asthma"] },
  protection: { riskLevel: "high-risk-marker" },
  legal: { status: "asylum-pending-marker" },
  family: { dependants: 2 },
  notes: "Prefers a female caseworker; arrived via Tripoli route",
};
const SECRETS = [
  "Zuwenaya",
  "Okonkwo",
  "PX9931775QZ",
  "801 555",
  "example.org",
  "Quixotic",
  "asthma",
  "high-risk-marker",
  "asylum-pending-marker",
  "Tripoli",
];

function consent(over: Partial<Consent> = {}): Consent {
  return {
    id: "e-aUI5aFSoQB9modPM4uXQ",
    subjectRef: "p-7f3a9c21",
    scopes: ["identity", "contact"],
    purposes: ["shelter", "legal_aid"],
    recipients: ["shelter-alpha"],
    grantedAt: NOW - 10_000,
    expiresAt: NOW + 86_400,
    method: "written",
    language: "ti",
    textVersion: "consent-form-v3",
    ...over,
  };
}

function offer(subject: Record<string, unknown>, c: Consent | undefined, over: Partial<MessageClaims> = {}) {
  return {
    v: 1,
    jti: "RYVSFYoEwa1IPWFy87uqzw",
    type: "referral.offer",
    iss: "ngo-north",
    aud: "shelter-alpha",
    rkid: "YjOoglHjDN7YDs9qM9PE6zc3DsZgypLPeLmHiaO-rtk",
    iat: NOW,
    exp: NOW + 1_209_600,
    thid: "mf_hhT_cEMyDY2bkok51ug",
    tlv: 7,
    ...(c ? { consent: c } : {}),
    body: { referral: { id: "mf_hhT_cEMyDY2bkok51ug", urgency: "urgent", services: ["shelter"] }, subject },
    ...over,
  } as MessageClaims;
}

function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value);
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describe("scope table (docs/protocol.md §5.2)", () => {
  it("lists exactly the fields of §5.2 for each scope", () => {
    expect(ALWAYS_FIELDS).toEqual(["ref", "languages", "ageBand"]);
    expect(SCOPE_FIELDS).toEqual({
      identity: ["givenName", "familyName", "dateOfBirth", "sex", "nationality", "documents"],
      contact: ["phone", "email", "currentLocation"],
      health: ["health"],
      protection: ["protection"],
      legal: ["legal"],
      family: ["family"],
      case_notes: ["notes"],
    });
    expect(Object.keys(SCOPE_FIELDS).sort()).toEqual([...SCOPES].sort());
  });

  it("covers every member of Subject once", () => {
    expect(new Set(SUBJECT_FIELDS).size).toBe(SUBJECT_FIELDS.length);
    expect([...SUBJECT_FIELDS].sort()).toEqual(Object.keys(PERSON).sort());
  });

  it("cannot be changed at run time", () => {
    expect(Object.isFrozen(SCOPE_FIELDS)).toBe(true);
    expect(Object.isFrozen(SCOPE_FIELDS.identity)).toBe(true);
    expect(Object.isFrozen(ALWAYS_FIELDS)).toBe(true);
    expect(() => (SCOPE_FIELDS.contact as string[]).push("notes")).toThrow();
  });

  it("allowedFields: the always-allowed fields plus those of each granted scope", () => {
    expect([...allowedFields([])].sort()).toEqual(["ageBand", "languages", "ref"]);
    expect([...allowedFields(["contact", "case_notes"])].sort()).toEqual(
      ["ageBand", "currentLocation", "email", "languages", "notes", "phone", "ref"].sort(),
    );
    expect(allowedFields([...SCOPES]).size).toBe(SUBJECT_FIELDS.length);
  });

  it("allowedFields: a string that is not a scope grants nothing", () => {
    expect([...allowedFields(["everything", "__proto__", "givenName"])].sort()).toEqual([
      "ageBand",
      "languages",
      "ref",
    ]);
  });
});

describe("minimise (docs/protocol.md §5.4.2)", () => {
  it("keeps only what the scopes allow and names what it dropped", () => {
    const { subject, removed } = minimise(PERSON, consent({ scopes: ["identity"] }));
    expect(Object.keys(subject).sort()).toEqual(
      [
        "ref",
        "languages",
        "ageBand",
        "givenName",
        "familyName",
        "dateOfBirth",
        "sex",
        "nationality",
        "documents",
      ].sort(),
    );
    expect(removed).toEqual([
      "phone",
      "email",
      "currentLocation",
      "health",
      "protection",
      "legal",
      "family",
      "notes",
    ]);
  });

  it("with no scope keeps only ref, languages and ageBand", () => {
    const { subject } = minimise(PERSON, consent({ scopes: [] }));
    expect(subject).toEqual({ ref: "p-7f3a9c21", languages: ["ti", "en"], ageBand: "26-59" });
  });

  it("sets ref to the consent's subjectRef", () => {
    const { subject, removed } = minimise(
      { ...PERSON, ref: "something-else" },
      consent({ subjectRef: "p-0000aaaa" }),
    );
    expect(subject.ref).toBe("p-0000aaaa");
    expect(removed).not.toContain("ref");
  });

  it("drops members Subject does not define", () => {
    const input = {
      ...PERSON,
      passportScan: "data:image/png;base64,AAAA",
      __proto__: { polluted: true },
    } as Subject;
    const { subject, removed } = minimise(input, consent({ scopes: [...SCOPES] }));
    expect(Object.keys(subject)).not.toContain("passportScan");
    expect(removed).toEqual(["passportScan"]);
  });

  it("treats members whose value is undefined as absent", () => {
    const { subject, removed } = minimise(
      { ref: "x", notes: undefined, phone: undefined },
      consent({ scopes: ["contact"] }),
    );
    expect(subject).toEqual({ ref: "p-7f3a9c21" });
    expect(Object.hasOwn(subject, "phone")).toBe(false);
    expect(removed).toEqual([]);
  });

  it("is pure: the input is not mutated and shares no object with the output", () => {
    const input = structuredClone(PERSON);
    const before = structuredClone(input);
    const c = consent({ scopes: [...SCOPES] });
    const { subject } = minimise(input, c);
    expect(input).toEqual(before);
    expect(subject).toEqual(input);
    subject.documents![0]!.number = "changed";
    (subject.health as { conditions: string[] }).conditions.push("changed");
    subject.languages!.push("xx");
    expect(input).toEqual(before);
  });

  it("builds members in the fixed order of SUBJECT_FIELDS, whatever the input order", () => {
    const reversed = Object.fromEntries(Object.entries(PERSON).reverse()) as unknown as Subject;
    const { subject } = minimise(reversed, consent({ scopes: [...SCOPES] }));
    expect(Object.keys(subject)).toEqual([...SUBJECT_FIELDS]);
  });
});

describe("consentSchema (docs/protocol.md §5.1)", () => {
  it("accepts a well-formed consent, with or without an override", () => {
    expect(consentSchema.safeParse(consent()).success).toBe(true);
    const override = { reason: "risk_to_life" as const, approvedBy: "duty-manager", note: "Imminent danger" };
    expect(consentSchema.safeParse(consent({ override })).success).toBe(true);
  });

  it.each([
    ["an unknown member", { extra: 1 }],
    ["a short id", { id: "short" }],
    ["a subjectRef with spaces", { subjectRef: "Zuwenaya Okonkwo" }],
    ["an unknown scope", { scopes: ["everything"] }],
    ["a repeated scope", { scopes: ["identity", "identity"] }],
    ["no purpose", { purposes: [] }],
    ["an unknown purpose", { purposes: ["tourism"] }],
    ["no recipient", { recipients: [] }],
    ["a recipient that is not an org id", { recipients: ["Shelter Alpha"] }],
    ["a repeated recipient", { recipients: ["shelter-alpha", "shelter-alpha"] }],
    ["a fractional time", { grantedAt: 1.5 }],
    ["a negative time", { grantedAt: -1 }],
    ["expiresAt not after grantedAt", { expiresAt: NOW - 10_000 }],
    ["an unknown method", { method: "telepathy" }],
    ["a language that is not a BCP 47 tag", { language: "english please" }],
    ["an empty textVersion", { textVersion: "" }],
    ["an override with another reason", { override: { reason: "convenience", approvedBy: "a", note: "b" } }],
    ["an override without a note", { override: { reason: "risk_to_life", approvedBy: "a" } }],
    [
      "an override with an unknown member",
      { override: { reason: "risk_to_life", approvedBy: "a", note: "b", x: 1 } },
    ],
    ["a null member", { override: null }],
  ])("refuses %s", (_what, over) => {
    expect(consentSchema.safeParse({ ...consent(), ...over }).success).toBe(false);
  });
});

describe("checkConsent (docs/protocol.md §5.4.3)", () => {
  const minimal = (scopes: Consent["scopes"]) => minimise(PERSON, consent({ scopes })).subject;

  it("passes a minimised offer", () => {
    const c = consent({ scopes: ["identity", "contact"] });
    expect(checkConsent(offer(minimise(PERSON, c).subject as never, c), NOW)).toEqual({ ok: true });
  });

  it("passes a message of another type without consent", () => {
    const accept = { ...offer({}, undefined), type: "referral.accept", body: {} } as MessageClaims;
    expect(checkConsent(accept, NOW)).toEqual({ ok: true });
  });

  it("1: refuses an offer without consent", () => {
    expect(checkConsent(offer(minimal([]) as never, undefined), NOW)).toMatchObject({
      ok: false,
      code: PROBLEM_CODES.consentMissing,
    });
  });

  it("refuses a malformed consent as a claims error", () => {
    const bad = { ...consent(), scopes: ["everything"] } as unknown as Consent;
    expect(checkConsent(offer(minimal([]) as never, bad), NOW)).toMatchObject({
      code: PROBLEM_CODES.claimsInvalid,
    });
  });

  it("refuses a consent granted after the message was sealed (beyond the skew)", () => {
    const c = consent({ grantedAt: NOW + 301, expiresAt: NOW + 90_000 });
    expect(checkConsent(offer(minimal([]) as never, c), NOW)).toMatchObject({
      code: PROBLEM_CODES.claimsInvalid,
    });
    const ok = consent({ grantedAt: NOW + 300, expiresAt: NOW + 90_000 });
    expect(checkConsent(offer(minimise(PERSON, ok).subject as never, ok), NOW).ok).toBe(true);
  });

  it("2: refuses a revoked consent", () => {
    const c = consent();
    expect(
      checkConsent(offer(minimise(PERSON, c).subject as never, c), NOW, { revoked: true }),
    ).toMatchObject({
      code: PROBLEM_CODES.consentRevoked,
    });
  });

  it("3: refuses an expired consent, without clock-skew allowance", () => {
    const c = consent({ expiresAt: NOW });
    expect(checkConsent(offer(minimise(PERSON, c).subject as never, c), NOW)).toMatchObject({
      code: PROBLEM_CODES.consentExpired,
    });
    expect(checkConsent(offer(minimise(PERSON, c).subject as never, c), NOW - 1).ok).toBe(true);
  });

  it("4: refuses an aud outside consent.recipients", () => {
    const c = consent({ recipients: ["shelter-beta"] });
    expect(checkConsent(offer(minimise(PERSON, c).subject as never, c), NOW)).toMatchObject({
      code: PROBLEM_CODES.consentRecipient,
    });
  });

  it("5: refuses a service outside consent.purposes", () => {
    const c = consent({ purposes: ["legal_aid"] });
    expect(checkConsent(offer(minimise(PERSON, c).subject as never, c), NOW)).toMatchObject({
      code: PROBLEM_CODES.consentPurpose,
    });
  });

  it("6: refuses a subject.ref other than consent.subjectRef", () => {
    const c = consent();
    const subject = { ...minimise(PERSON, c).subject, ref: "p-someone-else" };
    expect(checkConsent(offer(subject as never, c), NOW)).toMatchObject({
      code: PROBLEM_CODES.consentOutOfScope,
    });
  });

  it("6: refuses a field outside the scopes, naming the field and not its value", () => {
    const c = consent({ scopes: ["contact"] });
    const subject = { ...minimise(PERSON, c).subject, notes: PERSON.notes, givenName: PERSON.givenName };
    const res = checkConsent(offer(subject as never, c), NOW);
    expect(res).toMatchObject({ ok: false, code: PROBLEM_CODES.consentOutOfScope });
    if (!res.ok) {
      expect(res.detail).toContain("givenName");
      expect(res.detail).toContain("notes");
    }
    expectNoSecrets(res);
  });

  it("6: refuses a member §4.3 does not define, without echoing its name", () => {
    const c = consent({ scopes: [...SCOPES] });
    const json = JSON.stringify(offer(minimise(PERSON, c).subject as never, c));
    // As it arrives off the wire: JSON.parse makes "__proto__" an own member, not a prototype.
    const raw = JSON.parse(json.replace('"ref":', '"__proto__":{"x":1},"Zuwenaya":"x","ref":'));
    expect(Object.keys(raw.body.subject)).toContain("__proto__");
    const res = checkConsent(raw, NOW);
    expect(res).toMatchObject({ ok: false, code: PROBLEM_CODES.consentOutOfScope });
    if (!res.ok) expect(res.detail).toContain("2 member(s)");
    expectNoSecrets(res);
  });

  it("checks the rules in the order of §5.4.3", () => {
    // Everything wrong at once: the first rule in the table wins, then the next once it is fixed.
    const bad = { ...minimise(PERSON, consent({ scopes: [...SCOPES] })).subject, ref: "p-other-0000" };
    let c = consent({ expiresAt: NOW, recipients: ["shelter-beta"], purposes: ["medical"], scopes: [] });
    expect(checkConsent(offer(bad, c), NOW, { revoked: true })).toMatchObject({
      code: PROBLEM_CODES.consentRevoked,
    });
    expect(checkConsent(offer(bad, c), NOW)).toMatchObject({ code: PROBLEM_CODES.consentExpired });
    c = { ...c, expiresAt: NOW + 10 };
    expect(checkConsent(offer(bad, c), NOW)).toMatchObject({ code: PROBLEM_CODES.consentRecipient });
    c = { ...c, recipients: ["shelter-alpha"] };
    expect(checkConsent(offer(bad, c), NOW)).toMatchObject({ code: PROBLEM_CODES.consentPurpose });
    c = { ...c, purposes: ["shelter"] };
    expect(checkConsent(offer(bad, c), NOW)).toMatchObject({ code: PROBLEM_CODES.consentOutOfScope });
  });

  it("on a type other than an offer checks only revocation, expiry and recipients (§5.4.1)", () => {
    const c = consent();
    const update = { ...offer({}, c), type: "referral.update", body: { status: "arrived" } } as MessageClaims;
    expect(checkConsent(update, NOW)).toEqual({ ok: true });
    expect(checkConsent({ ...update, aud: "shelter-beta" }, NOW)).toMatchObject({
      code: PROBLEM_CODES.consentRecipient,
    });
    expect(checkConsent(update, NOW + 86_400)).toMatchObject({ code: PROBLEM_CODES.consentExpired });
    expect(checkConsent(update, NOW, { revoked: true })).toMatchObject({
      code: PROBLEM_CODES.consentRevoked,
    });
  });

  it("refuses an offer whose body is not an offer body, without throwing", () => {
    const c = consent();
    for (const body of [
      null,
      "x",
      { referral: null, subject: {} },
      { referral: { services: "shelter" }, subject: {} },
    ]) {
      expect(checkConsent({ ...offer({}, c), body } as unknown as MessageClaims, NOW)).toMatchObject({
        code: PROBLEM_CODES.bodyInvalid,
      });
    }
  });

  it("never puts a value in a detail", () => {
    const c = consent({ scopes: [] });
    const cases: MessageClaims[] = [
      offer(PERSON as never, c),
      offer(PERSON as never, { ...c, recipients: ["shelter-beta"] }),
      offer(PERSON as never, { ...c, expiresAt: NOW - 1, grantedAt: NOW - 2 }),
      offer(PERSON as never, { ...c, givenName: "Zuwenaya" } as unknown as Consent),
      offer(PERSON as never, { ...c, subjectRef: "Zuwenaya-Okonkwo" }),
    ];
    for (const claims of cases) {
      const res = checkConsent(claims, NOW);
      expect(res.ok).toBe(false);
      expectNoSecrets(res);
    }
  });
});
