// Property tests: whatever the subject (including members nobody defined) and whatever the consent,
// minimise keeps only allowed members, and what it keeps always passes the receiver's scope rule.
import {
  CONSENT_METHODS,
  type Consent,
  type MessageClaims,
  PROBLEM_CODES,
  PURPOSES,
  SCOPES,
  SUBJECT_REF_PATTERN,
  type Subject,
} from "@refnet/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allowedFields, SUBJECT_FIELDS } from "./fields.ts";
import { checkConsent, consentSchema, minimise } from "./index.ts";

const NOW = 1_795_000_000;
const AUD = "shelter-alpha";

const subjectRef = fc.stringMatching(SUBJECT_REF_PATTERN);

// Values of any JSON type under the defined names (minimise must not care about types), plus members
// with arbitrary names, including "__proto__", "constructor" and names of defined fields in other case.
const definedMembers = fc.record(
  Object.fromEntries(SUBJECT_FIELDS.map((f) => [f, fc.option(fc.jsonValue(), { nil: undefined })])),
  { requiredKeys: [] },
);
const extraName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom("__proto__", "constructor", "toString", "GivenName", "notes ", "ref2", "subjectRef"),
);
const extraMembers = fc.array(fc.tuple(extraName, fc.jsonValue()), { maxLength: 6 });

const subject = fc.tuple(subjectRef, definedMembers, extraMembers).map(([ref, defined, extras]) => {
  // Built as JSON text, like a subject off the wire, so "__proto__" is an own member.
  const members = [
    ...extras.map(([k, v]) => [k, v] as const),
    ...Object.entries(defined),
    ["ref", ref] as const,
  ];
  const text = `{${members
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(",")}}`;
  return JSON.parse(text) as Subject;
});

const consent = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
    subjectRef,
    scopes: fc.subarray([...SCOPES]),
    purposes: fc.subarray([...PURPOSES], { minLength: 1 }),
    others: fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,20}$/), { maxLength: 4 }),
    includeAud: fc.boolean(),
    grantedAt: fc.integer({ min: NOW - 10_000_000, max: NOW }),
    lifetime: fc.integer({ min: 1, max: 100_000_000 }),
    method: fc.constantFrom(...CONSENT_METHODS),
  })
  .map(
    (r): Consent => ({
      id: r.id,
      subjectRef: r.subjectRef,
      scopes: r.scopes,
      purposes: r.purposes,
      recipients: r.includeAud
        ? [AUD, ...r.others.filter((o) => o !== AUD)]
        : r.others.length
          ? r.others
          : ["nobody"],
      grantedAt: r.grantedAt,
      expiresAt: r.grantedAt + r.lifetime,
      method: r.method,
      language: "en",
      textVersion: "v3",
    }),
  );

function offerOf(s: Subject, c: Consent, services: string[]): MessageClaims {
  return {
    v: 1,
    jti: "RYVSFYoEwa1IPWFy87uqzw",
    type: "referral.offer",
    iss: "ngo-north",
    aud: AUD,
    rkid: "YjOoglHjDN7YDs9qM9PE6zc3DsZgypLPeLmHiaO-rtk",
    iat: NOW,
    exp: NOW + 1000,
    thid: "mf_hhT_cEMyDY2bkok51ug",
    tlv: 1,
    consent: c,
    body: { referral: { id: "mf_hhT_cEMyDY2bkok51ug", urgency: "routine", services }, subject: s },
  } as MessageClaims;
}

describe("minimise and checkConsent, for any subject and consent", () => {
  it("the generated consents are well-formed (so the properties below test the rules, not the shape)", () => {
    fc.assert(fc.property(consent, (c) => consentSchema.safeParse(c).success));
  });

  it("minimise keeps only allowed members, with their values, and reports every other one", () => {
    fc.assert(
      fc.property(subject, consent, (s, c) => {
        const before = JSON.stringify(s);
        const { subject: out, removed } = minimise(s, c);
        const allowed = allowedFields(c.scopes);
        const input = s as unknown as Record<string, unknown>;
        expect(JSON.stringify(s)).toBe(before);
        expect(out.ref).toBe(c.subjectRef);
        for (const key of Object.keys(out)) {
          expect(allowed.has(key)).toBe(true);
          if (key !== "ref") expect((out as unknown as Record<string, unknown>)[key]).toEqual(input[key]);
        }
        const expectedRemoved = Object.keys(input).filter((k) => k !== "ref" && !allowed.has(k));
        expect(removed).toEqual(expectedRemoved);
        for (const key of Object.keys(input)) {
          if (key !== "ref" && allowed.has(key)) expect(Object.keys(out)).toContain(key);
        }
      }),
    );
  });

  it("a message built from minimise's output never breaks the scope rule", () => {
    fc.assert(
      fc.property(subject, consent, fc.integer({ min: NOW - 1000, max: NOW + 200_000_000 }), (s, c, now) => {
        const res = checkConsent(offerOf(minimise(s, c).subject, c, [c.purposes[0]!]), now);
        if (!res.ok) expect(res.code).not.toBe(PROBLEM_CODES.consentOutOfScope);
      }),
    );
  });

  it("and passes every rule when aud, purposes and time are within the consent", () => {
    fc.assert(
      fc.property(
        subject,
        consent.filter((c) => c.recipients.includes(AUD) && c.expiresAt > NOW),
        fc.integer({ min: 1, max: PURPOSES.length }),
        (s, c, n) => {
          const services = c.purposes.slice(0, n);
          expect(checkConsent(offerOf(minimise(s, c).subject, c, services), NOW)).toEqual({ ok: true });
        },
      ),
    );
  });

  it("an unminimised subject breaks the scope rule exactly when it carries a member minimise drops", () => {
    fc.assert(
      fc.property(
        subject,
        consent.filter((c) => c.recipients.includes(AUD) && c.expiresAt > NOW),
        (s, c) => {
          const withRef = JSON.parse(JSON.stringify(s)) as Subject;
          withRef.ref = c.subjectRef;
          const { removed } = minimise(withRef, c);
          const res = checkConsent(offerOf(withRef, c, [c.purposes[0]!]), NOW);
          if (removed.length === 0) expect(res).toEqual({ ok: true });
          else expect(res).toMatchObject({ ok: false, code: PROBLEM_CODES.consentOutOfScope });
        },
      ),
    );
  });
});
