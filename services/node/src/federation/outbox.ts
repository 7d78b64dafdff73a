// Transactional outbox (docs/protocol.md §3): a state change and the message it implies are written
// in one transaction; the relay publishes afterwards with `Nats-Msg-Id: <jti>`, marks the row sent
// on JetStream's publish ack, and retries with back-off until the message would expire.
import type { JetStreamClient } from "@nats-io/jetstream";
import {
  inboxSubject,
  type MessageClaims,
  type OutgoingMessage,
  type SigningKey,
  sealEnvelope,
} from "@refnet/protocol";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { MessageEnqueuer, SealedMessage, TrustState } from "./contracts.ts";

export interface OutboxEnqueuerDeps {
  orgId: string;
  network: string;
  /** The node's signing key in force at a given second (own-keys.ts), undefined when there is none. */
  keys: { signingKey(nowSeconds: number): SigningKey | undefined };
  trust: TrustState;
  clock: { now(): number };
}

export class OutboxEnqueuer implements MessageEnqueuer {
  #lastSeq: number | undefined;

  constructor(private readonly deps: OutboxEnqueuerDeps) {}

  /**
   * The next publishing position. One node process writes its outbox, so an in-process counter,
   * started above the highest stored value and never below the clock (in microseconds), is strictly
   * increasing across restarts too. Messages about one referral are written under that referral's row
   * lock, so their order here is their order of commit.
   */
  async #nextSeq(trx: Transaction<Database> | Kysely<Database>, now: number): Promise<number> {
    if (this.#lastSeq === undefined) {
      const row = await trx
        .selectFrom("outbox")
        .select((eb) => eb.fn.max("seq").as("max"))
        .executeTakeFirst();
      // Another enqueue may have started the counter while this one awaited: keep the larger.
      this.#lastSeq = Math.max(this.#lastSeq ?? 0, Number(row?.max ?? 0));
    }
    this.#lastSeq = Math.max(this.#lastSeq + 1, now * 1000);
    return this.#lastSeq;
  }

  async enqueue(trx: Transaction<Database> | Kysely<Database>, msg: OutgoingMessage): Promise<MessageClaims> {
    return this.store(trx, await this.seal(msg));
  }

  /**
   * Seals `msg` to its recipient's key in force, touching no database: a caller can seal before it
   * opens its transaction, so the connection is not held while the crypto runs.
   */
  async seal(msg: OutgoingMessage): Promise<SealedMessage> {
    const now = this.deps.clock.now();
    if (this.deps.trust.isExpired(now)) {
      throw new AppError(
        "ERR_TRUST_EXPIRED",
        "The trust list in force has expired: this node sends nothing until a fresh one arrives.",
      );
    }
    const list = this.deps.trust.current();
    // A suspended or revoked organisation's node stops speaking for it at once: every partner would
    // refuse what it signs (docs/protocol.md §2 check 4), and its staff should see why here.
    if (list.partner(this.deps.orgId)?.status !== "active") {
      throw new AppError(
        "ERR_SELF_INACTIVE",
        "This organization is not an active member of the network in the trust list in force: it sends nothing.",
      );
    }
    const partner = list.partner(msg.aud);
    if (partner?.status !== "active") {
      throw new AppError(
        "ERR_PARTNER_UNAVAILABLE",
        `Partner ${msg.aud} is not an active member of the network.`,
      );
    }
    const nowS = Math.floor(now / 1000);
    const recipientKey = list.encryptionKeyFor(msg.aud, nowS);
    if (!recipientKey) {
      throw new AppError("ERR_PARTNER_UNAVAILABLE", `Partner ${msg.aud} has no encryption key in force.`);
    }
    // docs/protocol.md §2.6 step 3: a key the list in force lists for us and that is valid at iat.
    const signingKey = this.deps.keys.signingKey(nowS);
    if (!signingKey) {
      throw new AppError(
        "ERR_KEYS",
        "This node holds no signing key that the trust list in force lists for it and that is valid now: it sends nothing (see `refnet keys show`).",
      );
    }
    const { envelope, claims } = await sealEnvelope(msg, {
      iss: this.deps.orgId,
      signingKey,
      recipientKey: { kid: recipientKey.kid, key: recipientKey.jwk },
      trustVersion: list.version,
      nowSeconds: nowS,
    });
    return { msg, envelope, claims, list, signingKey };
  }

  /**
   * Records a sealed message in the outbox inside `trx`. When the trust list changed since it was
   * sealed (a partner suspended, a key rotated), it is sealed again under the list now in force, so
   * what is stored is exactly what enqueue() would store now.
   */
  async store(trx: Transaction<Database> | Kysely<Database>, sealed: SealedMessage): Promise<MessageClaims> {
    const now0 = this.deps.clock.now();
    const fresh =
      sealed.list === this.deps.trust.current() &&
      !sealed.list.isExpired(Math.floor(now0 / 1000)) &&
      this.deps.keys.signingKey(Math.floor(now0 / 1000))?.kid === sealed.signingKey.kid &&
      sealed.list.encryptionKeyFor(sealed.claims.aud, Math.floor(now0 / 1000))?.kid === sealed.claims.rkid;
    const current = fresh ? sealed : await this.seal(sealed.msg);
    const { envelope, claims } = current;
    const now = this.deps.clock.now();
    const seq = await this.#nextSeq(trx, now);
    await trx
      .insertInto("outbox")
      .values({
        jti: claims.jti,
        seq,
        aud: claims.aud,
        subject: inboxSubject(this.deps.network, claims.aud),
        type: claims.type,
        thid: claims.thid,
        envelope,
        status: "pending",
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        sent_at: null,
        stream_seq: null,
        expires_at: claims.exp * 1000,
      })
      .execute();
    // No wake-up here: the row is not committed yet. Every caller wakes the relay after its commit.
    return claims;
  }
}

export interface OutboxRelayDeps {
  db: Kysely<Database>;
  /** Resolves once every commit made before the call is on disk: nothing leaves before its commit does. */
  durable(): Promise<void>;
  logger: Logger;
  clock: { now(): number };
  /** Publish ack timeout. */
  publishTimeoutMs?: number;
  /** Idle poll interval; a wake() after each enqueue makes the usual latency far lower. */
  pollIntervalMs?: number;
  batchSize?: number;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;

/** Delay before retry `attempt` (1-based): exponential with full jitter, capped. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class OutboxRelay {
  #js: JetStreamClient | undefined;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(private readonly deps: OutboxRelayDeps) {}

  start(js: JetStreamClient): void {
    this.#js = js;
    this.#stopped = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#busy;
  }

  /** Rows have been committed: look now. Callers wake after their commit, so one pass finds them; the
   *  idle poll remains the safety net for a wake-up that was missed. */
  wake(): void {
    this.#schedule(0);
  }

  async pendingCount(): Promise<number> {
    const row = await this.deps.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "pending")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) {
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#busy = this.#run();
    }, delayMs);
  }

  async #run(): Promise<void> {
    this.#running = true;
    this.#again = false;
    let more = false;
    let nextDue: number | undefined;
    try {
      ({ more, nextDue } = await this.#relayOnce());
    } catch (err) {
      this.deps.logger.warn(
        { err: err instanceof Error ? err.message : "unknown" },
        "outbox relay pass failed",
      );
    } finally {
      this.#running = false;
    }
    if (this.#stopped) return;
    const poll = this.deps.pollIntervalMs ?? 1000;
    // A wake-up during the pass, or a full batch, means more rows may be due now; otherwise the next
    // look is at the earliest retry or the idle poll.
    if (this.#again || more) {
      this.#schedule(0);
    } else {
      const now = this.deps.clock.now();
      this.#schedule(Math.max(5, Math.min(poll, nextDue !== undefined ? nextDue - now : poll)));
    }
  }

  /**
   * One pass: the due rows, oldest first. Rows to the same recipient keep their order: once one of
   * them cannot be published (or is not yet due for retry), later rows to that recipient wait, so a
   * partner never sees an update before the accept it follows.
   */
  async #relayOnce(): Promise<{ more: boolean; nextDue: number | undefined }> {
    const js = this.#js;
    if (!js) return { more: false, nextDue: undefined };
    const now = this.deps.clock.now();
    const batchSize = this.deps.batchSize ?? 256;
    const rows = await this.deps.db
      .selectFrom("outbox")
      .select(["jti", "aud", "subject", "envelope", "attempts", "next_attempt_at", "expires_at", "type"])
      .where("status", "=", "pending")
      .orderBy("seq")
      .limit(batchSize)
      .execute();
    const more = rows.length >= batchSize;
    const blocked = new Set<string>();
    const batch: typeof rows = [];
    let nextDue: number | undefined;
    for (const row of rows) {
      if (blocked.has(row.aud)) continue;
      if (row.expires_at <= now) {
        // The recipient would refuse it as expired (docs/protocol.md §2 check 6): stop trying, keep the row.
        await this.deps.db
          .updateTable("outbox")
          .set({ status: "failed", last_error: "expired before it could be published" })
          .where("jti", "=", row.jti)
          .execute();
        this.deps.logger.error({ jti: row.jti, type: row.type }, "outbox message expired unpublished");
        continue;
      }
      if (row.next_attempt_at > now) {
        blocked.add(row.aud);
        nextDue = nextDue === undefined ? row.next_attempt_at : Math.min(nextDue, row.next_attempt_at);
        continue;
      }
      batch.push(row);
    }
    if (batch.length === 0) return { more: false, nextDue };

    // The transactions that enqueued these rows have committed; a partner must never hold a message
    // whose commit a power cut could still undo here.
    await this.deps.durable();
    const timeout = this.deps.publishTimeoutMs ?? 5000;
    // Publishes on one connection reach the server in the order they are sent, so pipelining keeps
    // per-recipient order while the acks come back concurrently.
    const results = await Promise.allSettled(
      batch.map((row) => js.publish(row.subject, row.envelope, { msgID: row.jti, timeout })),
    );
    let published = 0;
    const failedAud = new Set<string>();
    // The outcome of the whole batch in one transaction: one commit instead of one per row. A crash
    // before it commits leaves the rows pending, and their re-publication is absorbed by JetStream's
    // duplicate window and the recipient's (iss, jti) record, as for any retry.
    await this.deps.db.transaction().execute(async (trx) => {
      const sentAt = this.deps.clock.now();
      for (let i = 0; i < batch.length; i++) {
        const row = batch[i]!;
        const res = results[i]!;
        // A row JetStream acknowledged is on the stream: mark it sent even when an earlier row to the
        // same partner failed. Publishing it again could not restore the order (the partner may already
        // have it) and, past the duplicate window, would only be refused there as a replay.
        if (res.status === "fulfilled") {
          published++;
          await trx
            .updateTable("outbox")
            .set({ status: "sent", sent_at: sentAt, stream_seq: res.value.seq, last_error: null })
            .where("jti", "=", row.jti)
            .execute();
        } else {
          failedAud.add(row.aud);
          const attempts = row.attempts + 1;
          const reason = describe(res.reason);
          const retryAt = sentAt + backoffMs(attempts);
          nextDue = nextDue === undefined ? retryAt : Math.min(nextDue, retryAt);
          await trx
            .updateTable("outbox")
            .set({ attempts, next_attempt_at: retryAt, last_error: reason })
            .where("jti", "=", row.jti)
            .execute();
        }
      }
    });
    if (failedAud.size > 0) {
      this.deps.logger.warn(
        { failed: batch.length - published, published },
        "outbox publish failed; will retry",
      );
    }
    return { more: more && published > 0, nextDue };
  }
}

function describe(err: unknown): string {
  // NATS errors carry no message content; keep only their kind.
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 200);
  return "unknown error";
}
