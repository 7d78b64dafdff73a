// Kysely table types of a node's database. Times are integer milliseconds since the epoch (UTC),
// JSON columns are stored as text: the same on SQLite and PostgreSQL.
import type { ColumnType } from "kysely";

export interface StaffTable {
  id: string;
  username: string;
  display_name: string | null;
  role: "caseworker" | "supervisor" | "admin";
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
  /** JSON: the person's fields, already minimised to the consent. */
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
  /** The envelope as received (ciphertext), for inspection by the node's admins. */
  envelope: string;
  stream_seq: number | null;
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

export interface Database {
  staff: StaffTable;
  referral: ReferralTable;
  referral_event: ReferralEventTable;
  outbox: OutboxTable;
  inbox: InboxTable;
  quarantine: QuarantineTable;
  node_state: NodeStateTable;
  trust_refusal: TrustRefusalTable;
}
