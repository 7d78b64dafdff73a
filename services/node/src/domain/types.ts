// The node's domain records: what the GraphQL layer reads and the domain functions return. Times are
// integer milliseconds; wire values (lower_case) as in docs/protocol.md §4–5.
import type {
  Consent,
  DeclineReason,
  Outcome,
  Purpose,
  ReferralState,
  Scope,
  Subject,
  Urgency,
} from "@refnet/protocol";
import type { Kysely } from "kysely";
import type { AuditTrail } from "../audit/audit-log.ts";
import type { DialectName } from "../db/index.ts";
import type { Database } from "../db/schema.ts";
import type { MessageEnqueuer, TrustState } from "../federation/contracts.ts";
import type { PersonVault } from "../person-vault.ts";

export type Direction = "outgoing" | "incoming";

export interface ReferralRecord {
  id: string;
  direction: Direction;
  status: ReferralState;
  originOrgId: string;
  destinationOrgId: string;
  urgency: Urgency;
  services: Purpose[];
  summary: string | null;
  proposedArrival: string | null;
  respondBy: number | null;
  /** Already minimised to the consent: only fields the consent allows were ever stored. */
  subject: Subject;
  consent: Consent;
  declineReason: DeclineReason | null;
  outcome: Outcome | null;
  arrangements: string | null;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  /** What was erased from `subject` (revocation, expiry of the consent, erasure of the person). */
  erasure: ReferralErasure | null;
}

/**
 * `retention`: purged by the retention job (domain/retention.ts); `key_destroyed`: the person's data key
 * is gone, so what the row holds cannot be read (docs/data-at-rest.md).
 */
export type ErasureReason =
  | "consent_revoked"
  | "consent_expired"
  | "subject_erased"
  | "retention"
  | "key_destroyed";

export interface ReferralErasure {
  /** Milliseconds: the latest erasure. */
  at: number;
  reason: ErasureReason;
  /** Every member of `subject` but `ref` is gone. */
  all: boolean;
  /** Scopes whose fields were erased (cumulative). */
  scopes: Scope[];
}

/** What happened to a referral; the kinds are listed in schema.graphql (ReferralEvent.kind). */
export type EventKind =
  | "created"
  | "sent"
  | "delivered"
  | "accepted"
  | "declined"
  | "withdrawn"
  | "arrived"
  | "in_progress"
  | "completed"
  | "closed"
  | "expired"
  | "problem"
  | "consent_revoked"
  | "consent_erased"
  | "erased"
  | "purged";

export interface ReferralEventRecord {
  id: string;
  referralId: string;
  seq: number;
  kind: EventKind;
  /** The referral's status after the event. */
  status: ReferralState;
  actorOrgId: string;
  actorStaff: string | null;
  note: string | null;
  messageId: string | null;
  at: number;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface IdGenerator {
  /** A fresh random id, also valid as a referral id and a message id on the wire. */
  newId(): string;
}

/** Live referral events for subscriptions; published only after the transaction that made them committed. */
export interface ReferralEventBus {
  publish(events: readonly ReferralEventRecord[]): void;
  subscribe(referralId?: string | null): AsyncIterable<ReferralEventRecord>;
}

/** What the domain functions need; AppContext provides it. */
export interface DomainContext {
  readonly orgId: string;
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly trust: TrustState;
  readonly messages: MessageEnqueuer;
  readonly events: ReferralEventBus;
  /** Called after a transaction that wrote outbox rows committed, so the relay publishes at once. */
  outboxChanged(): void;
  /** The audit trail: `audit.append(trx, entry)` in the transaction of the action it records (docs/audit.md). */
  readonly audit: AuditTrail;
  /** How long a recipient has to answer a revocation before it shows as overdue (config, ms). */
  readonly erasureDeadlineMs: number;
  /** Per-person data keys: every person's field is sealed under one (person-vault.ts). */
  readonly vault: PersonVault;
}
