import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { ReferralRecord } from '../../domain/types.ts';
import type { ConsentRecord as ConsentRecordModel, RevocationRecord } from '../../domain/consents.ts';
import type { DisclosurePreview as DisclosurePreviewModel } from '../../domain/referrals.ts';
import type { SubjectErasureResult } from '../../domain/subject-rights.ts';
import type { GraphQLContext } from '../context.ts';
export type Maybe<T> = T | null | undefined;
export type InputMaybe<T> = T | null | undefined;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO 8601 date-time in UTC, e.g. 2026-11-29T10:00:00Z. */
  DateTime: { input: string; output: string; }
  /** Free-form JSON, used for the structured sections of a person's record (health, protection, legal, family). */
  JSON: { input: unknown; output: unknown; }
};

export type AgeBand =
  | 'AGE_0_11'
  | 'AGE_12_17'
  | 'AGE_18_25'
  | 'AGE_26_59'
  | 'AGE_60_PLUS';

/** Who acted: a staff member of this node, a partner organization (by a message), or the node itself. */
export type AuditActor = {
  __typename?: 'AuditActor';
  /** The staff account id or the partner's org id; null for the node itself. */
  id?: Maybe<Scalars['String']['output']>;
  type: AuditActorType;
  /** The staff member's username, when the actor is a staff account of this node. */
  username?: Maybe<Scalars['String']['output']>;
};

export type AuditActorType =
  | 'PARTNER'
  | 'STAFF'
  | 'SYSTEM';

/** A signed checkpoint of the audit trail. */
export type AuditCheckpoint = {
  __typename?: 'AuditCheckpoint';
  at: Scalars['DateTime']['output'];
  hash: Scalars['String']['output'];
  /** The compact JWS: keep a copy off the node, and give it to `refnet audit verify --anchor` later. */
  jws: Scalars['String']['output'];
  /** Where the verifier found that key: key file, trust list vN. */
  keySource: Scalars['String']['output'];
  /** RFC 7638 thumbprint of the node key that signed it. */
  kid: Scalars['String']['output'];
  seq: Scalars['Int']['output'];
};

/**
 * One entry of this node's audit trail (auditors and admins only). It never holds a person's data: the
 * person is named by their pseudonym, and the detail holds field names, scopes, counts and message ids.
 */
export type AuditEntry = {
  __typename?: 'AuditEntry';
  actor: AuditActor;
  at: Scalars['DateTime']['output'];
  consentId?: Maybe<Scalars['String']['output']>;
  /** Field names, scopes, counts and message ids, per kind as docs/audit.md lists them. */
  detail: Scalars['JSON']['output'];
  /** Lowercase hex SHA-256 of this entry's canonical encoding, prevHash included (docs/audit.md). */
  hash: Scalars['String']['output'];
  kind: AuditKind;
  partnerOrgId?: Maybe<Scalars['String']['output']>;
  /** Lowercase hex SHA-256 of the entry before (64 zeros for the first). */
  prevHash: Scalars['String']['output'];
  referralId?: Maybe<Scalars['String']['output']>;
  seq: Scalars['Int']['output'];
  subjectRef?: Maybe<Scalars['String']['output']>;
};

export type AuditEntryConnection = {
  __typename?: 'AuditEntryConnection';
  edges: Array<AuditEntryEdge>;
  pageInfo: PageInfo;
};

export type AuditEntryEdge = {
  __typename?: 'AuditEntryEdge';
  cursor: Scalars['String']['output'];
  node: AuditEntry;
};

export type AuditFilter = {
  kind?: InputMaybe<AuditKind>;
  referralId?: InputMaybe<Scalars['ID']['input']>;
  /** From this time, inclusive. */
  since?: InputMaybe<Scalars['DateTime']['input']>;
  subjectRef?: InputMaybe<Scalars['String']['input']>;
  /** Until this time, exclusive. */
  until?: InputMaybe<Scalars['DateTime']['input']>;
};

/** What an audit entry records (docs/audit.md). */
export type AuditKind =
  | 'CONSENT_OVERRIDE'
  | 'CONSENT_RECORDED'
  | 'CONSENT_REVOKED'
  /** A message carrying a person's data was sealed to a partner. */
  | 'DISCLOSURE'
  | 'ERASURE'
  | 'EXPORT'
  /** A person's data was returned to a staff member through this API. */
  | 'READ'
  | 'RETENTION_PURGE';

export type AuditProblem = {
  __typename?: 'AuditProblem';
  detail: Scalars['String']['output'];
  kind: AuditProblemKind;
  /** The first entry concerned (0 for a checkpoint given from outside that does not verify). */
  seq: Scalars['Int']['output'];
};

export type AuditProblemKind =
  /** The entry does not link to the one before: that one was edited and its hash redone. */
  | 'BROKEN_LINK'
  /** The entry does not match its hash: it was edited. */
  | 'CHANGED'
  /** The chain's hash at a checkpoint differs from the one signed there: the chain was rewritten. */
  | 'CHECKPOINT_MISMATCH'
  /** A checkpoint's signature, key or payload is not valid. */
  | 'CHECKPOINT_SIGNATURE'
  /** The head row disagrees with the chain. */
  | 'HEAD_MISMATCH'
  /** Entries are absent from the sequence: they were deleted. */
  | 'MISSING'
  /** The entry's hash is right for another seq: rows were reordered. */
  | 'REORDERED'
  /** The log ends before the head or a signed checkpoint says it reached: its tail was cut. */
  | 'TRUNCATED';

/** The whole audit trail checked, as `refnet audit verify` reports it (docs/audit.md). */
export type AuditVerification = {
  __typename?: 'AuditVerification';
  checkpoints: Scalars['Int']['output'];
  /** Checkpoints whose signature verified and whose hash the chain reaches. */
  checkpointsVerified: Scalars['Int']['output'];
  entries: Scalars['Int']['output'];
  /** The first bad entry and what is wrong with it; null when the trail is intact. */
  firstProblem?: Maybe<AuditProblem>;
  headHash?: Maybe<Scalars['String']['output']>;
  /** The last entry's seq (0 for an empty trail) and hash. */
  headSeq: Scalars['Int']['output'];
  /** Where the public keys for the checkpoints came from. */
  keySources: Array<Scalars['String']['output']>;
  latestCheckpoint?: Maybe<AuditCheckpoint>;
  notes: Array<Scalars['String']['output']>;
  ok: Scalars['Boolean']['output'];
  problemCount: Scalars['Int']['output'];
  /** Problems by seq (at most 50). */
  problems: Array<AuditProblem>;
};

export type Consent = {
  __typename?: 'Consent';
  expiresAt: Scalars['DateTime']['output'];
  grantedAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** True when `override` is set: the person did not consent to this sharing. */
  isOverride: Scalars['Boolean']['output'];
  language: Scalars['String']['output'];
  method: ConsentMethod;
  /** Set when the data was shared under a lawful override instead of the person's consent. */
  override?: Maybe<ConsentOverride>;
  purposes: Array<Service>;
  recipients: Array<Scalars['String']['output']>;
  scopes: Array<ConsentScope>;
  subjectRef: Scalars['String']['output'];
  textVersion: Scalars['String']['output'];
};

/** Who gave a consent: the relation to the person, never a name. */
export type ConsentGiver =
  /** A parent or legal guardian. */
  | 'PARENT_OR_GUARDIAN'
  /** Another representative with authority to consent for the person. */
  | 'REPRESENTATIVE'
  /** The person themself. */
  | 'SELF';

/** A consent recorded together with a draft (draftReferral): the convenience form of recordConsent. */
export type ConsentInput = {
  expiresAt: Scalars['DateTime']['input'];
  /** Who gave it (recorded as not given when absent). */
  givenBy?: InputMaybe<ConsentGiver>;
  grantedAt?: InputMaybe<Scalars['DateTime']['input']>;
  language: Scalars['String']['input'];
  method: ConsentMethod;
  purposes: Array<Service>;
  recipients: Array<Scalars['String']['input']>;
  scopes: Array<ConsentScope>;
  textVersion: Scalars['String']['input'];
};

export type ConsentMethod =
  | 'DIGITAL'
  | 'VERBAL'
  | 'WRITTEN';

/**
 * The lawful ground on which data was shared WITHOUT the person's consent (docs/protocol.md §5.5): a
 * risk to life, approved by a supervisor of the origin. Shown wherever the consent is shown.
 */
export type ConsentOverride = {
  __typename?: 'ConsentOverride';
  /** The origin supervisor who approved it (a username, never the person). */
  approvedBy: Scalars['String']['output'];
  /** The grounds, as the origin wrote them. */
  note: Scalars['String']['output'];
  /** Always risk_to_life in version 1. */
  reason: Scalars['String']['output'];
};

/** A lawful override as this node recorded it (docs/consent.md). */
export type ConsentOverrideRecord = {
  __typename?: 'ConsentOverrideRecord';
  approvedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The supervisor who approved it; null while it awaits approval. */
  approvedBy?: Maybe<Scalars['String']['output']>;
  /** The grounds; null once the person's data was erased. */
  note?: Maybe<Scalars['String']['output']>;
  reason: OverrideReason;
  /** The staff member who asked for it. */
  requestedBy?: Maybe<Scalars['String']['output']>;
};

/** A consent recorded on this node (origin side): what the person agreed to, or an approved override. */
export type ConsentRecord = {
  __typename?: 'ConsentRecord';
  /** What may still leave this node under it: granted less revoked. */
  effectiveScopes: Array<ConsentScope>;
  expiresAt: Scalars['DateTime']['output'];
  /** Who gave it; null for an override, or when it was recorded with a draft and not given. */
  givenBy?: Maybe<ConsentGiver>;
  grantedAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  isOverride: Scalars['Boolean']['output'];
  /** BCP 47 tag of the language the person was asked in. */
  language: Scalars['String']['output'];
  method: ConsentMethod;
  override?: Maybe<ConsentOverrideRecord>;
  purposes: Array<Service>;
  recipients: Array<Scalars['String']['output']>;
  recordedAt: Scalars['DateTime']['output'];
  /** The staff member who recorded it. */
  recordedBy?: Maybe<Scalars['String']['output']>;
  /** Referrals drafted or sent under it. */
  referrals: Array<Referral>;
  /** Its revocations, newest first, with what each recipient organization has answered. */
  revocations: Array<ConsentRevocation>;
  /** The scopes revoked since (all of them once the consent is revoked whole). */
  revokedScopes: Array<ConsentScope>;
  /** The scopes granted. */
  scopes: Array<ConsentScope>;
  status: ConsentStatus;
  subjectRef: Scalars['String']['output'];
  /** Which version of the consent text was read or shown to the person. */
  textVersion: Scalars['String']['output'];
  /** The consent object as it would travel now (docs/protocol.md §5.1); null while nothing can be sent under it. */
  wire?: Maybe<Consent>;
};

export type ConsentRevocation = {
  __typename?: 'ConsentRevocation';
  /** True when the whole consent was revoked. */
  all: Scalars['Boolean']['output'];
  cause: RevocationCause;
  /** Every recipient has answered consent.erased. */
  complete: Scalars['Boolean']['output'];
  consentId: Scalars['ID']['output'];
  /** After this a recipient that has not answered is OVERDUE. */
  deadline: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  recipients: Array<RevocationRecipient>;
  requestedAt: Scalars['DateTime']['output'];
  requestedBy?: Maybe<Scalars['String']['output']>;
  /** The scopes revoked (all seven when `all`). */
  scopes: Array<ConsentScope>;
};

export type ConsentScope =
  | 'CASE_NOTES'
  | 'CONTACT'
  | 'FAMILY'
  | 'HEALTH'
  | 'IDENTITY'
  | 'LEGAL'
  | 'PROTECTION';

export type ConsentStatus =
  /** In force: referrals can be drafted and sent under it. */
  | 'ACTIVE'
  /** An override a supervisor has not approved yet: nothing can be sent under it. */
  | 'AWAITING_APPROVAL'
  | 'EXPIRED'
  /** Some scopes were revoked: their fields no longer leave this node. */
  | 'PARTIALLY_REVOKED'
  /** Revoked whole: nothing more leaves this node under it. */
  | 'REVOKED';

export type DeclineReason =
  | 'CLIENT_REFUSED'
  | 'DUPLICATE'
  | 'LACK_OF_CAPACITY'
  | 'NOT_ELIGIBLE'
  | 'OTHER'
  | 'SERVICE_UNAVAILABLE'
  | 'UNABLE_TO_CONTACT';

export type Direction =
  | 'INCOMING'
  | 'OUTGOING';

/** What sending a referral discloses, computed by the same code that sends it. */
export type DisclosurePreview = {
  __typename?: 'DisclosurePreview';
  /** Why sending now would be refused (an ERR_* code such as ERR_CONSENT_REVOKED), or null. */
  blockedBy?: Maybe<Scalars['String']['output']>;
  /** The consent object as it travels (or travelled). */
  consent: Consent;
  destinationOrgId: Scalars['String']['output'];
  /** Field names of `subject` that leave this node if it is sent now (that left, once sent; that arrived, for an incoming one). */
  fields: Array<Scalars['String']['output']>;
  referralId: Scalars['ID']['output'];
  /** Whether the offer already left this node. */
  sent: Scalars['Boolean']['output'];
};

export type DraftReferralInput = {
  /** The consent, recorded with the draft. Give exactly one of consent and consentId. */
  consent?: InputMaybe<ConsentInput>;
  /** A consent recorded before (recordConsent), for instance an approved override. */
  consentId?: InputMaybe<Scalars['ID']['input']>;
  destinationOrgId: Scalars['String']['input'];
  proposedArrival?: InputMaybe<Scalars['String']['input']>;
  respondBy?: InputMaybe<Scalars['DateTime']['input']>;
  services: Array<Service>;
  subject: SubjectInput;
  summary?: InputMaybe<Scalars['String']['input']>;
  urgency: Urgency;
};

/** What was erased from a referral's subject. The fields are gone from the node, not hidden. */
export type Erasure = {
  __typename?: 'Erasure';
  /** Every field but `ref` is gone. */
  all: Scalars['Boolean']['output'];
  at: Scalars['DateTime']['output'];
  reason: ErasureReason;
  /** The scopes whose fields are gone. */
  scopes: Array<ConsentScope>;
};

export type ErasureReason =
  /** The consent expired. */
  | 'CONSENT_EXPIRED'
  /** The origin revoked the consent (all or some scopes). */
  | 'CONSENT_REVOKED'
  /** The person's data key was destroyed (docs/data-at-rest.md). */
  | 'KEY_DESTROYED'
  /** The retention period passed (docs/data-at-rest.md). */
  | 'RETENTION'
  /** The person's data was erased on this node (eraseSubject). */
  | 'SUBJECT_ERASED';

export type ErasureStatus =
  /** The organization answered consent.erased: the data is gone there. */
  | 'ERASED'
  /** Not answered by the deadline (REFNET_ERASURE_DEADLINE_HOURS): follow it up with the organization. */
  | 'OVERDUE'
  /** Not answered yet, within the deadline. */
  | 'PENDING';

export type Health = {
  __typename?: 'Health';
  database: Scalars['Boolean']['output'];
  nats: Scalars['Boolean']['output'];
  outboxPending: Scalars['Int']['output'];
  quarantined: Scalars['Int']['output'];
  ready: Scalars['Boolean']['output'];
  trust: TrustState;
};

export type IdentityDocument = {
  __typename?: 'IdentityDocument';
  expiresOn?: Maybe<Scalars['String']['output']>;
  issuingCountry?: Maybe<Scalars['String']['output']>;
  number?: Maybe<Scalars['String']['output']>;
  type: Scalars['String']['output'];
};

export type IdentityDocumentInput = {
  expiresOn?: InputMaybe<Scalars['String']['input']>;
  issuingCountry?: InputMaybe<Scalars['String']['input']>;
  number?: InputMaybe<Scalars['String']['input']>;
  type: Scalars['String']['input'];
};

/** A key rotation this node requested that the trust list in force does not list yet (admins only). */
export type KeyRotationRequest = {
  __typename?: 'KeyRotationRequest';
  /** The new encryption key's RFC 7638 thumbprint. */
  encryptionKid: Scalars['String']['output'];
  /** How long the current keys should stay valid after the new ones start. */
  overlapSeconds: Scalars['Int']['output'];
  /** The request as sent to the network admins: a compact JWS holding public keys only. */
  request: Scalars['String']['output'];
  requestedAt: Scalars['DateTime']['output'];
  /** The listed signing key that signed the request. */
  signedWith: Scalars['String']['output'];
  /** The new signing key's RFC 7638 thumbprint. */
  signingKid: Scalars['String']['output'];
};

export type KeyUse =
  | 'ENC'
  | 'SIG';

export type Mutation = {
  __typename?: 'Mutation';
  acceptReferral: Referral;
  /** A supervisor, other than the staff member who asked, approves an override. */
  approveOverride: ConsentRecord;
  declineReferral: Referral;
  /** Record a referral as a draft: fields the consent does not allow are dropped here, before anything is stored. */
  draftReferral: Referral;
  /**
   * Erase everything this node holds about one person (supervisors and admins; recorded in the audit
   * trail). At the origin, also revokes each of their consents whole, so every recipient erases too.
   */
  eraseSubject: SubjectErasure;
  /** Record a person's consent, or ask for a lawful override (docs/consent.md). */
  recordConsent: ConsentRecord;
  /** Report arrival, progress or outcome of an accepted referral (destination side). */
  reportProgress: Referral;
  /**
   * Revoke a consent, whole or for some scopes: nothing under the revoked scopes leaves this node again,
   * and every organization that received data under it is told to erase it (consent.revoke).
   */
  revokeConsent: ConsentRevocation;
  /** Send a draft to its destination. */
  sendReferral: Referral;
  withdrawReferral: Referral;
};


export type MutationAcceptReferralArgs = {
  arrangements?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
};


export type MutationApproveOverrideArgs = {
  consentId: Scalars['ID']['input'];
};


export type MutationDeclineReferralArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
  reason: DeclineReason;
};


export type MutationDraftReferralArgs = {
  input: DraftReferralInput;
};


export type MutationEraseSubjectArgs = {
  originOrgId?: InputMaybe<Scalars['String']['input']>;
  reason: SubjectErasureReason;
  subjectRef: Scalars['String']['input'];
};


export type MutationRecordConsentArgs = {
  input: RecordConsentInput;
};


export type MutationReportProgressArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
  outcome?: InputMaybe<Outcome>;
  status: ProgressStatus;
};


export type MutationRevokeConsentArgs = {
  id: Scalars['ID']['input'];
  scopes?: InputMaybe<Array<ConsentScope>>;
};


export type MutationSendReferralArgs = {
  id: Scalars['ID']['input'];
};


export type MutationWithdrawReferralArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
  reason: Scalars['String']['input'];
};

/** This node's own organization, as the trust list names it. */
export type Organization = {
  __typename?: 'Organization';
  country: Scalars['String']['output'];
  name: Scalars['String']['output'];
  network: Scalars['String']['output'];
  orgId: Scalars['ID']['output'];
  roles: Array<PartnerRole>;
};

export type Outcome =
  | 'SUCCESSFUL'
  | 'UNSUCCESSFUL';

export type OverrideReason =
  | 'RISK_TO_LIFE';

export type OverrideRequestInput = {
  /** The grounds: why the risk to life justifies sharing without consent. */
  note: Scalars['String']['input'];
  reason: OverrideReason;
};

/** One of this node's own keys (public facts only, admins only). */
export type OwnKey = {
  __typename?: 'OwnKey';
  createdAt: Scalars['DateTime']['output'];
  /** The thumbprint in hex, groups of four, as `refnet keys show` prints it. */
  fingerprint: Scalars['String']['output'];
  /** Until when the node keeps the key: notAfter + 14 days + 300 s (docs/protocol.md §1.5). */
  keptUntil?: Maybe<Scalars['DateTime']['output']>;
  /** RFC 7638 thumbprint. */
  kid: Scalars['String']['output'];
  /** Whether the trust list in force lists the key for this organization. */
  listed: Scalars['Boolean']['output'];
  notAfter?: Maybe<Scalars['DateTime']['output']>;
  /** The key's validity in the trust list in force; null while it is not listed. */
  notBefore?: Maybe<Scalars['DateTime']['output']>;
  retiredAt?: Maybe<Scalars['DateTime']['output']>;
  state: OwnKeyState;
  use: KeyUse;
};

/**
 * What this node does with one of its own keys, judged against the trust list in force
 * (docs/admin-guide.md, "A partner rotates its keys").
 */
export type OwnKeyState =
  /** The signing key the node signs with, or the encryption key partners encrypt to now. */
  | 'ACTIVE'
  /** Made by `refnet keys rotate` (or not admitted yet) and not listed yet: never used. */
  | 'PENDING'
  /** Of no further use; its private half is destroyed. */
  | 'RETIRED'
  /** An older key still in use for a while: partners still verify what it signed, messages sealed to it still open. */
  | 'RETIRING';

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

/** Another organization of the network, from the trust list in force. */
export type Partner = {
  __typename?: 'Partner';
  country: Scalars['String']['output'];
  /** RFC 7638 thumbprints of the partner's keys in force. */
  keyFingerprints: Array<Scalars['String']['output']>;
  name: Scalars['String']['output'];
  orgId: Scalars['ID']['output'];
  roles: Array<PartnerRole>;
  status: PartnerStatus;
};

export type PartnerRole =
  | 'DESTINATION'
  | 'ORIGIN';

export type PartnerStatus =
  | 'ACTIVE'
  | 'REVOKED'
  | 'SUSPENDED';

export type ProgressStatus =
  | 'ARRIVED'
  | 'CLOSED'
  | 'COMPLETED'
  | 'IN_PROGRESS';

export type QuarantineConnection = {
  __typename?: 'QuarantineConnection';
  edges: Array<QuarantineEdge>;
  pageInfo: PageInfo;
};

export type QuarantineEdge = {
  __typename?: 'QuarantineEdge';
  cursor: Scalars['String']['output'];
  node: QuarantinedMessage;
};

/** A message this node refused, kept with the reason. Never holds the message in the clear. */
export type QuarantinedMessage = {
  __typename?: 'QuarantinedMessage';
  code: Scalars['String']['output'];
  detail: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  messageId?: Maybe<Scalars['String']['output']>;
  receivedAt: Scalars['DateTime']['output'];
  /** Sender and message id, when the signature verified (otherwise they are unproven and not shown). */
  senderOrgId?: Maybe<Scalars['String']['output']>;
  size: Scalars['Int']['output'];
  type?: Maybe<Scalars['String']['output']>;
};

export type Query = {
  __typename?: 'Query';
  /** This node's audit trail, newest first (auditors and admins only). */
  auditLog: AuditEntryConnection;
  /** Checks the whole audit trail: hashes, links, head and signed checkpoints (auditors and admins only). */
  auditVerification: AuditVerification;
  /** A consent recorded on this node. */
  consent?: Maybe<ConsentRecord>;
  /** The consents recorded for one person, newest first. */
  consents: Array<ConsentRecord>;
  /** Exactly which fields sending a referral would disclose (or disclosed), and whether it can be sent now. */
  disclosurePreview: DisclosurePreview;
  /**
   * Everything this node holds about one person, as one JSON document (supervisors and admins; recorded
   * in the audit trail). originOrgId: the organization that chose the pseudonym, this one when absent.
   */
  exportSubject: Scalars['JSON']['output'];
  health: Health;
  /** The staff member the bearer token belongs to. */
  me: Staff;
  organization: Organization;
  /** This node's own keys with their state under the trust list in force (admins only). */
  ownKeys: Array<OwnKey>;
  /** Partners of the network from the trust list in force, optionally narrowed. */
  partners: Array<Partner>;
  /** The key rotation this node requested, while the trust list in force does not list its keys (admins only). */
  pendingKeyRotations: Array<KeyRotationRequest>;
  /** Refused messages (admins only). */
  quarantine: QuarantineConnection;
  referral?: Maybe<Referral>;
  referrals: ReferralConnection;
  /** The trust list in force, with every partner and key (admins only). */
  trustList: TrustListInfo;
  /** Trust lists this node refused, newest first (admins only). */
  trustRefusals: TrustRefusalConnection;
};


export type QueryAuditLogArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<AuditFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryConsentArgs = {
  id: Scalars['ID']['input'];
};


export type QueryConsentsArgs = {
  subjectRef: Scalars['String']['input'];
};


export type QueryDisclosurePreviewArgs = {
  referralId: Scalars['ID']['input'];
};


export type QueryExportSubjectArgs = {
  originOrgId?: InputMaybe<Scalars['String']['input']>;
  subjectRef: Scalars['String']['input'];
};


export type QueryPartnersArgs = {
  country?: InputMaybe<Scalars['String']['input']>;
  includeInactive?: InputMaybe<Scalars['Boolean']['input']>;
  role?: InputMaybe<PartnerRole>;
};


export type QueryQuarantineArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryReferralArgs = {
  id: Scalars['ID']['input'];
};


export type QueryReferralsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ReferralFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryTrustRefusalsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type RecordConsentInput = {
  expiresAt: Scalars['DateTime']['input'];
  /** Who gave the consent. Required, except for an override (which records that nobody did). */
  givenBy?: InputMaybe<ConsentGiver>;
  grantedAt?: InputMaybe<Scalars['DateTime']['input']>;
  language: Scalars['String']['input'];
  method: ConsentMethod;
  /** Ask for a lawful override instead of consent; a different staff member, a supervisor, must approve it. */
  override?: InputMaybe<OverrideRequestInput>;
  purposes: Array<Service>;
  recipients: Array<Scalars['String']['input']>;
  scopes: Array<ConsentScope>;
  /** The person's pseudonym; generated when absent. Never a name. */
  subjectRef?: InputMaybe<Scalars['String']['input']>;
  textVersion: Scalars['String']['input'];
};

export type Referral = {
  __typename?: 'Referral';
  arrangements?: Maybe<Scalars['String']['output']>;
  consent: Consent;
  /** The consent record it was drafted under (origin only). */
  consentRecord?: Maybe<ConsentRecord>;
  createdAt: Scalars['DateTime']['output'];
  declineReason?: Maybe<DeclineReason>;
  destinationOrgId: Scalars['String']['output'];
  direction: Direction;
  /** Field names of `subject` that left (or will leave) this node, as the consent allows. */
  disclosedFields: Array<Scalars['String']['output']>;
  /** What was erased from `subject` (revocation, expiry, erasure of the person); null when nothing was. */
  erasure?: Maybe<Erasure>;
  id: Scalars['ID']['output'];
  originOrgId: Scalars['String']['output'];
  outcome?: Maybe<Outcome>;
  /** The organization on the other side of this referral. */
  partner?: Maybe<Partner>;
  proposedArrival?: Maybe<Scalars['String']['output']>;
  respondBy?: Maybe<Scalars['DateTime']['output']>;
  services: Array<Service>;
  status: ReferralStatus;
  subject: Subject;
  summary?: Maybe<Scalars['String']['output']>;
  timeline: Array<ReferralEvent>;
  updatedAt: Scalars['DateTime']['output'];
  urgency: Urgency;
};

export type ReferralConnection = {
  __typename?: 'ReferralConnection';
  edges: Array<ReferralEdge>;
  pageInfo: PageInfo;
};

export type ReferralEdge = {
  __typename?: 'ReferralEdge';
  cursor: Scalars['String']['output'];
  node: Referral;
};

export type ReferralEvent = {
  __typename?: 'ReferralEvent';
  /** The organization whose action this was. */
  actorOrgId: Scalars['String']['output'];
  /** The staff member, when the action was taken on this node. */
  actorStaff?: Maybe<Scalars['String']['output']>;
  at: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** What happened: created, sent, delivered, accepted, declined, withdrawn, arrived, in_progress, completed, closed, expired, problem, consent_revoked, consent_erased, erased, purged (the retention job removed the person's data, docs/data-at-rest.md). */
  kind: Scalars['String']['output'];
  note?: Maybe<Scalars['String']['output']>;
  referralId: Scalars['ID']['output'];
  status: ReferralStatus;
};

export type ReferralFilter = {
  direction?: InputMaybe<Direction>;
  partnerOrgId?: InputMaybe<Scalars['String']['input']>;
  service?: InputMaybe<Service>;
  status?: InputMaybe<Array<ReferralStatus>>;
  urgency?: InputMaybe<Urgency>;
};

export type ReferralStatus =
  | 'ACCEPTED'
  | 'ARRIVED'
  | 'CLOSED'
  | 'COMPLETED'
  | 'DECLINED'
  | 'DELIVERED'
  | 'DRAFT'
  | 'EXPIRED'
  | 'IN_PROGRESS'
  | 'SENT'
  | 'WITHDRAWN';

export type RevocationCause =
  /** The person withdrew their consent (revokeConsent). */
  | 'REVOKED'
  /** The person's data was erased on this node (eraseSubject). */
  | 'SUBJECT_ERASED';

/** One organization that received data under a revoked consent, and whether it has erased it. */
export type RevocationRecipient = {
  __typename?: 'RevocationRecipient';
  /** When the organization committed the erasure, as its consent.erased says. */
  erasedAt?: Maybe<Scalars['DateTime']['output']>;
  orgId: Scalars['String']['output'];
  /** Why it could not be queued (an ERR_* code), or the code of a problem report the organization answered. */
  problem?: Maybe<Scalars['String']['output']>;
  /** False when a consent.revoke could not be queued (the partner suspended, this node not sending). */
  queued: Scalars['Boolean']['output'];
  /** The referrals it received under the consent: one consent.revoke was sent for each. */
  referralIds: Array<Scalars['ID']['output']>;
  status: ErasureStatus;
};

export type Role =
  | 'ADMIN'
  /** Reads the audit trail (auditLog, auditVerification) and nothing about people. */
  | 'AUDITOR'
  | 'CASEWORKER'
  | 'SUPERVISOR';

export type Service =
  | 'DOCUMENTATION'
  | 'EDUCATION'
  | 'FAMILY_TRACING'
  | 'INTERPRETATION'
  | 'LEGAL_AID'
  | 'LIVELIHOOD'
  | 'MEDICAL'
  | 'MENTAL_HEALTH'
  | 'RETURN_REINTEGRATION'
  | 'SHELTER';

export type Staff = {
  __typename?: 'Staff';
  displayName?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  role: Role;
  username: Scalars['String']['output'];
};

/** The person a referral is about: only the fields their consent allows are ever present. */
export type Subject = {
  __typename?: 'Subject';
  ageBand?: Maybe<AgeBand>;
  currentLocation?: Maybe<Scalars['String']['output']>;
  dateOfBirth?: Maybe<Scalars['String']['output']>;
  documents?: Maybe<Array<IdentityDocument>>;
  email?: Maybe<Scalars['String']['output']>;
  family?: Maybe<Scalars['JSON']['output']>;
  familyName?: Maybe<Scalars['String']['output']>;
  givenName?: Maybe<Scalars['String']['output']>;
  health?: Maybe<Scalars['JSON']['output']>;
  languages: Array<Scalars['String']['output']>;
  legal?: Maybe<Scalars['JSON']['output']>;
  nationality?: Maybe<Scalars['String']['output']>;
  notes?: Maybe<Scalars['String']['output']>;
  phone?: Maybe<Scalars['String']['output']>;
  protection?: Maybe<Scalars['JSON']['output']>;
  ref: Scalars['String']['output'];
  sex?: Maybe<Scalars['String']['output']>;
};

export type SubjectErasure = {
  __typename?: 'SubjectErasure';
  /** Consents revoked by this erasure (each told every recipient organization to erase). */
  consentsRevoked: Scalars['Int']['output'];
  erasedAt: Scalars['DateTime']['output'];
  /** The organization that chose the pseudonym (this node's own people unless given). */
  originOrgId: Scalars['String']['output'];
  /** Referrals erased on this node. */
  referrals: Scalars['Int']['output'];
  revocations: Array<ConsentRevocation>;
  subjectRef: Scalars['String']['output'];
};

/** Why a person's data is erased: the grounds of GDPR Art. 17(1), or a risk to the person. */
export type SubjectErasureReason =
  | 'CONSENT_WITHDRAWN'
  | 'LEGAL_OBLIGATION'
  | 'NO_LONGER_NEEDED'
  | 'PERSON_REQUEST'
  | 'SAFETY_RISK'
  | 'UNLAWFUL_PROCESSING';

export type SubjectInput = {
  ageBand?: InputMaybe<AgeBand>;
  currentLocation?: InputMaybe<Scalars['String']['input']>;
  dateOfBirth?: InputMaybe<Scalars['String']['input']>;
  documents?: InputMaybe<Array<IdentityDocumentInput>>;
  email?: InputMaybe<Scalars['String']['input']>;
  family?: InputMaybe<Scalars['JSON']['input']>;
  familyName?: InputMaybe<Scalars['String']['input']>;
  givenName?: InputMaybe<Scalars['String']['input']>;
  health?: InputMaybe<Scalars['JSON']['input']>;
  languages?: InputMaybe<Array<Scalars['String']['input']>>;
  legal?: InputMaybe<Scalars['JSON']['input']>;
  nationality?: InputMaybe<Scalars['String']['input']>;
  notes?: InputMaybe<Scalars['String']['input']>;
  phone?: InputMaybe<Scalars['String']['input']>;
  protection?: InputMaybe<Scalars['JSON']['input']>;
  /** A pseudonym for the person; generated when absent. Never a name. */
  ref?: InputMaybe<Scalars['String']['input']>;
  sex?: InputMaybe<Scalars['String']['input']>;
};

export type Subscription = {
  __typename?: 'Subscription';
  /** Events of every referral this node holds, or of one referral. */
  referralEvents: ReferralEvent;
};


export type SubscriptionReferralEventsArgs = {
  referralId?: InputMaybe<Scalars['ID']['input']>;
};

/** A network admin of the trust list in force. */
export type TrustListAdmin = {
  __typename?: 'TrustListAdmin';
  /** The thumbprint in hex, groups of four, as `refnet trust show` prints it. */
  fingerprint: Scalars['String']['output'];
  id: Scalars['String']['output'];
  /** RFC 7638 thumbprint of the admin's Ed25519 key. */
  kid: Scalars['String']['output'];
};

/** The trust list in force on this node (docs/protocol.md §6). */
export type TrustListInfo = {
  __typename?: 'TrustListInfo';
  admins: Array<TrustListAdmin>;
  /** Lowercase hex SHA-256 of the signed list (docs/protocol.md §6.5), as `refnet trust verify` prints it. */
  digest: Scalars['String']['output'];
  expired: Scalars['Boolean']['output'];
  expiresAt: Scalars['DateTime']['output'];
  issuedAt: Scalars['DateTime']['output'];
  network: Scalars['String']['output'];
  partners: Array<TrustListPartner>;
  threshold: Scalars['Int']['output'];
  version: Scalars['Int']['output'];
};

/** A partner key of the trust list in force. */
export type TrustListKey = {
  __typename?: 'TrustListKey';
  /** The thumbprint in hex, groups of four. */
  fingerprint: Scalars['String']['output'];
  /** RFC 7638 thumbprint. */
  kid: Scalars['String']['output'];
  notAfter?: Maybe<Scalars['DateTime']['output']>;
  notBefore: Scalars['DateTime']['output'];
  use: KeyUse;
  /** Whether the key is valid at this moment (notBefore ≤ now < notAfter). */
  validNow: Scalars['Boolean']['output'];
};

/** An organization of the trust list in force, whatever its status, with all its keys (admins only). */
export type TrustListPartner = {
  __typename?: 'TrustListPartner';
  country: Scalars['String']['output'];
  keys: Array<TrustListKey>;
  name: Scalars['String']['output'];
  orgId: Scalars['ID']['output'];
  roles: Array<PartnerRole>;
  status: PartnerStatus;
};

/** A trust list this node refused; the list in force stayed in force. */
export type TrustRefusal = {
  __typename?: 'TrustRefusal';
  /** Why: an e.t.* code (docs/admin-guide.md). */
  code: Scalars['String']['output'];
  detail: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** The list's JSON as received (public keys and org names only); null when too large to be a trust list. */
  list?: Maybe<Scalars['String']['output']>;
  receivedAt: Scalars['DateTime']['output'];
  /** Where the list came from: kv (the bucket watch) or refresh (read when a message named a newer list). */
  source: Scalars['String']['output'];
  /** The refused list's version, when its payload could be read. */
  version?: Maybe<Scalars['Int']['output']>;
};

export type TrustRefusalConnection = {
  __typename?: 'TrustRefusalConnection';
  edges: Array<TrustRefusalEdge>;
  pageInfo: PageInfo;
};

export type TrustRefusalEdge = {
  __typename?: 'TrustRefusalEdge';
  cursor: Scalars['String']['output'];
  node: TrustRefusal;
};

/** The latest trust list this node refused (docs/protocol.md §6.4). */
export type TrustRefusalSummary = {
  __typename?: 'TrustRefusalSummary';
  at: Scalars['DateTime']['output'];
  code: Scalars['String']['output'];
  /** The refused list's version, when its payload could be read. */
  version?: Maybe<Scalars['Int']['output']>;
};

export type TrustState = {
  __typename?: 'TrustState';
  expired: Scalars['Boolean']['output'];
  expiresAt: Scalars['DateTime']['output'];
  /** The latest refused trust list, if any (the list in force is unchanged by a refusal). */
  lastRefusal?: Maybe<TrustRefusalSummary>;
  version: Scalars['Int']['output'];
};

export type Urgency =
  | 'EMERGENCY'
  | 'ROUTINE'
  | 'URGENT';



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  AgeBand: AgeBand;
  AuditActor: ResolverTypeWrapper<AuditActor>;
  AuditActorType: AuditActorType;
  AuditCheckpoint: ResolverTypeWrapper<AuditCheckpoint>;
  AuditEntry: ResolverTypeWrapper<AuditEntry>;
  AuditEntryConnection: ResolverTypeWrapper<AuditEntryConnection>;
  AuditEntryEdge: ResolverTypeWrapper<AuditEntryEdge>;
  AuditFilter: AuditFilter;
  AuditKind: AuditKind;
  AuditProblem: ResolverTypeWrapper<AuditProblem>;
  AuditProblemKind: AuditProblemKind;
  AuditVerification: ResolverTypeWrapper<AuditVerification>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Consent: ResolverTypeWrapper<Consent>;
  ConsentGiver: ConsentGiver;
  ConsentInput: ConsentInput;
  ConsentMethod: ConsentMethod;
  ConsentOverride: ResolverTypeWrapper<ConsentOverride>;
  ConsentOverrideRecord: ResolverTypeWrapper<ConsentOverrideRecord>;
  ConsentRecord: ResolverTypeWrapper<ConsentRecordModel>;
  ConsentRevocation: ResolverTypeWrapper<RevocationRecord>;
  ConsentScope: ConsentScope;
  ConsentStatus: ConsentStatus;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  DeclineReason: DeclineReason;
  Direction: Direction;
  DisclosurePreview: ResolverTypeWrapper<DisclosurePreviewModel>;
  DraftReferralInput: DraftReferralInput;
  Erasure: ResolverTypeWrapper<Erasure>;
  ErasureReason: ErasureReason;
  ErasureStatus: ErasureStatus;
  Health: ResolverTypeWrapper<Health>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  IdentityDocument: ResolverTypeWrapper<IdentityDocument>;
  IdentityDocumentInput: IdentityDocumentInput;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  KeyRotationRequest: ResolverTypeWrapper<KeyRotationRequest>;
  KeyUse: KeyUse;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Organization: ResolverTypeWrapper<Organization>;
  Outcome: Outcome;
  OverrideReason: OverrideReason;
  OverrideRequestInput: OverrideRequestInput;
  OwnKey: ResolverTypeWrapper<OwnKey>;
  OwnKeyState: OwnKeyState;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Partner: ResolverTypeWrapper<Partner>;
  PartnerRole: PartnerRole;
  PartnerStatus: PartnerStatus;
  ProgressStatus: ProgressStatus;
  QuarantineConnection: ResolverTypeWrapper<QuarantineConnection>;
  QuarantineEdge: ResolverTypeWrapper<QuarantineEdge>;
  QuarantinedMessage: ResolverTypeWrapper<QuarantinedMessage>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RecordConsentInput: RecordConsentInput;
  Referral: ResolverTypeWrapper<ReferralRecord>;
  ReferralConnection: ResolverTypeWrapper<Omit<ReferralConnection, 'edges'> & { edges: Array<ResolversTypes['ReferralEdge']> }>;
  ReferralEdge: ResolverTypeWrapper<Omit<ReferralEdge, 'node'> & { node: ResolversTypes['Referral'] }>;
  ReferralEvent: ResolverTypeWrapper<ReferralEvent>;
  ReferralFilter: ReferralFilter;
  ReferralStatus: ReferralStatus;
  RevocationCause: RevocationCause;
  RevocationRecipient: ResolverTypeWrapper<RevocationRecipient>;
  Role: Role;
  Service: Service;
  Staff: ResolverTypeWrapper<Staff>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subject: ResolverTypeWrapper<Subject>;
  SubjectErasure: ResolverTypeWrapper<SubjectErasureResult>;
  SubjectErasureReason: SubjectErasureReason;
  SubjectInput: SubjectInput;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  TrustListAdmin: ResolverTypeWrapper<TrustListAdmin>;
  TrustListInfo: ResolverTypeWrapper<TrustListInfo>;
  TrustListKey: ResolverTypeWrapper<TrustListKey>;
  TrustListPartner: ResolverTypeWrapper<TrustListPartner>;
  TrustRefusal: ResolverTypeWrapper<TrustRefusal>;
  TrustRefusalConnection: ResolverTypeWrapper<TrustRefusalConnection>;
  TrustRefusalEdge: ResolverTypeWrapper<TrustRefusalEdge>;
  TrustRefusalSummary: ResolverTypeWrapper<TrustRefusalSummary>;
  TrustState: ResolverTypeWrapper<TrustState>;
  Urgency: Urgency;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AuditActor: AuditActor;
  AuditCheckpoint: AuditCheckpoint;
  AuditEntry: AuditEntry;
  AuditEntryConnection: AuditEntryConnection;
  AuditEntryEdge: AuditEntryEdge;
  AuditFilter: AuditFilter;
  AuditProblem: AuditProblem;
  AuditVerification: AuditVerification;
  Boolean: Scalars['Boolean']['output'];
  Consent: Consent;
  ConsentInput: ConsentInput;
  ConsentOverride: ConsentOverride;
  ConsentOverrideRecord: ConsentOverrideRecord;
  ConsentRecord: ConsentRecordModel;
  ConsentRevocation: RevocationRecord;
  DateTime: Scalars['DateTime']['output'];
  DisclosurePreview: DisclosurePreviewModel;
  DraftReferralInput: DraftReferralInput;
  Erasure: Erasure;
  Health: Health;
  ID: Scalars['ID']['output'];
  IdentityDocument: IdentityDocument;
  IdentityDocumentInput: IdentityDocumentInput;
  Int: Scalars['Int']['output'];
  JSON: Scalars['JSON']['output'];
  KeyRotationRequest: KeyRotationRequest;
  Mutation: Record<PropertyKey, never>;
  Organization: Organization;
  OverrideRequestInput: OverrideRequestInput;
  OwnKey: OwnKey;
  PageInfo: PageInfo;
  Partner: Partner;
  QuarantineConnection: QuarantineConnection;
  QuarantineEdge: QuarantineEdge;
  QuarantinedMessage: QuarantinedMessage;
  Query: Record<PropertyKey, never>;
  RecordConsentInput: RecordConsentInput;
  Referral: ReferralRecord;
  ReferralConnection: Omit<ReferralConnection, 'edges'> & { edges: Array<ResolversParentTypes['ReferralEdge']> };
  ReferralEdge: Omit<ReferralEdge, 'node'> & { node: ResolversParentTypes['Referral'] };
  ReferralEvent: ReferralEvent;
  ReferralFilter: ReferralFilter;
  RevocationRecipient: RevocationRecipient;
  Staff: Staff;
  String: Scalars['String']['output'];
  Subject: Subject;
  SubjectErasure: SubjectErasureResult;
  SubjectInput: SubjectInput;
  Subscription: Record<PropertyKey, never>;
  TrustListAdmin: TrustListAdmin;
  TrustListInfo: TrustListInfo;
  TrustListKey: TrustListKey;
  TrustListPartner: TrustListPartner;
  TrustRefusal: TrustRefusal;
  TrustRefusalConnection: TrustRefusalConnection;
  TrustRefusalEdge: TrustRefusalEdge;
  TrustRefusalSummary: TrustRefusalSummary;
  TrustState: TrustState;
};

export type AuditActorResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditActor'] = ResolversParentTypes['AuditActor']> = {
  id?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['AuditActorType'], ParentType, ContextType>;
  username?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type AuditCheckpointResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditCheckpoint'] = ResolversParentTypes['AuditCheckpoint']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  hash?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  jws?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  keySource?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kid?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  seq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type AuditEntryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditEntry'] = ResolversParentTypes['AuditEntry']> = {
  actor?: Resolver<ResolversTypes['AuditActor'], ParentType, ContextType>;
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  consentId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  detail?: Resolver<ResolversTypes['JSON'], ParentType, ContextType>;
  hash?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['AuditKind'], ParentType, ContextType>;
  partnerOrgId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  prevHash?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  referralId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  seq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  subjectRef?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type AuditEntryConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditEntryConnection'] = ResolversParentTypes['AuditEntryConnection']> = {
  edges?: Resolver<Array<ResolversTypes['AuditEntryEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type AuditEntryEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditEntryEdge'] = ResolversParentTypes['AuditEntryEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['AuditEntry'], ParentType, ContextType>;
};

export type AuditProblemResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditProblem'] = ResolversParentTypes['AuditProblem']> = {
  detail?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['AuditProblemKind'], ParentType, ContextType>;
  seq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type AuditVerificationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditVerification'] = ResolversParentTypes['AuditVerification']> = {
  checkpoints?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  checkpointsVerified?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  entries?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  firstProblem?: Resolver<Maybe<ResolversTypes['AuditProblem']>, ParentType, ContextType>;
  headHash?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  headSeq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  keySources?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  latestCheckpoint?: Resolver<Maybe<ResolversTypes['AuditCheckpoint']>, ParentType, ContextType>;
  notes?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  ok?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  problemCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  problems?: Resolver<Array<ResolversTypes['AuditProblem']>, ParentType, ContextType>;
};

export type ConsentResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Consent'] = ResolversParentTypes['Consent']> = {
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  grantedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  isOverride?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  language?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  method?: Resolver<ResolversTypes['ConsentMethod'], ParentType, ContextType>;
  override?: Resolver<Maybe<ResolversTypes['ConsentOverride']>, ParentType, ContextType>;
  purposes?: Resolver<Array<ResolversTypes['Service']>, ParentType, ContextType>;
  recipients?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['ConsentScope']>, ParentType, ContextType>;
  subjectRef?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  textVersion?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ConsentOverrideResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ConsentOverride'] = ResolversParentTypes['ConsentOverride']> = {
  approvedBy?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  note?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ConsentOverrideRecordResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ConsentOverrideRecord'] = ResolversParentTypes['ConsentOverrideRecord']> = {
  approvedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  approvedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  note?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['OverrideReason'], ParentType, ContextType>;
  requestedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type ConsentRecordResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ConsentRecord'] = ResolversParentTypes['ConsentRecord']> = {
  effectiveScopes?: Resolver<Array<ResolversTypes['ConsentScope']>, ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  givenBy?: Resolver<Maybe<ResolversTypes['ConsentGiver']>, ParentType, ContextType>;
  grantedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  isOverride?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  language?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  method?: Resolver<ResolversTypes['ConsentMethod'], ParentType, ContextType>;
  override?: Resolver<Maybe<ResolversTypes['ConsentOverrideRecord']>, ParentType, ContextType>;
  purposes?: Resolver<Array<ResolversTypes['Service']>, ParentType, ContextType>;
  recipients?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  recordedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  recordedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  referrals?: Resolver<Array<ResolversTypes['Referral']>, ParentType, ContextType>;
  revocations?: Resolver<Array<ResolversTypes['ConsentRevocation']>, ParentType, ContextType>;
  revokedScopes?: Resolver<Array<ResolversTypes['ConsentScope']>, ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['ConsentScope']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ConsentStatus'], ParentType, ContextType>;
  subjectRef?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  textVersion?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  wire?: Resolver<Maybe<ResolversTypes['Consent']>, ParentType, ContextType>;
};

export type ConsentRevocationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ConsentRevocation'] = ResolversParentTypes['ConsentRevocation']> = {
  all?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  cause?: Resolver<ResolversTypes['RevocationCause'], ParentType, ContextType>;
  complete?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  consentId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  deadline?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  recipients?: Resolver<Array<ResolversTypes['RevocationRecipient']>, ParentType, ContextType>;
  requestedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  requestedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['ConsentScope']>, ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type DisclosurePreviewResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['DisclosurePreview'] = ResolversParentTypes['DisclosurePreview']> = {
  blockedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  consent?: Resolver<ResolversTypes['Consent'], ParentType, ContextType>;
  destinationOrgId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  fields?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  referralId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  sent?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type ErasureResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Erasure'] = ResolversParentTypes['Erasure']> = {
  all?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['ErasureReason'], ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['ConsentScope']>, ParentType, ContextType>;
};

export type HealthResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Health'] = ResolversParentTypes['Health']> = {
  database?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  nats?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  outboxPending?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  quarantined?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  ready?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  trust?: Resolver<ResolversTypes['TrustState'], ParentType, ContextType>;
};

export type IdentityDocumentResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['IdentityDocument'] = ResolversParentTypes['IdentityDocument']> = {
  expiresOn?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  issuingCountry?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  number?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export interface JsonScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSON'], any> {
  name: 'JSON';
}

export type KeyRotationRequestResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['KeyRotationRequest'] = ResolversParentTypes['KeyRotationRequest']> = {
  encryptionKid?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  overlapSeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  request?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  requestedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  signedWith?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  signingKid?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  acceptReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationAcceptReferralArgs, 'id'>>;
  approveOverride?: Resolver<ResolversTypes['ConsentRecord'], ParentType, ContextType, RequireFields<MutationApproveOverrideArgs, 'consentId'>>;
  declineReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationDeclineReferralArgs, 'id' | 'reason'>>;
  draftReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationDraftReferralArgs, 'input'>>;
  eraseSubject?: Resolver<ResolversTypes['SubjectErasure'], ParentType, ContextType, RequireFields<MutationEraseSubjectArgs, 'reason' | 'subjectRef'>>;
  recordConsent?: Resolver<ResolversTypes['ConsentRecord'], ParentType, ContextType, RequireFields<MutationRecordConsentArgs, 'input'>>;
  reportProgress?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationReportProgressArgs, 'id' | 'status'>>;
  revokeConsent?: Resolver<ResolversTypes['ConsentRevocation'], ParentType, ContextType, RequireFields<MutationRevokeConsentArgs, 'id'>>;
  sendReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationSendReferralArgs, 'id'>>;
  withdrawReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationWithdrawReferralArgs, 'id' | 'reason'>>;
};

export type OrganizationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Organization'] = ResolversParentTypes['Organization']> = {
  country?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  network?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  orgId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  roles?: Resolver<Array<ResolversTypes['PartnerRole']>, ParentType, ContextType>;
};

export type OwnKeyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['OwnKey'] = ResolversParentTypes['OwnKey']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  fingerprint?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  keptUntil?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  kid?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  listed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  notAfter?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  notBefore?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  retiredAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  state?: Resolver<ResolversTypes['OwnKeyState'], ParentType, ContextType>;
  use?: Resolver<ResolversTypes['KeyUse'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type PartnerResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Partner'] = ResolversParentTypes['Partner']> = {
  country?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  keyFingerprints?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  orgId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  roles?: Resolver<Array<ResolversTypes['PartnerRole']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['PartnerStatus'], ParentType, ContextType>;
};

export type QuarantineConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['QuarantineConnection'] = ResolversParentTypes['QuarantineConnection']> = {
  edges?: Resolver<Array<ResolversTypes['QuarantineEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type QuarantineEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['QuarantineEdge'] = ResolversParentTypes['QuarantineEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['QuarantinedMessage'], ParentType, ContextType>;
};

export type QuarantinedMessageResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['QuarantinedMessage'] = ResolversParentTypes['QuarantinedMessage']> = {
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  detail?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  messageId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  receivedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  senderOrgId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  size?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  type?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type QueryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  auditLog?: Resolver<ResolversTypes['AuditEntryConnection'], ParentType, ContextType, RequireFields<QueryAuditLogArgs, 'first'>>;
  auditVerification?: Resolver<ResolversTypes['AuditVerification'], ParentType, ContextType>;
  consent?: Resolver<Maybe<ResolversTypes['ConsentRecord']>, ParentType, ContextType, RequireFields<QueryConsentArgs, 'id'>>;
  consents?: Resolver<Array<ResolversTypes['ConsentRecord']>, ParentType, ContextType, RequireFields<QueryConsentsArgs, 'subjectRef'>>;
  disclosurePreview?: Resolver<ResolversTypes['DisclosurePreview'], ParentType, ContextType, RequireFields<QueryDisclosurePreviewArgs, 'referralId'>>;
  exportSubject?: Resolver<ResolversTypes['JSON'], ParentType, ContextType, RequireFields<QueryExportSubjectArgs, 'subjectRef'>>;
  health?: Resolver<ResolversTypes['Health'], ParentType, ContextType>;
  me?: Resolver<ResolversTypes['Staff'], ParentType, ContextType>;
  organization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType>;
  ownKeys?: Resolver<Array<ResolversTypes['OwnKey']>, ParentType, ContextType>;
  partners?: Resolver<Array<ResolversTypes['Partner']>, ParentType, ContextType, RequireFields<QueryPartnersArgs, 'includeInactive'>>;
  pendingKeyRotations?: Resolver<Array<ResolversTypes['KeyRotationRequest']>, ParentType, ContextType>;
  quarantine?: Resolver<ResolversTypes['QuarantineConnection'], ParentType, ContextType, RequireFields<QueryQuarantineArgs, 'first'>>;
  referral?: Resolver<Maybe<ResolversTypes['Referral']>, ParentType, ContextType, RequireFields<QueryReferralArgs, 'id'>>;
  referrals?: Resolver<ResolversTypes['ReferralConnection'], ParentType, ContextType, RequireFields<QueryReferralsArgs, 'first'>>;
  trustList?: Resolver<ResolversTypes['TrustListInfo'], ParentType, ContextType>;
  trustRefusals?: Resolver<ResolversTypes['TrustRefusalConnection'], ParentType, ContextType, RequireFields<QueryTrustRefusalsArgs, 'first'>>;
};

export type ReferralResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Referral'] = ResolversParentTypes['Referral']> = {
  arrangements?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  consent?: Resolver<ResolversTypes['Consent'], ParentType, ContextType>;
  consentRecord?: Resolver<Maybe<ResolversTypes['ConsentRecord']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  declineReason?: Resolver<Maybe<ResolversTypes['DeclineReason']>, ParentType, ContextType>;
  destinationOrgId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  direction?: Resolver<ResolversTypes['Direction'], ParentType, ContextType>;
  disclosedFields?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  erasure?: Resolver<Maybe<ResolversTypes['Erasure']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  originOrgId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  outcome?: Resolver<Maybe<ResolversTypes['Outcome']>, ParentType, ContextType>;
  partner?: Resolver<Maybe<ResolversTypes['Partner']>, ParentType, ContextType>;
  proposedArrival?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  respondBy?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  services?: Resolver<Array<ResolversTypes['Service']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ReferralStatus'], ParentType, ContextType>;
  subject?: Resolver<ResolversTypes['Subject'], ParentType, ContextType>;
  summary?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  timeline?: Resolver<Array<ResolversTypes['ReferralEvent']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  urgency?: Resolver<ResolversTypes['Urgency'], ParentType, ContextType>;
};

export type ReferralConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ReferralConnection'] = ResolversParentTypes['ReferralConnection']> = {
  edges?: Resolver<Array<ResolversTypes['ReferralEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type ReferralEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ReferralEdge'] = ResolversParentTypes['ReferralEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Referral'], ParentType, ContextType>;
};

export type ReferralEventResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ReferralEvent'] = ResolversParentTypes['ReferralEvent']> = {
  actorOrgId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actorStaff?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  note?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  referralId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ReferralStatus'], ParentType, ContextType>;
};

export type RevocationRecipientResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['RevocationRecipient'] = ResolversParentTypes['RevocationRecipient']> = {
  erasedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  orgId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  problem?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  queued?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  referralIds?: Resolver<Array<ResolversTypes['ID']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ErasureStatus'], ParentType, ContextType>;
};

export type StaffResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Staff'] = ResolversParentTypes['Staff']> = {
  displayName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
  username?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type SubjectResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Subject'] = ResolversParentTypes['Subject']> = {
  ageBand?: Resolver<Maybe<ResolversTypes['AgeBand']>, ParentType, ContextType>;
  currentLocation?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  dateOfBirth?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  documents?: Resolver<Maybe<Array<ResolversTypes['IdentityDocument']>>, ParentType, ContextType>;
  email?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  family?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  familyName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  givenName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  health?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  languages?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  legal?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  nationality?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  notes?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  phone?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  protection?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  ref?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sex?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type SubjectErasureResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['SubjectErasure'] = ResolversParentTypes['SubjectErasure']> = {
  consentsRevoked?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  erasedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  originOrgId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  referrals?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  revocations?: Resolver<Array<ResolversTypes['ConsentRevocation']>, ParentType, ContextType>;
  subjectRef?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  referralEvents?: SubscriptionResolver<ResolversTypes['ReferralEvent'], "referralEvents", ParentType, ContextType, Partial<SubscriptionReferralEventsArgs>>;
};

export type TrustListAdminResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustListAdmin'] = ResolversParentTypes['TrustListAdmin']> = {
  fingerprint?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kid?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type TrustListInfoResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustListInfo'] = ResolversParentTypes['TrustListInfo']> = {
  admins?: Resolver<Array<ResolversTypes['TrustListAdmin']>, ParentType, ContextType>;
  digest?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expired?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  issuedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  network?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  partners?: Resolver<Array<ResolversTypes['TrustListPartner']>, ParentType, ContextType>;
  threshold?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type TrustListKeyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustListKey'] = ResolversParentTypes['TrustListKey']> = {
  fingerprint?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kid?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  notAfter?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  notBefore?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  use?: Resolver<ResolversTypes['KeyUse'], ParentType, ContextType>;
  validNow?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type TrustListPartnerResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustListPartner'] = ResolversParentTypes['TrustListPartner']> = {
  country?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  keys?: Resolver<Array<ResolversTypes['TrustListKey']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  orgId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  roles?: Resolver<Array<ResolversTypes['PartnerRole']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['PartnerStatus'], ParentType, ContextType>;
};

export type TrustRefusalResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustRefusal'] = ResolversParentTypes['TrustRefusal']> = {
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  detail?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  list?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  receivedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  version?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
};

export type TrustRefusalConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustRefusalConnection'] = ResolversParentTypes['TrustRefusalConnection']> = {
  edges?: Resolver<Array<ResolversTypes['TrustRefusalEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type TrustRefusalEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustRefusalEdge'] = ResolversParentTypes['TrustRefusalEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['TrustRefusal'], ParentType, ContextType>;
};

export type TrustRefusalSummaryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustRefusalSummary'] = ResolversParentTypes['TrustRefusalSummary']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  version?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
};

export type TrustStateResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TrustState'] = ResolversParentTypes['TrustState']> = {
  expired?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  lastRefusal?: Resolver<Maybe<ResolversTypes['TrustRefusalSummary']>, ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GraphQLContext> = {
  AuditActor?: AuditActorResolvers<ContextType>;
  AuditCheckpoint?: AuditCheckpointResolvers<ContextType>;
  AuditEntry?: AuditEntryResolvers<ContextType>;
  AuditEntryConnection?: AuditEntryConnectionResolvers<ContextType>;
  AuditEntryEdge?: AuditEntryEdgeResolvers<ContextType>;
  AuditProblem?: AuditProblemResolvers<ContextType>;
  AuditVerification?: AuditVerificationResolvers<ContextType>;
  Consent?: ConsentResolvers<ContextType>;
  ConsentOverride?: ConsentOverrideResolvers<ContextType>;
  ConsentOverrideRecord?: ConsentOverrideRecordResolvers<ContextType>;
  ConsentRecord?: ConsentRecordResolvers<ContextType>;
  ConsentRevocation?: ConsentRevocationResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  DisclosurePreview?: DisclosurePreviewResolvers<ContextType>;
  Erasure?: ErasureResolvers<ContextType>;
  Health?: HealthResolvers<ContextType>;
  IdentityDocument?: IdentityDocumentResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  KeyRotationRequest?: KeyRotationRequestResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Organization?: OrganizationResolvers<ContextType>;
  OwnKey?: OwnKeyResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Partner?: PartnerResolvers<ContextType>;
  QuarantineConnection?: QuarantineConnectionResolvers<ContextType>;
  QuarantineEdge?: QuarantineEdgeResolvers<ContextType>;
  QuarantinedMessage?: QuarantinedMessageResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Referral?: ReferralResolvers<ContextType>;
  ReferralConnection?: ReferralConnectionResolvers<ContextType>;
  ReferralEdge?: ReferralEdgeResolvers<ContextType>;
  ReferralEvent?: ReferralEventResolvers<ContextType>;
  RevocationRecipient?: RevocationRecipientResolvers<ContextType>;
  Staff?: StaffResolvers<ContextType>;
  Subject?: SubjectResolvers<ContextType>;
  SubjectErasure?: SubjectErasureResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  TrustListAdmin?: TrustListAdminResolvers<ContextType>;
  TrustListInfo?: TrustListInfoResolvers<ContextType>;
  TrustListKey?: TrustListKeyResolvers<ContextType>;
  TrustListPartner?: TrustListPartnerResolvers<ContextType>;
  TrustRefusal?: TrustRefusalResolvers<ContextType>;
  TrustRefusalConnection?: TrustRefusalConnectionResolvers<ContextType>;
  TrustRefusalEdge?: TrustRefusalEdgeResolvers<ContextType>;
  TrustRefusalSummary?: TrustRefusalSummaryResolvers<ContextType>;
  TrustState?: TrustStateResolvers<ContextType>;
};

