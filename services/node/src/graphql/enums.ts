// The one place GraphQL enum values (UPPER_CASE) meet wire values (lower_case, docs/protocol.md §4–6).
// Each table is complete on both sides: the types below fail to compile when a value is missing.
import type {
  Purpose,
  ReferralState,
  Scope,
  UpdateStatus,
  AgeBand as WireAgeBand,
  ConsentMethod as WireConsentMethod,
  DeclineReason as WireDeclineReason,
  Outcome as WireOutcome,
  Urgency as WireUrgency,
} from "@refnet/protocol";
import type { PartnerRole as WirePartnerRole, PartnerStatus as WirePartnerStatus } from "@refnet/trust";
import type { AuditKind as WireAuditKind } from "../audit/entry.ts";
import type { AuditProblemKind as WireAuditProblemKind } from "../audit/verify.ts";
import type { Role as WireRole } from "../auth.ts";
import type {
  ConsentGiver as WireConsentGiver,
  ConsentStatus as WireConsentStatus,
  RecipientErasureStatus as WireErasureStatus,
  OverrideReason as WireOverrideReason,
  RevocationCause as WireRevocationCause,
} from "../domain/consents.ts";
import type { SubjectErasureReason as WireSubjectErasureReason } from "../domain/subject-rights.ts";
import type { Direction as WireDirection, ErasureReason as WireErasureReason } from "../domain/types.ts";
import { InvalidInputError } from "../errors.ts";
import type { OwnKeyState as WireOwnKeyState } from "../own-keys.ts";
import type {
  AgeBand,
  AuditKind,
  AuditProblemKind,
  ConsentGiver,
  ConsentMethod,
  ConsentScope,
  ConsentStatus,
  DeclineReason,
  Direction,
  ErasureReason,
  ErasureStatus,
  Outcome,
  OverrideReason,
  OwnKeyState,
  PartnerRole,
  PartnerStatus,
  ProgressStatus,
  ReferralStatus,
  RevocationCause,
  Role,
  Service,
  SubjectErasureReason,
  Urgency,
} from "./generated/resolvers.ts";

export interface EnumMap<W extends string, G extends string> {
  toGql(w: W): G;
  toWire(g: G): W;
  /** Every value, in GraphQL spelling (for tests). */
  readonly gqlValues: readonly G[];
}

/**
 * Curried so that the table's literal type is inferred while W and G are given: a table that forgets
 * a wire value, or a GraphQL value, does not compile.
 */
function enumMap<W extends string, G extends string>() {
  return <const T extends { [K in W]: G }>(
    name: string,
    table: T & ([Exclude<G, T[W]>] extends [never] ? unknown : { missingGraphQLValues: Exclude<G, T[W]> }),
  ): EnumMap<W, G> => {
    const pairs = Object.entries(table) as [W, G][];
    const toGql = new Map<string, G>(pairs);
    const toWire = new Map<string, W>(pairs.map(([w, g]) => [g, w]));
    return {
      toGql(w) {
        const g = toGql.get(w);
        // A value outside the table would come from a corrupt row; masked as an unexpected error.
        if (g === undefined) throw new Error(`${name}: no GraphQL value for a stored value`);
        return g;
      },
      toWire(g) {
        const w = toWire.get(g);
        if (w === undefined) throw new InvalidInputError(`${name}: unknown value ${g}`);
        return w;
      },
      gqlValues: [...toWire.keys()] as G[],
    };
  };
}

export const roleEnum = enumMap<WireRole, Role>()("Role", {
  caseworker: "CASEWORKER",
  supervisor: "SUPERVISOR",
  admin: "ADMIN",
  auditor: "AUDITOR",
});

export const auditKindEnum = enumMap<WireAuditKind, AuditKind>()("AuditKind", {
  disclosure: "DISCLOSURE",
  read: "READ",
  "consent.recorded": "CONSENT_RECORDED",
  "consent.override": "CONSENT_OVERRIDE",
  "consent.revoked": "CONSENT_REVOKED",
  erasure: "ERASURE",
  "retention.purge": "RETENTION_PURGE",
  export: "EXPORT",
});

export const auditProblemEnum = enumMap<WireAuditProblemKind, AuditProblemKind>()("AuditProblemKind", {
  changed: "CHANGED",
  missing: "MISSING",
  reordered: "REORDERED",
  "broken-link": "BROKEN_LINK",
  truncated: "TRUNCATED",
  "checkpoint-signature": "CHECKPOINT_SIGNATURE",
  "checkpoint-mismatch": "CHECKPOINT_MISMATCH",
  "head-mismatch": "HEAD_MISMATCH",
});

export const directionEnum = enumMap<WireDirection, Direction>()("Direction", {
  outgoing: "OUTGOING",
  incoming: "INCOMING",
});

export const statusEnum = enumMap<ReferralState, ReferralStatus>()("ReferralStatus", {
  draft: "DRAFT",
  sent: "SENT",
  delivered: "DELIVERED",
  accepted: "ACCEPTED",
  declined: "DECLINED",
  arrived: "ARRIVED",
  in_progress: "IN_PROGRESS",
  completed: "COMPLETED",
  closed: "CLOSED",
  withdrawn: "WITHDRAWN",
  expired: "EXPIRED",
});

export const urgencyEnum = enumMap<WireUrgency, Urgency>()("Urgency", {
  routine: "ROUTINE",
  urgent: "URGENT",
  emergency: "EMERGENCY",
});

export const serviceEnum = enumMap<Purpose, Service>()("Service", {
  shelter: "SHELTER",
  medical: "MEDICAL",
  mental_health: "MENTAL_HEALTH",
  legal_aid: "LEGAL_AID",
  livelihood: "LIVELIHOOD",
  education: "EDUCATION",
  family_tracing: "FAMILY_TRACING",
  return_reintegration: "RETURN_REINTEGRATION",
  interpretation: "INTERPRETATION",
  documentation: "DOCUMENTATION",
});

export const scopeEnum = enumMap<Scope, ConsentScope>()("ConsentScope", {
  identity: "IDENTITY",
  contact: "CONTACT",
  health: "HEALTH",
  protection: "PROTECTION",
  legal: "LEGAL",
  family: "FAMILY",
  case_notes: "CASE_NOTES",
});

export const methodEnum = enumMap<WireConsentMethod, ConsentMethod>()("ConsentMethod", {
  written: "WRITTEN",
  verbal: "VERBAL",
  digital: "DIGITAL",
});

export const declineReasonEnum = enumMap<WireDeclineReason, DeclineReason>()("DeclineReason", {
  lack_of_capacity: "LACK_OF_CAPACITY",
  not_eligible: "NOT_ELIGIBLE",
  service_unavailable: "SERVICE_UNAVAILABLE",
  client_refused: "CLIENT_REFUSED",
  unable_to_contact: "UNABLE_TO_CONTACT",
  duplicate: "DUPLICATE",
  other: "OTHER",
});

export const progressEnum = enumMap<UpdateStatus, ProgressStatus>()("ProgressStatus", {
  arrived: "ARRIVED",
  in_progress: "IN_PROGRESS",
  completed: "COMPLETED",
  closed: "CLOSED",
});

export const outcomeEnum = enumMap<WireOutcome, Outcome>()("Outcome", {
  successful: "SUCCESSFUL",
  unsuccessful: "UNSUCCESSFUL",
});

export const ageBandEnum = enumMap<WireAgeBand, AgeBand>()("AgeBand", {
  "0-11": "AGE_0_11",
  "12-17": "AGE_12_17",
  "18-25": "AGE_18_25",
  "26-59": "AGE_26_59",
  "60+": "AGE_60_PLUS",
});

export const ownKeyStateEnum = enumMap<WireOwnKeyState, OwnKeyState>()("OwnKeyState", {
  pending: "PENDING",
  active: "ACTIVE",
  retiring: "RETIRING",
  retired: "RETIRED",
});

export const partnerStatusEnum = enumMap<WirePartnerStatus, PartnerStatus>()("PartnerStatus", {
  active: "ACTIVE",
  suspended: "SUSPENDED",
  revoked: "REVOKED",
});

export const partnerRoleEnum = enumMap<WirePartnerRole, PartnerRole>()("PartnerRole", {
  origin: "ORIGIN",
  destination: "DESTINATION",
});

export const consentGiverEnum = enumMap<WireConsentGiver, ConsentGiver>()("ConsentGiver", {
  self: "SELF",
  parent_or_guardian: "PARENT_OR_GUARDIAN",
  representative: "REPRESENTATIVE",
});

export const overrideReasonEnum = enumMap<WireOverrideReason, OverrideReason>()("OverrideReason", {
  risk_to_life: "RISK_TO_LIFE",
});

export const consentStatusEnum = enumMap<WireConsentStatus, ConsentStatus>()("ConsentStatus", {
  active: "ACTIVE",
  awaiting_approval: "AWAITING_APPROVAL",
  partially_revoked: "PARTIALLY_REVOKED",
  revoked: "REVOKED",
  expired: "EXPIRED",
});

export const revocationCauseEnum = enumMap<WireRevocationCause, RevocationCause>()("RevocationCause", {
  revoked: "REVOKED",
  subject_erased: "SUBJECT_ERASED",
});

export const erasureStatusEnum = enumMap<WireErasureStatus, ErasureStatus>()("ErasureStatus", {
  erased: "ERASED",
  pending: "PENDING",
  overdue: "OVERDUE",
});

export const erasureReasonEnum = enumMap<WireErasureReason, ErasureReason>()("ErasureReason", {
  consent_revoked: "CONSENT_REVOKED",
  consent_expired: "CONSENT_EXPIRED",
  subject_erased: "SUBJECT_ERASED",
  retention: "RETENTION",
  key_destroyed: "KEY_DESTROYED",
});

export const subjectErasureReasonEnum = enumMap<WireSubjectErasureReason, SubjectErasureReason>()(
  "SubjectErasureReason",
  {
    person_request: "PERSON_REQUEST",
    consent_withdrawn: "CONSENT_WITHDRAWN",
    no_longer_needed: "NO_LONGER_NEEDED",
    unlawful_processing: "UNLAWFUL_PROCESSING",
    legal_obligation: "LEGAL_OBLIGATION",
    safety_risk: "SAFETY_RISK",
  },
);
