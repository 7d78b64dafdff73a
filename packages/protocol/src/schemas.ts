// Schemas of untrusted input: the claims of the inner JWS (docs/protocol.md §2.3) and the body of each
// message type (§4). Every object is closed (§0.4), except `subject`, whose undefined members are
// left to the consent check (§4.3: refused at step 8.3 as out of scope, not at 8.2).
import { consentSchema } from "@refnet/consent";
import { z } from "zod";
import {
  boundedText,
  dateTime,
  describeIssues,
  fullDate,
  patterned,
  seconds,
  uniqueArray,
} from "./primitives.ts";
import { PROBLEM_CODES, type ProblemCode } from "./problems.ts";
import {
  AGE_BANDS,
  type BodyByType,
  CLOCK_SKEW_SECONDS,
  DECLINE_REASONS,
  ID_PATTERN,
  ISO_639_PATTERN,
  JTI_PATTERN,
  KID_PATTERN,
  MESSAGE_TYPES,
  type MessageType,
  OUTCOMES,
  PURPOSES,
  SCOPES,
  SUBJECT_REF_PATTERN,
  UPDATE_STATUSES,
  URGENCIES,
} from "./types.ts";

const note = boundedText(1, 4000);
const jti = patterned(JTI_PATTERN);
const referralId = patterned(JTI_PATTERN);
const freeForm = z.record(z.string(), z.unknown());

// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: often only the year of birth is known (§4.3).
const partialDate = z.string().superRefine((s, ctx) => {
  const ok =
    /^\d{4}$/.test(s) ||
    /^\d{4}-(0[1-9]|1[0-2])$/.test(s) ||
    (s.length === 10 && fullDate.safeParse(s).success);
  if (!ok) ctx.addIssue({ code: "invalid_format", format: "partial-date", input: s });
});

export const identityDocumentSchema = z.strictObject({
  type: boundedText(1, 64),
  number: boundedText(1, 100).optional(),
  issuingCountry: boundedText(1, 64).optional(),
  expiresOn: fullDate.optional(),
});

/**
 * `subject` of an offer (§4.3). The members defined there are type-checked; other members pass this
 * schema and are refused by the consent check (step 8.3, e.p.consent.out-of-scope).
 */
export const subjectSchema = z.looseObject({
  ref: patterned(SUBJECT_REF_PATTERN),
  languages: uniqueArray(patterned(ISO_639_PATTERN), 0, 20).optional(),
  ageBand: z.enum(AGE_BANDS).optional(),
  givenName: boundedText(1, 200).optional(),
  familyName: boundedText(1, 200).optional(),
  dateOfBirth: partialDate.optional(),
  sex: boundedText(1, 64).optional(),
  nationality: boundedText(1, 64).optional(),
  documents: z.array(identityDocumentSchema).max(20).optional(),
  phone: boundedText(1, 64).optional(),
  email: boundedText(1, 254).optional(),
  currentLocation: boundedText(1, 500).optional(),
  health: freeForm.optional(),
  protection: freeForm.optional(),
  legal: freeForm.optional(),
  family: freeForm.optional(),
  notes: note.optional(),
});

export const referralOfferBodySchema = z.strictObject({
  referral: z.strictObject({
    id: referralId,
    urgency: z.enum(URGENCIES),
    services: uniqueArray(z.enum(PURPOSES), 1, PURPOSES.length),
    summary: boundedText(1, 2000).optional(),
    proposedArrival: z.union([fullDate, dateTime]).optional(),
    respondBy: dateTime.optional(),
  }),
  subject: subjectSchema,
});

export const referralAcceptBodySchema = z.strictObject({
  note: note.optional(),
  arrangements: note.optional(),
});

export const referralDeclineBodySchema = z.strictObject({
  reason: z.enum(DECLINE_REASONS),
  note: note.optional(),
});

export const referralWithdrawBodySchema = z.strictObject({
  reason: boundedText(1, 200),
  note: note.optional(),
});

export const referralUpdateBodySchema = z
  .strictObject({
    status: z.enum(UPDATE_STATUSES),
    outcome: z.enum(OUTCOMES).optional(),
    note: note.optional(),
  })
  .superRefine((b, ctx) => {
    // §4.7: an outcome only ends a referral; on arrival or progress it means nothing.
    if (b.outcome !== undefined && b.status !== "completed" && b.status !== "closed") {
      ctx.addIssue({
        code: "custom",
        path: ["outcome"],
        message: "outcome only with status completed or closed",
      });
    }
  });

const scopeList = uniqueArray(z.enum(SCOPES), 1, SCOPES.length);

export const consentRevokeBodySchema = z.strictObject({
  consentId: patterned(JTI_PATTERN),
  scopes: scopeList.optional(),
});

export const consentErasedBodySchema = z.strictObject({
  consentId: patterned(JTI_PATTERN),
  scopes: scopeList,
  erasedAt: seconds,
});

export const messageReceiptBodySchema = z.strictObject({
  ack: uniqueArray(jti, 1, 1000),
});

export const problemReportBodySchema = z.strictObject({
  code: patterned(/^e\.[a-z0-9]+(\.[a-z0-9-]+)+$/, 100),
  comment: boundedText(1, 2000).optional(),
  ack: jti,
});

/** The schema of each message type's body (§4.3–§4.11). */
export const bodySchemas = {
  "referral.offer": referralOfferBodySchema,
  "referral.accept": referralAcceptBodySchema,
  "referral.decline": referralDeclineBodySchema,
  "referral.withdraw": referralWithdrawBodySchema,
  "referral.update": referralUpdateBodySchema,
  "consent.revoke": consentRevokeBodySchema,
  "consent.erased": consentErasedBodySchema,
  "message.receipt": messageReceiptBodySchema,
  "problem.report": problemReportBodySchema,
} as const satisfies { [T in MessageType]: z.ZodType<BodyByType[T]> };

const KNOWN_TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

export function isMessageType(type: unknown): type is MessageType {
  return typeof type === "string" && KNOWN_TYPES.has(type);
}

/** Claims a body's cross-checks compare with (§4.3 `referral.id == thid`, `respondBy` after `iat`, …). */
export interface BodyContext {
  thid?: string;
  iat?: number;
}

export type BodyValidation =
  | { ok: true; type: MessageType; body: BodyByType[MessageType] }
  | { ok: false; code: ProblemCode; detail: string };

/**
 * Step 8.1 and 8.2 of docs/protocol.md §2.8: `type` is a version 1 type (else e.p.body.unknown-type),
 * and `body` satisfies its schema and cross-checks (else e.p.body.invalid, with a detail that names
 * the path and the rule, never a value). Cross-checks run only for the claims given in `context`.
 */
export function validateBody(type: unknown, body: unknown, context: BodyContext = {}): BodyValidation {
  if (!isMessageType(type)) {
    return { ok: false, code: PROBLEM_CODES.bodyUnknownType, detail: "type is not a version 1 message type" };
  }
  const parsed = bodySchemas[type].safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      code: PROBLEM_CODES.bodyInvalid,
      detail: describeIssues(parsed.error.issues, "body"),
    };
  }
  const invalid = crossCheck(type, parsed.data, context);
  if (invalid) return { ok: false, code: PROBLEM_CODES.bodyInvalid, detail: invalid };
  return { ok: true, type, body: parsed.data as BodyByType[MessageType] };
}

function crossCheck(type: MessageType, body: unknown, { thid, iat }: BodyContext): string | undefined {
  if (type === "referral.offer") {
    const { referral } = body as BodyByType["referral.offer"];
    if (thid !== undefined && referral.id !== thid) return "body.referral.id differs from thid";
    if (
      iat !== undefined &&
      referral.respondBy !== undefined &&
      Date.parse(referral.respondBy) / 1000 <= iat
    ) {
      return "body.referral.respondBy is not later than iat";
    }
  } else if (type === "consent.erased") {
    const { erasedAt } = body as BodyByType["consent.erased"];
    if (iat !== undefined && erasedAt > iat) return "body.erasedAt is later than iat";
  }
  return undefined;
}

/**
 * The claims of §2.3 with their types and formats (step 6.1). `type` need only be a string here (an
 * unknown type is refused at step 8.1) and `body` only an object (its schema is step 8.2).
 */
export const claimsSchema = z
  .strictObject({
    v: z.literal(1),
    jti,
    type: z.string().min(1).max(64),
    iss: patterned(ID_PATTERN),
    aud: patterned(ID_PATTERN),
    rkid: patterned(KID_PATTERN),
    iat: seconds,
    exp: seconds,
    thid: referralId,
    tlv: seconds,
    consent: consentSchema.optional(),
    body: freeForm,
  })
  .superRefine((c, ctx) => {
    // §5.1: consent cannot have been given after the message that carries it was sealed.
    if (c.consent !== undefined && c.consent.grantedAt > c.iat + CLOCK_SKEW_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["consent", "grantedAt"],
        message: "grantedAt is later than iat",
      });
    }
  });

export type ClaimsValidation =
  | { ok: true; claims: z.output<typeof claimsSchema> }
  | { ok: false; code: ProblemCode; detail: string };

/** Step 6.1: e.p.claims.invalid with a detail naming paths, never values. */
export function validateClaims(claims: unknown): ClaimsValidation {
  const parsed = claimsSchema.safeParse(claims);
  if (!parsed.success) {
    return { ok: false, code: PROBLEM_CODES.claimsInvalid, detail: describeIssues(parsed.error.issues, "") };
  }
  return { ok: true, claims: parsed.data };
}
