// Kysely table types of a node's database. Times are integer milliseconds since the epoch (UTC),
// JSON columns are stored as text: the same on SQLite and PostgreSQL.
import type { ColumnType } from "kysely";

export interface StaffTable {
  id: string;
  username: string;
  display_name: string | null;
  role: "caseworker" | "supervisor" | "admin" | "auditor";
  /** SHA-256 (hex) of the bearer token; the token itself is shown once, at creation. */
  token_hash: string;
  disabled: ColumnType<number, number | undefined, number>;
  created_at: number;
}

export interface ReferralTable {
  id: string;
  direction: "outgoing" | "incoming";
  status: string;
  origin_org_id: string;
  destination_org_id: string;
  urgency: string;
  /** JSON array of service codes (docs/protocol.md §5.3). */
  services: string;
  summary: string | null;
  proposed_arrival: string | null;
  /** Milliseconds, or null. */
  respond_by: number | null;
  /**
   * The person's fields (JSON, already minimised to the consent), sealed under their data key
   * (domain/personal-data.ts), or "erased" once purged. summary, arrangements, consent.override.note
   * and referral_event.note are sealed too.
   */
  subject: string;
  subject_ref: string;
  /** JSON: the consent object (docs/protocol.md §5.1). */
  consent: string;
  consent_id: string;
  decline_reason: string | null;
  outcome: string | null;
  arrangements: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  /** Milliseconds: when the consent runs out (migration 006); the recipient erases the subject then. */
  consent_expires_at: number | null;
  /** Milliseconds: the latest erasure of subject fields from this row (domain/erasure.ts). */
  erased_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** JSON array of the scopes whose fields were erased, cumulative. */
  erased_scopes: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1 when every member of `subject` but `ref` was erased. */
  erased_all: ColumnType<number, number | undefined, number>;
  /** Why: consent_revoked, consent_expired or subject_erased. */
  erased_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** Milliseconds: when the retention job removed the person's data from this row (migration 005). */
  purged_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ReferralEventTable {
  id: string;
  referral_id: string;
  /** Monotonic per referral (assigned by the node in the same transaction), orders the timeline. */
  seq: number;
  kind: string;
  status: string;
  actor_org_id: string;
  actor_staff: string | null;
  note: string | null;
  /** jti of the message that caused or carried this event, when there is one. */
  message_id: string | null;
  at: number;
}

/**
 * Transactional outbox: a state change and the message it implies commit together. The row holds
 * only the sealed envelope (ciphertext to the recipient) and routing data, never plaintext.
 */
export interface OutboxTable {
  jti: string;
  /** Strictly increasing per node: the publishing order (migration 002). */
  seq: number | null;
  aud: string;
  subject: string;
  type: string;
  thid: string;
  envelope: string;
  status: "pending" | "sent" | "failed";
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  /** Stream sequence of the publish ack. */
  stream_seq: number | null;
  /** Milliseconds: after this the recipient would refuse it as expired, so it is not published. */
  expires_at: number;
}

/**
 * Every message accepted from a partner, keyed by (iss, jti): the replay record of docs/protocol.md §2
 * check 7 and the exactly-once guard for JetStream redeliveries.
 */
export interface InboxTable {
  iss: string;
  jti: string;
  type: string;
  thid: string;
  /** Milliseconds; kept at least until exp + 300 s. */
  exp: number;
  received_at: number;
  stream_seq: number | null;
}

/** A refused message, kept with its reason (docs/protocol.md §2). Never holds plaintext. */
export interface QuarantineTable {
  id: string;
  received_at: number;
  code: string;
  detail: string;
  stage: string;
  /** Only set when the signature verified; otherwise these are unproven. */
  iss: string | null;
  jti: string | null;
  type: string | null;
  thid: string | null;
  subject: string;
  size: number;
  /** The envelope as received (ciphertext), for inspection by the node's admins; '' once erased. */
  envelope: string;
  stream_seq: number | null;
  /** The consent and person a verified message was about (migration 006), so erasure reaches it. */
  consent_id: ColumnType<string | null, string | null | undefined, string | null>;
  subject_ref: ColumnType<string | null, string | null | undefined, string | null>;
  consent_expires_at: ColumnType<number | null, number | null | undefined, number | null>;
}

/** Small key/value state of the node: the trust list in force, the id counter, etc. */
export interface NodeStateTable {
  key: string;
  value: string;
  updated_at: number;
}

/**
 * A trust list this node refused (docs/protocol.md §6.4), for its admins (migration 003). `list` is the
 * list as received: public keys and org names only, never personal data.
 */
export interface TrustRefusalTable {
  id: string;
  received_at: number;
  /** The candidate's version, when its payload could be read. */
  version: number | null;
  /** An `e.t.*` code of @refnet/trust. */
  code: string;
  detail: string;
  /** Where the list came from: "kv" (the bucket watch) or "refresh" (read when a message named a newer list). */
  source: string;
  /** The list's JSON as received; null when it was larger than a trust list may be. */
  list: string | null;
}

/**
 * A consent recorded at the origin (migration 006, docs/consent.md): what the person agreed to, or a
 * lawful override (docs/protocol.md §5.5) and its approval. Times in milliseconds, lists as JSON.
 */
export interface ConsentTable {
  id: string;
  subject_ref: string;
  /** self, parent_or_guardian or representative; null for an override or when not recorded. */
  given_by: string | null;
  method: string;
  language: string;
  text_version: string;
  /** JSON array: the scopes granted. */
  scopes: string;
  purposes: string;
  recipients: string;
  granted_at: number;
  expires_at: number;
  /** Username of the staff member who recorded it. */
  recorded_by: string | null;
  recorded_at: number;
  /** risk_to_life when the sharing rests on an override rather than consent. */
  override_reason: string | null;
  /** The grounds, sealed under the person's data key (consents.ts); null once the person is erased. */
  override_note: string | null;
  override_requested_by: string | null;
  override_approved_by: string | null;
  override_approved_at: number | null;
  /** JSON array: the scopes revoked so far, cumulative. */
  revoked_scopes: ColumnType<string, string | undefined, string>;
  /** 1 once the whole consent is revoked. */
  revoked_all: ColumnType<number, number | undefined, number>;
  revoked_at: number | null;
  /** When the person's data was erased on this node (eraseSubject). */
  erased_at: number | null;
  updated_at: number;
}

/** One revocation made at the origin. */
export interface ConsentRevocationTable {
  id: string;
  consent_id: string;
  /** JSON array of the scopes revoked; null means the whole consent. */
  scopes: string | null;
  /** revoked (the person withdrew) or subject_erased (eraseSubject). */
  cause: string;
  requested_by: string | null;
  requested_at: number;
  /** After this a recipient that has not answered consent.erased is overdue. */
  deadline_at: number;
}

/** The consent.revoke queued for one referral sent under the consent, and its answer. */
export interface ConsentRevocationNoticeTable {
  revocation_id: string;
  referral_id: string;
  org_id: string;
  /** jti of the consent.revoke; null when it could not be queued (see `problem`). */
  message_id: string | null;
  status: "pending" | "erased";
  erased_at: number | null;
  /** An ERR_* code when it could not be queued, or the e.p.* code of a problem report about it. */
  problem: string | null;
  updated_at: number;
}

/** At a recipient: a revocation received from an origin (docs/protocol.md §5.6). */
export interface ConsentRevokedByOriginTable {
  origin_org_id: string;
  consent_id: string;
  /** JSON array of the scopes revoked so far. */
  scopes: string;
  revoked_all: ColumnType<number, number | undefined, number>;
  first_at: number;
  last_at: number;
}

/** The record that a person's data was erased on this node (eraseSubject). */
export interface SubjectErasureTable {
  id: string;
  /** The person: the organization that chose the pseudonym, and the pseudonym. */
  origin_org_id: string;
  subject_ref: string;
  /** A code of SUBJECT_ERASURE_REASONS (subject-rights.ts), never free text. */
  reason: string;
  /** Username of the supervisor or admin who erased. */
  erased_by: string;
  erased_at: number;
  referrals: number;
  consents_revoked: number;
}

/**
 * One entry of the audit trail (migration 004, docs/audit.md): append-only, hash-chained. `detail` is
 * canonical JSON of field names, scopes and counts; no column ever holds a person's data.
 */
export interface AuditLogTable {
  seq: number;
  at: number;
  kind: string;
  /** staff, partner or system. */
  actor_type: string;
  /** The staff account id or the partner org id; null for the system. */
  actor_id: string | null;
  subject_ref: string | null;
  consent_id: string | null;
  referral_id: string | null;
  partner_org_id: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

/** The single row (id 1) every append locks first: last seq and hash, latest checkpoint's seq. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  checkpoint_seq: number;
}

/** A signed checkpoint of the audit trail: the chain's hash at `seq`, as a compact JWS. */
export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  at: number;
  kid: string;
  jws: string;
}

export interface Database {
  staff: StaffTable;
  referral: ReferralTable;
  referral_event: ReferralEventTable;
  outbox: OutboxTable;
  inbox: InboxTable;
  quarantine: QuarantineTable;
  node_state: NodeStateTable;
  trust_refusal: TrustRefusalTable;
  consent: ConsentTable;
  consent_revocation: ConsentRevocationTable;
  consent_revocation_notice: ConsentRevocationNoticeTable;
  consent_revoked_by_origin: ConsentRevokedByOriginTable;
  subject_erasure: SubjectErasureTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_checkpoint: AuditCheckpointTable;
}
