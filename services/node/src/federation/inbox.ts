// Inbox consumer (docs/protocol.md §2 and §3): pulls this organization's inbox, runs the receiver's
// checks, stores an accepted message and its effects in one transaction, and only then acknowledges
// it to JetStream. At-least-once delivery becomes exactly-once through the (iss, jti) primary key of
// the inbox table: a redelivery after a crash between store and ack finds its row and is only acked.
import { randomUUID } from "node:crypto";
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import {
  inboxConsumerName,
  inboxStreamName,
  type MessageClaims,
  type OpenContext,
  type OpenResult,
  openEnvelope,
  PROBLEM_CODES,
  type ProblemCode,
} from "@refnet/protocol";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import { isConsentRevoked } from "../db/revocations.ts";
import type { Database } from "../db/schema.ts";
import type { MessageEnqueuer, TrustState } from "./contracts.ts";

export interface InboundEffects<E> {
  events: E[];
  refusal?: { code: ProblemCode | string; detail: string };
}

export interface InboxConsumerDeps<E> {
  db: Kysely<Database>;
  /** Resolves once every commit made before the call is on disk: a message is acknowledged after that. */
  durable(): Promise<void>;
  logger: Logger;
  clock: { now(): number };
  network: string;
  orgId: string;
  trust: TrustState & { refresh?(): Promise<boolean> };
  keys: { decryptionKey(kid: string): Promise<CryptoKey | undefined> };
  messages: MessageEnqueuer;
  /**
   * Work for an accepted message before its storing transaction, outside it (a new person's data key,
   * flushed to disk without holding the database). Optional; throwing leaves the message unacknowledged.
   */
  prepare?(claims: MessageClaims): Promise<void>;
  /** The domain's reaction to an accepted message, inside the storing transaction. */
  apply(trx: Transaction<Database>, claims: MessageClaims): Promise<InboundEffects<E>>;
  /** Called after commit with the domain events, for live subscriptions. */
  publish(events: E[]): void;
  /** Called after commit when the transaction enqueued messages (receipts, problem reports). */
  onEnqueued?(): void;
  /**
   * Test seam for the crash-between-store-and-ack scenario; never set in production. Returning "crash"
   * makes the consumer behave as a process killed at that instant: no ack, and no further messages.
   */
  faults?: {
    afterStoreBeforeAck?(msg: {
      iss: string;
      jti: string;
    }): Promise<"crash" | undefined> | "crash" | undefined;
  };
}

/** Refusals whose envelope is not kept: the data may not be kept under a revoked or expired consent. */
const DATA_NOT_KEPT: ReadonlySet<string> = new Set<string>([
  PROBLEM_CODES.consentRevoked,
  PROBLEM_CODES.consentExpired,
]);

export type InboxOutcome =
  | { kind: "stored"; iss: string; jti: string; type: string }
  | { kind: "duplicate"; iss: string; jti: string }
  | { kind: "refused"; code: string; verified: boolean }
  | { kind: "frozen" };

export class InboxConsumer<E> {
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #processed = 0;
  #acks = new Set<Promise<void>>();

  /** What openEnvelope asks of this node; built once, every member reads the current state. */
  readonly #open: OpenContext;

  constructor(private readonly deps: InboxConsumerDeps<E>) {
    this.#open = this.#openContext();
  }

  get processed(): number {
    return this.#processed;
  }

  async start(js: JetStreamClient): Promise<void> {
    this.#stopping = false;
    const consumer: Consumer = await js.consumers.get(
      inboxStreamName(this.deps.network),
      inboxConsumerName(this.deps.orgId),
    );
    const messages = await consumer.consume({ max_messages: 64 });
    this.#messages = messages;
    this.#loop = (async () => {
      for await (const m of messages) {
        if (this.#stopping) break;
        await this.#handle(m);
      }
    })().catch((err: unknown) => {
      this.deps.logger.error({ err: err instanceof Error ? err.name : "unknown" }, "inbox consumer stopped");
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#messages?.close();
    await this.#loop;
    await Promise.all(this.#acks);
    this.#messages = undefined;
  }

  async #handle(m: JsMsg): Promise<void> {
    let outcome: InboxOutcome;
    try {
      outcome = await this.process(m.data, m.subject, m.seq, m.info.redelivered);
    } catch (err) {
      // The database or the disk failed: do not ack, let JetStream deliver it again later.
      this.deps.logger.error(
        { seq: m.seq, err: err instanceof Error ? err.name : "unknown" },
        "inbox store failed",
      );
      m.nak(2000);
      return;
    }
    if (outcome.kind === "frozen") {
      m.nak(5000);
      return;
    }
    if (outcome.kind === "stored" && this.deps.faults?.afterStoreBeforeAck) {
      const fault = await this.deps.faults.afterStoreBeforeAck({ iss: outcome.iss, jti: outcome.jti });
      if (fault === "crash") {
        this.#stopping = true;
        this.deps.logger.warn("fault injected: stopping between store and ack");
        void this.#messages?.close();
        return;
      }
    }
    // Acknowledge once the commit is on disk (docs/protocol.md §2 step 9); the flush is shared with the
    // messages stored meanwhile (db/group-commit.ts). The next message need not wait for it nor for the
    // broker to confirm this ack: a lost ack only means a redelivery, recognised by (iss, jti).
    // Stopping waits for the acks in flight.
    const acked = this.deps.durable().then(
      () =>
        m.ackAck().then(
          () => undefined,
          // The ack may be lost (broker restarting); a redelivery is recognised by (iss, jti).
          () => undefined,
        ),
      (err: unknown) => {
        // Not on disk: no ack, so JetStream delivers it again once the node has restarted.
        this.deps.logger.error(
          { seq: m.seq, err: err instanceof Error ? err.name : "unknown" },
          "inbox message stored but not flushed to disk; not acknowledged",
        );
      },
    );
    this.#acks.add(acked);
    void acked.finally(() => {
      this.#acks.delete(acked);
      this.#processed++;
    });
  }

  /**
   * Runs checks 1–9 on one envelope and stores the outcome. Returns what happened; throws only when
   * storing failed, in which case nothing was stored and the message must not be acknowledged.
   */
  async process(
    data: Uint8Array,
    subject: string,
    streamSeq: number,
    redelivered = false,
  ): Promise<InboxOutcome> {
    const now = this.deps.clock.now();
    if (this.deps.trust.isExpired(now)) {
      // docs/protocol.md §6: with an expired list the node accepts nothing, but loses nothing either.
      return { kind: "frozen" };
    }
    const res = await openEnvelope(data, subject, this.#open);
    if (!res.ok) {
      if (res.code === PROBLEM_CODES.replay && res.verified) {
        const existing = await this.deps.db
          .selectFrom("inbox")
          .select(["stream_seq"])
          .where("iss", "=", res.verified.iss)
          .where("jti", "=", res.verified.jti)
          .executeTakeFirst();
        if (existing && (existing.stream_seq === streamSeq || redelivered)) {
          // JetStream delivered again what we stored (we crashed or the ack was lost): ack, store nothing.
          return { kind: "duplicate", iss: res.verified.iss, jti: res.verified.jti };
        }
      }
      await this.#quarantine(res, data, subject, streamSeq, now);
      return { kind: "refused", code: res.code, verified: Boolean(res.verified) };
    }
    const claims = res.claims;
    await this.deps.prepare?.(claims);
    let effects: InboundEffects<E> | undefined;
    let enqueued = false;
    const stored = await this.deps.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto("inbox")
        .values({
          iss: claims.iss,
          jti: claims.jti,
          type: claims.type,
          thid: claims.thid,
          exp: claims.exp * 1000,
          received_at: now,
          stream_seq: streamSeq,
        })
        .onConflict((oc) => oc.columns(["iss", "jti"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      effects = await this.deps.apply(trx, claims);
      if (effects.refusal) {
        await this.#insertQuarantine(trx, {
          code: effects.refusal.code,
          detail: effects.refusal.detail,
          stage: "8",
          claims,
          data,
          subject,
          streamSeq,
          now,
        });
        if (claims.type !== "problem.report") {
          enqueued = await this.#enqueueProblem(trx, claims, effects.refusal.code);
        }
      } else if (claims.type !== "message.receipt" && claims.type !== "problem.report") {
        enqueued = true; // the domain enqueued a receipt
      }
      return true;
    });
    if (!stored) return { kind: "duplicate", iss: claims.iss, jti: claims.jti };
    if (effects && effects.events.length > 0) this.deps.publish(effects.events);
    if (enqueued) this.deps.onEnqueued?.();
    return { kind: "stored", iss: claims.iss, jti: claims.jti, type: claims.type };
  }

  #openContext(): OpenContext {
    const { trust, keys, network, orgId, db, clock } = this.deps;
    return {
      self: orgId,
      network,
      nowSeconds: () => Math.floor(clock.now() / 1000),
      decryptionKey: (kid) => keys.decryptionKey(kid),
      signerKey: async (kid) => trust.current().signerKey(kid),
      trustVersion: () => trust.current().version,
      refreshTrust: trust.refresh
        ? async () => {
            await trust.refresh?.();
          }
        : undefined,
      isReplay: async (iss, jti) =>
        (await db
          .selectFrom("inbox")
          .select("jti")
          .where("iss", "=", iss)
          .where("jti", "=", jti)
          .executeTakeFirst()) !== undefined,
      // docs/protocol.md §5.4.3 rule 2: revocations received are recorded by domain/erasure.ts.
      consentRevoked: (consentId, iss) => isConsentRevoked(db, iss, consentId),
    };
  }

  async #quarantine(
    res: Extract<OpenResult, { ok: false }>,
    data: Uint8Array,
    subject: string,
    streamSeq: number,
    now: number,
  ): Promise<void> {
    let enqueued = false;
    await this.deps.db.transaction().execute(async (trx) => {
      // A redelivered refusal (crash before the ack) is recorded once.
      const seen = await trx
        .selectFrom("quarantine")
        .select("id")
        .where("stream_seq", "=", streamSeq)
        .where("subject", "=", subject)
        .executeTakeFirst();
      if (seen) return;
      await this.#insertQuarantine(trx, {
        code: res.code,
        detail: res.detail,
        stage: String(res.step),
        claims: res.verified,
        data,
        subject,
        streamSeq,
        now,
      });
      // Answer only where the signature verified: no oracle for forgers (docs/protocol.md §2), and
      // never a problem report about a problem report.
      if (res.verified && res.verified.type !== "problem.report") {
        enqueued = await this.#enqueueProblem(trx, res.verified, res.code);
      }
    });
    this.deps.logger.warn(
      { code: res.code, step: res.step, verified: Boolean(res.verified) },
      "message refused",
    );
    if (enqueued) this.deps.onEnqueued?.();
  }

  async #insertQuarantine(
    trx: Transaction<Database>,
    q: {
      code: string;
      detail: string;
      stage: string;
      claims:
        | {
            iss: string;
            jti: string;
            type: string;
            thid: string;
            consent?: { id: string; subjectRef: string; expiresAt: number };
          }
        | undefined;
      data: Uint8Array;
      subject: string;
      streamSeq: number;
      now: number;
    },
  ): Promise<void> {
    await trx
      .insertInto("quarantine")
      .values({
        id: randomUUID(),
        received_at: q.now,
        code: q.code,
        detail: q.detail,
        stage: q.stage,
        iss: q.claims?.iss ?? null,
        jti: q.claims?.jti ?? null,
        type: q.claims?.type ?? null,
        thid: q.claims?.thid ?? null,
        subject: q.subject,
        size: q.data.byteLength,
        // Kept as received: ciphertext only, for inspection by the node's admins. Not kept when it was
        // refused because its consent is revoked or expired: the node's key opens it, and the person's
        // data may no longer be kept under that consent (docs/protocol.md §5.6).
        envelope: DATA_NOT_KEPT.has(q.code) ? "" : Buffer.from(q.data).toString("utf8"),
        stream_seq: q.streamSeq,
        // So that revoking or erasing the consent or the person reaches this envelope (erasure.ts).
        consent_id: q.claims?.consent?.id ?? null,
        subject_ref: q.claims?.consent?.subjectRef ?? null,
        consent_expires_at: q.claims?.consent ? q.claims.consent.expiresAt * 1000 : null,
      })
      .execute();
  }

  async #enqueueProblem(
    trx: Transaction<Database>,
    to: { iss: string; jti: string; thid: string },
    code: string,
  ): Promise<boolean> {
    try {
      await this.deps.messages.enqueue(trx, {
        type: "problem.report",
        aud: to.iss,
        thid: to.thid,
        body: { code, ack: to.jti },
      });
      return true;
    } catch (err) {
      // A suspended or revoked sender gets no answer; the refusal is still recorded.
      this.deps.logger.info(
        { code: err instanceof Error && "code" in err ? err.code : "unknown" },
        "no problem report sent",
      );
      return false;
    }
  }
}
