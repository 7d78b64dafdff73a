// The receiver's consent checks of docs/protocol.md §5.4.3 (step 8.3 of §2.8), also run by the sender
// before signing so that it never emits a message its partner would refuse.
import { describeIssues } from "@refnet/protocol/primitives";
import { PROBLEM_CODES, type ProblemCode } from "@refnet/protocol/problems";
import { CLOCK_SKEW_SECONDS, type MessageClaims } from "@refnet/protocol/types";
import { allowedFields, isSubjectField } from "./fields.ts";
import { consentSchema } from "./schema.ts";

export type ConsentCheckResult = { ok: true } | { ok: false; code: ProblemCode; detail: string };

export interface ConsentCheckOptions {
  /**
   * The receiver has recorded a revocation (full or partial) of this consent id by this sender
   * (docs/protocol.md §5.6). Looked up by the caller, since it needs the receiver's database.
   */
  revoked?: boolean;
}

const fail = (code: ProblemCode, detail: string): ConsentCheckResult => ({ ok: false, code, detail });

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks the consent rules of docs/protocol.md §5.4 on one message, in the order of §5.4.3, stopping at
 * the first failure. `claims` may come straight off the wire: nothing about it is assumed beyond what is
 * checked here. Details name members and rules, never values.
 *
 * Within openEnvelope the consent shape (§5.1) was already checked at step 6.1 and the body at step 8.2;
 * called on its own, a malformed consent gives e.p.claims.invalid and a malformed offer body
 * e.p.body.invalid.
 */
export function checkConsent(
  claims: MessageClaims,
  nowSeconds: number,
  options: ConsentCheckOptions = {},
): ConsentCheckResult {
  const raw = claims as unknown as Record<string, unknown>;
  const isOffer = raw.type === "referral.offer";
  // §5.4.3 rule 1.
  if (raw.consent === undefined) {
    return isOffer ? fail(PROBLEM_CODES.consentMissing, "referral.offer carries no consent") : { ok: true };
  }
  // §5.1: the rules below can only be judged on a well-formed consent.
  const parsed = consentSchema.safeParse(raw.consent);
  if (!parsed.success)
    return fail(PROBLEM_CODES.claimsInvalid, describeIssues(parsed.error.issues, "consent"));
  const consent = parsed.data;
  if (typeof raw.iat === "number" && consent.grantedAt > raw.iat + CLOCK_SKEW_SECONDS) {
    return fail(PROBLEM_CODES.claimsInvalid, "consent.grantedAt is later than iat");
  }
  // Rule 2.
  if (options.revoked) return fail(PROBLEM_CODES.consentRevoked, "the consent was revoked by its origin");
  // Rule 3. No clock-skew allowance: data may not be stored under a consent that has run out.
  if (consent.expiresAt <= nowSeconds)
    return fail(PROBLEM_CODES.consentExpired, "consent.expiresAt has passed");
  // Rule 4.
  if (typeof raw.aud !== "string" || !consent.recipients.includes(raw.aud)) {
    return fail(PROBLEM_CODES.consentRecipient, "aud is not among consent.recipients");
  }
  if (!isOffer) return { ok: true };

  const body = raw.body;
  const referral = isRecord(body) ? body.referral : undefined;
  const services = isRecord(referral) ? referral.services : undefined;
  const subject = isRecord(body) ? body.subject : undefined;
  if (!Array.isArray(services) || !isRecord(subject)) {
    return fail(PROBLEM_CODES.bodyInvalid, "body.referral.services or body.subject is malformed");
  }
  // Rule 5.
  const purposes = new Set<string>(consent.purposes);
  const outside = services.filter((s) => typeof s !== "string" || !purposes.has(s)).length;
  if (outside > 0) {
    return fail(
      PROBLEM_CODES.consentPurpose,
      `${outside} of referral.services ${outside === 1 ? "is" : "are"} not among consent.purposes`,
    );
  }
  // Rule 6.
  if (subject.ref !== consent.subjectRef) {
    return fail(PROBLEM_CODES.consentOutOfScope, "subject.ref differs from consent.subjectRef");
  }
  const allowed = allowedFields(consent.scopes);
  const notAllowed: string[] = [];
  let undefinedMembers = 0;
  for (const key of Object.keys(subject)) {
    if (subject[key] === undefined || allowed.has(key)) continue;
    // Defined member names are a fixed vocabulary and safe to name; other names are sender-chosen
    // text (possibly a person's data), so only their number is reported.
    if (isSubjectField(key)) notAllowed.push(key);
    else undefinedMembers++;
  }
  if (notAllowed.length > 0 || undefinedMembers > 0) {
    const parts: string[] = [];
    if (notAllowed.length > 0) parts.push(`members outside consent.scopes: ${notAllowed.join(", ")}`);
    if (undefinedMembers > 0)
      parts.push(`${undefinedMembers} member(s) docs/protocol.md §4.3 does not define`);
    return fail(PROBLEM_CODES.consentOutOfScope, `subject carries ${parts.join("; ")}`);
  }
  return { ok: true };
}
