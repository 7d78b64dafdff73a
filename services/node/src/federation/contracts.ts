// The seams between the node's GraphQL/domain layer and its federation layer (outbox relay, inbox
// consumer, trust watcher). Both sides code against these; context.ts wires the real classes.
import type { MessageClaims, OutgoingMessage, SigningKey } from "@refnet/protocol";
import type { TrustList } from "@refnet/trust";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "../db/schema.ts";

/** The trust list in force on this node (docs/protocol.md §6), kept fresh from the KV bucket. */
export interface TrustState {
  /** The accepted list in force. */
  current(): TrustList;
  /** True when the list in force has expired: the node neither sends nor accepts (docs/protocol.md §6). */
  isExpired(nowMs?: number): boolean;
  /** The latest trust list this node refused (docs/protocol.md §6.4), if any; for its admins. */
  lastRefused?(): { code: string; version: number | null; at: number } | undefined;
}

/** Seals a message to its recipient and records it in the outbox inside the caller's transaction. */
export interface MessageEnqueuer {
  /**
   * Seals `msg` (sign, then encrypt to the recipient's current encryption key from the trust list) and
   * inserts it into the outbox in `trx`, so the state change and the message commit together. Throws a
   * coded error when the recipient is unknown, not active, has no encryption key, or the trust list
   * has expired.
   */
  enqueue(trx: Transaction<Database> | Kysely<Database>, msg: OutgoingMessage): Promise<MessageClaims>;
  /** The first half of enqueue(): the checks and the sealing, outside any transaction. Same errors. */
  seal(msg: OutgoingMessage): Promise<SealedMessage>;
  /** The second half: inserts what seal() returned into the outbox in `trx`. */
  store(trx: Transaction<Database> | Kysely<Database>, sealed: SealedMessage): Promise<MessageClaims>;
}

/** A message sealed under one trust list, not yet in the outbox. */
export interface SealedMessage {
  msg: OutgoingMessage;
  envelope: string;
  claims: MessageClaims;
  /** The list and signing key it was sealed with; store() seals again if others are in force by then. */
  list: TrustList;
  signingKey: SigningKey;
}

/** Health of the federation side, for /readyz and the GraphQL `health` query. */
export interface FederationHealth {
  nats: boolean;
  outboxPending: number;
  quarantined: number;
}
