// The node's federation side: one NATS connection, the JetStream resources of docs/protocol.md §3,
// the trust list watcher, the outbox relay and the inbox consumer. The HTTP side starts without
// waiting for NATS: a node whose broker is away still serves its staff, and its readiness says why.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { MessageClaims } from "@refnet/protocol";
import { natsInboxPrefix } from "@refnet/trust";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import type { FederationHealth, MessageEnqueuer } from "./contracts.ts";
import { type InboundEffects, InboxConsumer } from "./inbox.ts";
import { ensureBuckets, ensureInboxConsumer, ensureInboxStream } from "./nats-setup.ts";
import { OutboxRelay } from "./outbox.ts";
import type { TrustStore } from "./trust-store.ts";

export { InboxConsumer } from "./inbox.ts";
export { ensureBuckets, ensureInboxConsumer, ensureInboxStream } from "./nats-setup.ts";
export { OutboxEnqueuer, OutboxRelay } from "./outbox.ts";
export { TrustStore } from "./trust-store.ts";

export interface NatsSettings {
  url: string;
  user?: string;
  password?: string;
  token?: string;
  /**
   * JetStream domain of the hub, when the node reaches JetStream through a leaf node without JetStream
   * of its own (infra/nats/README.md): every JetStream and KV call then goes to `$JS.<domain>.API`.
   */
  jsDomain?: string;
}

export interface FederationDeps<E> {
  orgId: string;
  network: string;
  nats: NatsSettings;
  db: Kysely<Database>;
  /** Resolves once every commit made before the call is on disk (db/group-commit.ts). */
  durable(): Promise<void>;
  logger: Logger;
  clock: { now(): number };
  trust: TrustStore;
  keys: { decryptionKey(kid: string): Promise<CryptoKey | undefined> };
  messages: MessageEnqueuer;
  prepare?(claims: MessageClaims): Promise<void>;
  apply(trx: Transaction<Database>, claims: MessageClaims): Promise<InboundEffects<E>>;
  publish(events: E[]): void;
  /** How long JetStream waits for our ack before redelivering; 30 s by default. */
  ackWaitMs?: number;
  faults?: ConstructorParameters<typeof InboxConsumer<E>>[0]["faults"];
}

export class Federation<E = unknown> {
  readonly relay: OutboxRelay;
  readonly inbox: InboxConsumer<E>;
  #nc: NatsConnection | undefined;
  #ready = false;
  #stopped = false;
  #starting: Promise<void> | undefined;
  #readyWaiters: (() => void)[] = [];
  #lastError: string | undefined;

  constructor(private readonly deps: FederationDeps<E>) {
    this.relay = new OutboxRelay({
      db: deps.db,
      durable: deps.durable,
      logger: deps.logger,
      clock: deps.clock,
    });
    this.inbox = new InboxConsumer<E>({
      db: deps.db,
      durable: deps.durable,
      logger: deps.logger,
      clock: deps.clock,
      network: deps.network,
      orgId: deps.orgId,
      trust: deps.trust,
      keys: deps.keys,
      messages: deps.messages,
      ...(deps.prepare ? { prepare: deps.prepare } : {}),
      apply: deps.apply,
      publish: deps.publish,
      onEnqueued: () => this.relay.wake(),
      faults: deps.faults,
    });
  }

  /** Starts connecting in the background; `ready()` resolves once messages flow both ways. */
  start(): Promise<void> {
    this.#stopped = false;
    this.#starting = this.#connectLoop();
    return Promise.resolve();
  }

  ready(timeoutMs = 30_000): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(`NATS not ready after ${timeoutMs} ms${this.#lastError ? `: ${this.#lastError}` : ""}`),
          ),
        timeoutMs,
      );
      this.#readyWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** The relay should look at the outbox now (a transaction has committed new rows). */
  wake(): void {
    this.relay.wake();
  }

  isConnected(): boolean {
    return this.#ready && this.#nc !== undefined && !this.#nc.isClosed();
  }

  async health(): Promise<FederationHealth> {
    const [outboxPending, quarantined] = await Promise.all([
      this.relay.pendingCount(),
      this.deps.db
        .selectFrom("quarantine")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n)),
    ]);
    return { nats: this.isConnected(), outboxPending, quarantined };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.deps.trust.stopWatching();
    await this.relay.stop();
    await this.inbox.stop();
    const nc = this.#nc;
    this.#nc = undefined;
    this.#ready = false;
    if (nc && !nc.isClosed()) {
      await nc.close().catch(() => undefined);
    }
    await this.#starting?.catch(() => undefined);
  }

  async #connectLoop(): Promise<void> {
    let delay = 250;
    while (!this.#stopped) {
      try {
        await this.#connectOnce();
        return;
      } catch (err) {
        this.#lastError = err instanceof Error ? err.message : "unknown";
        this.deps.logger.warn({ err: this.#lastError, retryInMs: delay }, "NATS not reachable yet");
        const nc = this.#nc;
        this.#nc = undefined;
        if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  async #connectOnce(): Promise<void> {
    const { nats, orgId, network } = this.deps;
    const nc = await connect({
      servers: nats.url,
      name: `refnet-node-${orgId}`,
      user: nats.user,
      pass: nats.password,
      token: nats.token,
      // Replies come back on a prefix only this organisation's NATS user may subscribe to, so no other
      // partner can read its pulled messages or API answers (infra/nats/README.md).
      inboxPrefix: natsInboxPrefix(orgId),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
      timeout: 5000,
    });
    this.#nc = nc;
    if (this.#stopped) {
      await nc.close();
      return;
    }
    await this.#ensureResources(nc);
    const js = jetstream(nc, { timeout: 5000, ...this.#domain() });

    const { trust } = await ensureBuckets(js, network);
    await this.deps.trust.watch(trust);
    await this.inbox.start(js);
    this.relay.start(js);
    this.#ready = true;
    this.#lastError = undefined;
    for (const w of this.#readyWaiters.splice(0)) w();
    this.deps.logger.info({ server: nc.getServer() }, "connected to NATS");
    void this.#watchStatus(nc);
  }

  async #ensureResources(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc, { timeout: 5000, ...this.#domain() });
    await ensureInboxStream(jsm, this.deps.network);
    await ensureInboxConsumer(jsm, {
      network: this.deps.network,
      orgId: this.deps.orgId,
      ackWaitMs: this.deps.ackWaitMs ?? 30_000,
    });
  }

  #domain(): { domain?: string } {
    return this.deps.nats.jsDomain ? { domain: this.deps.nats.jsDomain } : {};
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.#stopped) return;
      if (s.type === "disconnect") {
        this.#ready = false;
        this.deps.logger.warn("disconnected from NATS; reconnecting");
      } else if (s.type === "reconnect") {
        // A broker that lost its store comes back without our stream: make sure it is there again.
        try {
          await this.#ensureResources(nc);
        } catch (err) {
          this.deps.logger.warn(
            { err: err instanceof Error ? err.message : "unknown" },
            "JetStream setup after reconnect failed",
          );
        }
        this.#ready = true;
        this.relay.wake();
        this.deps.logger.info("reconnected to NATS");
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
