// Wire types of refnet protocol version 1 (docs/protocol.md). These are the shapes every other package
// and the node build on; validation of untrusted input lives in ./schemas.ts.

export const PROTOCOL_VERSION = 1 as const;

/** Longest allowed message lifetime, `exp - iat` (docs/protocol.md §2): 14 days. */
export const MAX_LIFETIME_SECONDS = 1_209_600;
/** Clock skew tolerated on `iat` and `exp` (docs/protocol.md §2, check 6). */
export const CLOCK_SKEW_SECONDS = 300;
/** Largest envelope a recipient accepts (docs/protocol.md §2, check 1). */
export const MAX_ENVELOPE_BYTES = 512 * 1024;

export const MESSAGE_TYPES = [
  "referral.offer",
  "referral.accept",
  "referral.decline",
  "referral.withdraw",
  "referral.update",
  "consent.revoke",
  "consent.erased",
  "message.receipt",
  "problem.report",
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const URGENCIES = ["routine", "urgent", "emergency"] as const;
export type Urgency = (typeof URGENCIES)[number];

export const DECLINE_REASONS = [
  "lack_of_capacity",
  "not_eligible",
  "service_unavailable",
  "client_refused",
  "unable_to_contact",
  "duplicate",
  "other",
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export const UPDATE_STATUSES = ["arrived", "in_progress", "completed", "closed"] as const;
export type UpdateStatus = (typeof UPDATE_STATUSES)[number];

export const OUTCOMES = ["successful", "unsuccessful"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A referral's states, the same words on both sides (docs/protocol.md §4). `draft` never leaves a node. */
export const REFERRAL_STATES = [
  "draft",
  "sent",
  "delivered",
  "accepted",
  "declined",
  "arrived",
  "in_progress",
  "completed",
  "closed",
  "withdrawn",
  "expired",
] as const;
export type ReferralState = (typeof REFERRAL_STATES)[number];

// Consent (docs/protocol.md §5). The field map and the rules live in @refnet/consent.
export const SCOPES = [
  "identity",
  "contact",
  "health",
  "protection",
  "legal",
  "family",
  "case_notes",
] as const;
export type Scope = (typeof SCOPES)[number];

export const PURPOSES = [
  "shelter",
  "medical",
  "mental_health",
  "legal_aid",
  "livelihood",
  "education",
  "family_tracing",
  "return_reintegration",
  "interpretation",
  "documentation",
] as const;
export type Purpose = (typeof PURPOSES)[number];

export const CONSENT_METHODS = ["written", "verbal", "digital"] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

export const AGE_BANDS = ["0-11", "12-17", "18-25", "26-59", "60+"] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

export interface ConsentOverride {
  reason: "risk_to_life";
  approvedBy: string;
  note: string;
}

export interface Consent {
  id: string;
  subjectRef: string;
  scopes: Scope[];
  purposes: Purpose[];
  recipients: string[];
  grantedAt: number;
  expiresAt: number;
  method: ConsentMethod;
  language: string;
  textVersion: string;
  override?: ConsentOverride;
}

export interface IdentityDocument {
  type: string;
  number?: string;
  issuingCountry?: string;
  expiresOn?: string;
}

/** The person a referral is about. Only `ref`, `languages` and `ageBand` travel without a scope. */
export interface Subject {
  ref: string;
  languages?: string[];
  ageBand?: AgeBand;
  // identity
  givenName?: string;
  familyName?: string;
  dateOfBirth?: string;
  sex?: string;
  nationality?: string;
  documents?: IdentityDocument[];
  // contact
  phone?: string;
  email?: string;
  currentLocation?: string;
  // health, protection, legal, family
  health?: Record<string, unknown>;
  protection?: Record<string, unknown>;
  legal?: Record<string, unknown>;
  family?: Record<string, unknown>;
  // case_notes
  notes?: string;
}

export interface ReferralOfferBody {
  referral: {
    id: string;
    urgency: Urgency;
    services: Purpose[];
    summary?: string;
    proposedArrival?: string;
    respondBy?: string;
  };
  subject: Subject;
}
export interface ReferralAcceptBody {
  note?: string;
  arrangements?: string;
}
export interface ReferralDeclineBody {
  reason: DeclineReason;
  note?: string;
}
export interface ReferralWithdrawBody {
  reason: string;
  note?: string;
}
export interface ReferralUpdateBody {
  status: UpdateStatus;
  outcome?: Outcome;
  note?: string;
}
export interface ConsentRevokeBody {
  consentId: string;
  scopes?: Scope[];
}
export interface ConsentErasedBody {
  consentId: string;
  scopes: Scope[];
  erasedAt: number;
}
export interface MessageReceiptBody {
  ack: string[];
}
export interface ProblemReportBody {
  code: string;
  comment?: string;
  ack: string;
}

export interface BodyByType {
  "referral.offer": ReferralOfferBody;
  "referral.accept": ReferralAcceptBody;
  "referral.decline": ReferralDeclineBody;
  "referral.withdraw": ReferralWithdrawBody;
  "referral.update": ReferralUpdateBody;
  "consent.revoke": ConsentRevokeBody;
  "consent.erased": ConsentErasedBody;
  "message.receipt": MessageReceiptBody;
  "problem.report": ProblemReportBody;
}

/** The signed claims of the inner JWS (docs/protocol.md §2). */
export interface MessageClaims<T extends MessageType = MessageType> {
  v: 1;
  jti: string;
  type: T;
  iss: string;
  aud: string;
  rkid: string;
  iat: number;
  exp: number;
  thid: string;
  tlv: number;
  consent?: Consent;
  body: BodyByType[T];
}

/** What the sender chooses; `seal` fills in v, jti (when absent), iss, rkid, iat, exp and tlv. */
export interface OutgoingMessage<T extends MessageType = MessageType> {
  type: T;
  aud: string;
  thid: string;
  body: BodyByType[T];
  consent?: Consent;
  jti?: string;
  /** Lifetime in seconds; defaults to the protocol maximum so an offline shelter still gets it. */
  ttlSeconds?: number;
}

/** NATS subject of an organization's inbox (docs/protocol.md §3). */
export function inboxSubject(network: string, orgId: string): string {
  return `refnet.${network}.inbox.${orgId}`;
}
export function inboxStreamName(network: string): string {
  return `refnet-${network}-inbox`;
}
export function inboxConsumerName(orgId: string): string {
  return `inbox-${orgId}`;
}
export function trustBucketName(network: string): string {
  return `refnet-${network}-trust`;
}
export function directoryBucketName(network: string): string {
  return `refnet-${network}-directory`;
}
export const TRUST_LIST_KEY = "list";

/** Network id and org id (docs/protocol.md §1.1). */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,62}$/;
/** Message id, and also the format of referral ids (`thid`) and consent ids (docs/protocol.md §1.1). */
export const JTI_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
/** Key id: RFC 7638 SHA-256 thumbprint, base64url (docs/protocol.md §1.1, §1.3). */
export const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** `consent.subjectRef` and `subject.ref`: a pseudonym, never a name (docs/protocol.md §5.1). */
export const SUBJECT_REF_PATTERN = /^[A-Za-z0-9_.:-]{4,64}$/;
/** BCP 47 language tag of `consent.language`, at most 35 characters (docs/protocol.md §5.1). */
export const LANGUAGE_TAG_PATTERN = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;
/** ISO 639 code of `subject.languages` (docs/protocol.md §4.3). */
export const ISO_639_PATTERN = /^[a-z]{2,3}$/;

// JOSE header values of the envelope (docs/protocol.md §2.2, §2.4). Compared exactly, case-sensitive.
export const MSG_JWS_TYP = "refnet-msg+jws";
export const MSG_JWE_TYP = "refnet-msg+jwe";
export const MSG_JWS_ALG = "EdDSA";
export const MSG_JWE_ALG = "ECDH-ES+A256KW";
export const MSG_JWE_ENC = "A256GCM";
