// Resolvers of schema.graphql for consent records, overrides, revocation and a person's rights
// (docs/consent.md). Merged with resolvers.ts by yoga.ts. Like those, they translate between GraphQL
// and the domain and hold no rules: those live in domain/consents.ts, erasure.ts and subject-rights.ts.
import { SCOPES, SUBJECT_REF_PATTERN } from "@refnet/protocol";
import { requireRole } from "../auth.ts";
import {
  approveOverride,
  type ConsentRecord,
  consentStatus,
  findConsent,
  listConsents,
  listRevocations,
  type RevocationRecord,
  recordConsent,
  referralsUnderConsent,
  requireUsable,
  revokeConsent,
  toWireConsent,
} from "../domain/consents.ts";
import { previewDisclosure } from "../domain/referrals.ts";
import { eraseSubject, exportSubject } from "../domain/subject-rights.ts";
import { AppError, InvalidInputError } from "../errors.ts";
import {
  consentGiverEnum,
  consentStatusEnum,
  erasureReasonEnum,
  erasureStatusEnum,
  methodEnum,
  overrideReasonEnum,
  revocationCauseEnum,
  scopeEnum,
  serviceEnum,
  subjectErasureReasonEnum,
} from "./enums.ts";
import type { Resolvers } from "./generated/resolvers.ts";
import { toGqlConsent } from "./resolvers.ts";
import { toIso, toMs } from "./scalars.ts";

const isoOrNull = (ms: number | null) => (ms === null ? null : toIso(ms));

function toGqlRevocation(r: RevocationRecord) {
  return {
    id: r.id,
    consentId: r.consentId,
    all: r.scopes === null,
    scopes: (r.scopes ?? SCOPES).map((s) => scopeEnum.toGql(s)),
    cause: revocationCauseEnum.toGql(r.cause),
    requestedBy: r.requestedBy,
    requestedAt: toIso(r.requestedAt),
    deadline: toIso(r.deadlineAt),
    recipients: r.recipients.map((x) => ({
      orgId: x.orgId,
      status: erasureStatusEnum.toGql(x.status),
      erasedAt: isoOrNull(x.erasedAt),
      referralIds: x.referralIds,
      queued: x.queued,
      problem: x.problem,
    })),
    complete: r.recipients.every((x) => x.status === "erased"),
  };
}

export const consentResolvers: Resolvers = {
  Query: {
    consent: async (_p, { id }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return (await findConsent(app.db, app, id)) ?? null;
    },
    consents: (_p, { subjectRef }, { app, staff }) => {
      requireRole(staff, "caseworker");
      if (!SUBJECT_REF_PATTERN.test(subjectRef)) {
        throw new InvalidInputError(
          "subjectRef must be a pseudonym of 4 to 64 letters, digits, '_', '.', ':' or '-'.",
        );
      }
      return listConsents(app.db, app, subjectRef);
    },
    disclosurePreview: (_p, { referralId }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return previewDisclosure(app, referralId);
    },
    // Roles are checked in the domain (supervisors and admins), where the export is also audited.
    exportSubject: (_p, { subjectRef, originOrgId }, { app, staff }) =>
      exportSubject(app, staff, subjectRef, originOrgId),
  },

  Mutation: {
    recordConsent: (_p, { input }, { app, staff }) =>
      recordConsent(app, staff, {
        subjectRef: input.subjectRef ?? null,
        givenBy: input.givenBy ? consentGiverEnum.toWire(input.givenBy) : null,
        method: methodEnum.toWire(input.method),
        language: input.language,
        textVersion: input.textVersion,
        scopes: input.scopes.map((s) => scopeEnum.toWire(s)),
        purposes: input.purposes.map((p) => serviceEnum.toWire(p)),
        recipients: input.recipients,
        grantedAt: input.grantedAt ? toMs(input.grantedAt) : null,
        expiresAt: toMs(input.expiresAt),
        override: input.override
          ? { reason: overrideReasonEnum.toWire(input.override.reason), note: input.override.note }
          : null,
      }),
    approveOverride: (_p, { consentId }, { app, staff }) => approveOverride(app, staff, consentId),
    revokeConsent: (_p, { id, scopes }, { app, staff }) =>
      revokeConsent(app, staff, id, scopes ? scopes.map((s) => scopeEnum.toWire(s)) : null),
    eraseSubject: (_p, { subjectRef, reason, originOrgId }, { app, staff }) =>
      eraseSubject(app, staff, subjectRef, subjectErasureReasonEnum.toWire(reason), originOrgId),
  },

  ConsentRecord: {
    status: (c, _a, { app }) => consentStatusEnum.toGql(consentStatus(c, app.clock.now())),
    givenBy: (c) => (c.givenBy === null ? null : consentGiverEnum.toGql(c.givenBy)),
    method: (c) => methodEnum.toGql(c.method),
    scopes: (c) => c.scopes.map((s) => scopeEnum.toGql(s)),
    revokedScopes: (c) => c.revokedScopes.map((s) => scopeEnum.toGql(s)),
    effectiveScopes: (c) =>
      (c.revokedAll ? [] : c.scopes.filter((s) => !c.revokedScopes.includes(s))).map((s) =>
        scopeEnum.toGql(s),
      ),
    purposes: (c) => c.purposes.map((p) => serviceEnum.toGql(p)),
    grantedAt: (c) => toIso(c.grantedAt),
    expiresAt: (c) => toIso(c.expiresAt),
    recordedAt: (c) => toIso(c.recordedAt),
    isOverride: (c) => c.override !== null,
    override: (c) =>
      c.override && {
        reason: overrideReasonEnum.toGql(c.override.reason),
        note: c.override.note,
        requestedBy: c.override.requestedBy,
        approvedBy: c.override.approvedBy,
        approvedAt: isoOrNull(c.override.approvedAt),
      },
    wire: (c: ConsentRecord, _a, { app }) => {
      try {
        requireUsable(c, app.clock.now());
      } catch (err) {
        if (err instanceof AppError) return null;
        throw err;
      }
      return toGqlConsent(toWireConsent(c));
    },
    revocations: (c, _a, { app }) => listRevocations(app.db, c.id, app.clock.now()),
    referrals: (c, _a, { app }) => referralsUnderConsent(app.db, app.vault, c.id),
  },

  ConsentRevocation: {
    all: (r) => toGqlRevocation(r).all,
    scopes: (r) => toGqlRevocation(r).scopes,
    cause: (r) => revocationCauseEnum.toGql(r.cause),
    requestedAt: (r) => toIso(r.requestedAt),
    deadline: (r) => toIso(r.deadlineAt),
    recipients: (r) => toGqlRevocation(r).recipients,
    complete: (r) => r.recipients.every((x) => x.status === "erased"),
  },

  DisclosurePreview: {
    referralId: (p) => p.referral.id,
    destinationOrgId: (p) => p.referral.destinationOrgId,
    consent: (p) => toGqlConsent(p.consent),
  },

  SubjectErasure: {
    erasedAt: (e) => toIso(e.erasedAt),
  },

  Referral: {
    erasure: (r) =>
      r.erasure && {
        at: toIso(r.erasure.at),
        reason: erasureReasonEnum.toGql(r.erasure.reason),
        all: r.erasure.all,
        scopes: r.erasure.scopes.map((s) => scopeEnum.toGql(s)),
      },
    consentRecord: async (r, _a, { app }) =>
      r.direction === "outgoing" ? ((await findConsent(app.db, app, r.consent.id)) ?? null) : null,
  },
};
