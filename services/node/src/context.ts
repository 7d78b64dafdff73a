// One object that holds every dependency of a node, built once at start and passed to resolvers,
// domain functions and the federation layer. No module-level singletons: a test replaces the clock,
// the id generator, the logger, the trust state, the message enqueuer or the federation here.
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { type DialectName, migrateToLatest, openDatabase } from "./db/index.ts";
import type { Database } from "./db/schema.ts";
import { applyInbound } from "./domain/inbound.ts";
import type {
  Clock,
  DomainContext,
  IdGenerator,
  ReferralEventBus,
  ReferralEventRecord,
} from "./domain/types.ts";
import { createEventBus } from "./events.ts";
import type { FederationHealth, MessageEnqueuer, TrustState } from "./federation/contracts.ts";
import { Federation, type FederationDeps } from "./federation/index.ts";
import { OutboxEnqueuer } from "./federation/outbox.ts";
import { TrustStore } from "./federation/trust-store.ts";
import { KeyStore } from "./keys.ts";
import { createLogger } from "./logger.ts";

export type { GraphQLContext } from "./graphql/context.ts";

/** What the node needs of its federation side (federation/index.ts `Federation`). */
export interface FederationControl {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<FederationHealth>;
  /** New outbox rows committed: publish now rather than at the next poll. */
  wake?(): void;
}

export interface ContextOverrides {
  clock?: Clock;
  ids?: IdGenerator;
  logger?: Logger;
  keys?: KeyStore;
  trust?: TrustState;
  messages?: MessageEnqueuer;
  federation?: FederationControl | ((ctx: AppContext) => FederationControl);
  /** Passed to the real Federation (ignored when `federation` is overridden). */
  federationOptions?: Pick<FederationDeps<ReferralEventRecord>, "ackWaitMs" | "faults">;
}

export const systemClock: Clock = { now: () => Date.now() };

/** 16 random bytes, base64url: valid as a referral id (thid) and a message id (jti) on the wire. */
export const randomIds: IdGenerator = { newId: () => randomBytes(16).toString("base64url") };

export class AppContext implements DomainContext {
  #federation: FederationControl | undefined;
  #closed = false;

  private constructor(
    readonly config: Config,
    readonly db: Kysely<Database>,
    readonly dialect: DialectName,
    private readonly closeDb: () => Promise<void>,
    readonly logger: Logger,
    readonly clock: Clock,
    readonly ids: IdGenerator,
    readonly keys: KeyStore,
    readonly trust: TrustState,
    readonly messages: MessageEnqueuer,
    readonly events: ReferralEventBus,
  ) {}

  /**
   * Opens the database and runs its migrations, loads the key store and the trust list in force, and
   * wires the federation layer. Nothing connects to NATS until `federation.start()`.
   */
  static async fromConfig(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
    const logger = overrides.logger ?? createLogger({ level: config.logLevel, orgId: config.orgId });
    const clock = overrides.clock ?? systemClock;
    const ids = overrides.ids ?? randomIds;
    const opened = openDatabase(config);
    try {
      await migrateToLatest(opened.db);
      const keys = overrides.keys ?? (await KeyStore.load(config.keysFile, config.orgId));
      const trust =
        overrides.trust ??
        (await TrustStore.open({
          db: opened.db,
          network: config.network,
          logger,
          clock,
          ...(config.trust.genesisPath !== undefined ? { genesisPath: config.trust.genesisPath } : {}),
          ...(config.trust.genesisSha256 !== undefined ? { genesisSha256: config.trust.genesisSha256 } : {}),
        }));
      const messages =
        overrides.messages ??
        new OutboxEnqueuer({
          orgId: config.orgId,
          network: config.network,
          keys,
          trust,
          clock,
        });
      const ctx = new AppContext(
        config,
        opened.db,
        opened.dialect,
        opened.close,
        logger,
        clock,
        ids,
        keys,
        trust,
        messages,
        createEventBus(),
      );
      ctx.#federation = ctx.#buildFederation(overrides);
      return ctx;
    } catch (err) {
      await opened.close();
      throw err;
    }
  }

  #buildFederation(overrides: ContextOverrides): FederationControl {
    const f = overrides.federation;
    if (typeof f === "function") return f(this);
    if (f) return f;
    if (!(this.trust instanceof TrustStore)) {
      throw new Error(
        "A replaced trust state needs a replaced federation too (the real one watches a TrustStore).",
      );
    }
    return new Federation<ReferralEventRecord>({
      orgId: this.config.orgId,
      network: this.config.network,
      nats: this.config.nats,
      db: this.db,
      logger: this.logger,
      clock: this.clock,
      trust: this.trust,
      keys: this.keys,
      messages: this.messages,
      apply: (trx, claims) => applyInbound(trx, claims, this),
      publish: (events) => this.events.publish(events),
      ...overrides.federationOptions,
    });
  }

  get orgId(): string {
    return this.config.orgId;
  }

  get network(): string {
    return this.config.network;
  }

  get federation(): FederationControl {
    if (!this.#federation) throw new Error("federation not built yet");
    return this.#federation;
  }

  outboxChanged(): void {
    this.#federation?.wake?.();
  }

  /** Closes the database. Stop the federation first (startNode's stop() does both, in order). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closeDb();
  }
}
