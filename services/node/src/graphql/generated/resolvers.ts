import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { ReferralRecord } from '../../domain/types.ts';
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

export type Consent = {
  __typename?: 'Consent';
  expiresAt: Scalars['DateTime']['output'];
  grantedAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  language: Scalars['String']['output'];
  method: ConsentMethod;
  override?: Maybe<ConsentOverride>;
  purposes: Array<Service>;
  recipients: Array<Scalars['String']['output']>;
  scopes: Array<ConsentScope>;
  subjectRef: Scalars['String']['output'];
  textVersion: Scalars['String']['output'];
};

export type ConsentInput = {
  expiresAt: Scalars['DateTime']['input'];
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

export type ConsentOverride = {
  __typename?: 'ConsentOverride';
  approvedBy: Scalars['String']['output'];
  note: Scalars['String']['output'];
  reason: Scalars['String']['output'];
};

export type ConsentScope =
  | 'CASE_NOTES'
  | 'CONTACT'
  | 'FAMILY'
  | 'HEALTH'
  | 'IDENTITY'
  | 'LEGAL'
  | 'PROTECTION';

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

export type DraftReferralInput = {
  consent: ConsentInput;
  destinationOrgId: Scalars['String']['input'];
  proposedArrival?: InputMaybe<Scalars['String']['input']>;
  respondBy?: InputMaybe<Scalars['DateTime']['input']>;
  services: Array<Service>;
  subject: SubjectInput;
  summary?: InputMaybe<Scalars['String']['input']>;
  urgency: Urgency;
};

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

export type KeyUse =
  | 'ENC'
  | 'SIG';

export type Mutation = {
  __typename?: 'Mutation';
  acceptReferral: Referral;
  declineReferral: Referral;
  /** Record a referral as a draft: fields the consent does not allow are dropped here, before anything is stored. */
  draftReferral: Referral;
  /** Report arrival, progress or outcome of an accepted referral (destination side). */
  reportProgress: Referral;
  /** Send a draft to its destination. */
  sendReferral: Referral;
  withdrawReferral: Referral;
};


export type MutationAcceptReferralArgs = {
  arrangements?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
};


export type MutationDeclineReferralArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
  reason: DeclineReason;
};


export type MutationDraftReferralArgs = {
  input: DraftReferralInput;
};


export type MutationReportProgressArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
  outcome?: InputMaybe<Outcome>;
  status: ProgressStatus;
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
  health: Health;
  /** The staff member the bearer token belongs to. */
  me: Staff;
  organization: Organization;
  /** Partners of the network from the trust list in force, optionally narrowed. */
  partners: Array<Partner>;
  /** Refused messages (admins only). */
  quarantine: QuarantineConnection;
  referral?: Maybe<Referral>;
  referrals: ReferralConnection;
  /** The trust list in force, with every partner and key (admins only). */
  trustList: TrustListInfo;
  /** Trust lists this node refused, newest first (admins only). */
  trustRefusals: TrustRefusalConnection;
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

export type Referral = {
  __typename?: 'Referral';
  arrangements?: Maybe<Scalars['String']['output']>;
  consent: Consent;
  createdAt: Scalars['DateTime']['output'];
  declineReason?: Maybe<DeclineReason>;
  destinationOrgId: Scalars['String']['output'];
  direction: Direction;
  /** Field names of `subject` that left (or will leave) this node, as the consent allows. */
  disclosedFields: Array<Scalars['String']['output']>;
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
  /** What happened: created, sent, delivered, accepted, declined, withdrawn, arrived, in_progress, completed, closed, expired, problem. */
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

export type Role =
  | 'ADMIN'
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
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Consent: ResolverTypeWrapper<Consent>;
  ConsentInput: ConsentInput;
  ConsentMethod: ConsentMethod;
  ConsentOverride: ResolverTypeWrapper<ConsentOverride>;
  ConsentScope: ConsentScope;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  DeclineReason: DeclineReason;
  Direction: Direction;
  DraftReferralInput: DraftReferralInput;
  Health: ResolverTypeWrapper<Health>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  IdentityDocument: ResolverTypeWrapper<IdentityDocument>;
  IdentityDocumentInput: IdentityDocumentInput;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  KeyUse: KeyUse;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Organization: ResolverTypeWrapper<Organization>;
  Outcome: Outcome;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Partner: ResolverTypeWrapper<Partner>;
  PartnerRole: PartnerRole;
  PartnerStatus: PartnerStatus;
  ProgressStatus: ProgressStatus;
  QuarantineConnection: ResolverTypeWrapper<QuarantineConnection>;
  QuarantineEdge: ResolverTypeWrapper<QuarantineEdge>;
  QuarantinedMessage: ResolverTypeWrapper<QuarantinedMessage>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Referral: ResolverTypeWrapper<ReferralRecord>;
  ReferralConnection: ResolverTypeWrapper<Omit<ReferralConnection, 'edges'> & { edges: Array<ResolversTypes['ReferralEdge']> }>;
  ReferralEdge: ResolverTypeWrapper<Omit<ReferralEdge, 'node'> & { node: ResolversTypes['Referral'] }>;
  ReferralEvent: ResolverTypeWrapper<ReferralEvent>;
  ReferralFilter: ReferralFilter;
  ReferralStatus: ReferralStatus;
  Role: Role;
  Service: Service;
  Staff: ResolverTypeWrapper<Staff>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subject: ResolverTypeWrapper<Subject>;
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
  Boolean: Scalars['Boolean']['output'];
  Consent: Consent;
  ConsentInput: ConsentInput;
  ConsentOverride: ConsentOverride;
  DateTime: Scalars['DateTime']['output'];
  DraftReferralInput: DraftReferralInput;
  Health: Health;
  ID: Scalars['ID']['output'];
  IdentityDocument: IdentityDocument;
  IdentityDocumentInput: IdentityDocumentInput;
  Int: Scalars['Int']['output'];
  JSON: Scalars['JSON']['output'];
  Mutation: Record<PropertyKey, never>;
  Organization: Organization;
  PageInfo: PageInfo;
  Partner: Partner;
  QuarantineConnection: QuarantineConnection;
  QuarantineEdge: QuarantineEdge;
  QuarantinedMessage: QuarantinedMessage;
  Query: Record<PropertyKey, never>;
  Referral: ReferralRecord;
  ReferralConnection: Omit<ReferralConnection, 'edges'> & { edges: Array<ResolversParentTypes['ReferralEdge']> };
  ReferralEdge: Omit<ReferralEdge, 'node'> & { node: ResolversParentTypes['Referral'] };
  ReferralEvent: ReferralEvent;
  ReferralFilter: ReferralFilter;
  Staff: Staff;
  String: Scalars['String']['output'];
  Subject: Subject;
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

export type ConsentResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Consent'] = ResolversParentTypes['Consent']> = {
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  grantedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
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

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

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

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  acceptReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationAcceptReferralArgs, 'id'>>;
  declineReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationDeclineReferralArgs, 'id' | 'reason'>>;
  draftReferral?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationDraftReferralArgs, 'input'>>;
  reportProgress?: Resolver<ResolversTypes['Referral'], ParentType, ContextType, RequireFields<MutationReportProgressArgs, 'id' | 'status'>>;
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
  health?: Resolver<ResolversTypes['Health'], ParentType, ContextType>;
  me?: Resolver<ResolversTypes['Staff'], ParentType, ContextType>;
  organization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType>;
  partners?: Resolver<Array<ResolversTypes['Partner']>, ParentType, ContextType, RequireFields<QueryPartnersArgs, 'includeInactive'>>;
  quarantine?: Resolver<ResolversTypes['QuarantineConnection'], ParentType, ContextType, RequireFields<QueryQuarantineArgs, 'first'>>;
  referral?: Resolver<Maybe<ResolversTypes['Referral']>, ParentType, ContextType, RequireFields<QueryReferralArgs, 'id'>>;
  referrals?: Resolver<ResolversTypes['ReferralConnection'], ParentType, ContextType, RequireFields<QueryReferralsArgs, 'first'>>;
  trustList?: Resolver<ResolversTypes['TrustListInfo'], ParentType, ContextType>;
  trustRefusals?: Resolver<ResolversTypes['TrustRefusalConnection'], ParentType, ContextType, RequireFields<QueryTrustRefusalsArgs, 'first'>>;
};

export type ReferralResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Referral'] = ResolversParentTypes['Referral']> = {
  arrangements?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  consent?: Resolver<ResolversTypes['Consent'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  declineReason?: Resolver<Maybe<ResolversTypes['DeclineReason']>, ParentType, ContextType>;
  destinationOrgId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  direction?: Resolver<ResolversTypes['Direction'], ParentType, ContextType>;
  disclosedFields?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
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
  Consent?: ConsentResolvers<ContextType>;
  ConsentOverride?: ConsentOverrideResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Health?: HealthResolvers<ContextType>;
  IdentityDocument?: IdentityDocumentResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  Mutation?: MutationResolvers<ContextType>;
  Organization?: OrganizationResolvers<ContextType>;
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
  Staff?: StaffResolvers<ContextType>;
  Subject?: SubjectResolvers<ContextType>;
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

