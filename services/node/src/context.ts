// One object that holds every dependency of a node, built once at start and passed to resolvers,
// domain functions and the federation layer. No module-level singletons: a test replaces the clock,
// the id generator, the logger, the trust state, the message enqueuer or the federation here.
import { randomBytes } from "node:crypto";
import { sep } from "node:path";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { AuditLog } from "./audit/audit-log.ts";
import type { Config } from "./config.ts";
import { type DialectName, migrateToLatest, openDatabase } from "./db/index.ts";
import type { Database } from "./db/schema.ts";
import { applyInbound, prepareInbound } from "./domain/inbound.ts";
import { openBoundVault } from "./domain/personal-data.ts";
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
import { resolveKek } from "./kek.ts";
import { KeyStore } from "./keys.ts";
import { createLogger } from "./logger.ts";
import { OwnKeys } from "./own-keys.ts";
import type { PersonVault } from "./person-vault.ts";

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
  #vault: PersonVault | undefined;
  #audit: AuditLog | undefined;
  #closed = false;

  private constructor(
    readonly config: Config,
    readonly db: Kysely<Database>,
    readonly dialect: DialectName,
    private readonly closeDb: () => Promise<void>,
    /** Resolves once every commit made before the call is on disk (db/group-commit.ts). */
    readonly durable: () => Promise<void>,
    readonly logger: Logger,
    readonly clock: Clock,
    readonly ids: IdGenerator,
    readonly keys: KeyStore,
    readonly trust: TrustState,
    readonly messages: MessageEnqueuer,
    readonly events: ReferralEventBus,
    /** The node's keys as the trust list in force makes them usable (signing, decryption, rotation). */
    readonly ownKeys: OwnKeys,
  ) {}

  /**
   * Opens the database and runs its migrations, loads the key store and the trust list in force, and
   * wires the federation layer. Nothing connects to NATS until `federation.start()`.
   */
  static async fromConfig(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
    const logger = overrides.logger ?? createLogger({ level: config.logLevel, orgId: config.orgId });
    const clock = overrides.clock ?? systemClock;
    const ids = overrides.ids ?? randomIds;
    // Group commit: commits are flushed to disk by durable(), before anything outside relies on them.
    const opened = openDatabase(config, { groupCommit: true });
    let vault: PersonVault | undefined;
    try {
      await migrateToLatest(opened.db);
      // The KEK opens the key file and the person key vault; it is never stored or logged (kek.ts).
      const kek = await resolveKek(config.kek);
      warnOnKekPlacement(config, logger);
      const keys = overrides.keys ?? (await KeyStore.load(config.keysFile, config.orgId, kek));
      vault = await openBoundVault(opened.db, config.vaultFile, kek, () => clock.now());
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
      const ownKeys = new OwnKeys({ orgId: config.orgId, store: keys, trust, clock, logger });
      const messages =
        overrides.messages ??
        new OutboxEnqueuer({
          orgId: config.orgId,
          network: config.network,
          keys: ownKeys,
          trust,
          clock,
        });
      const ctx = new AppContext(
        config,
        opened.db,
        opened.dialect,
        opened.close,
        opened.durable,
        logger,
        clock,
        ids,
        keys,
        trust,
        messages,
        createEventBus(),
        ownKeys,
      );
      ctx.#vault = vault;
      ctx.#audit = new AuditLog({
        db: opened.db,
        clock,
        logger,
        network: config.network,
        orgId: config.orgId,
        // The key partners know this node by (the trust list's), else the key file's newest.
        signingKey: () => ownKeys.signingKey() ?? keys.signingKey(),
        checkpoints: {
          everyEntries: config.audit.checkpointEveryEntries,
          everySeconds: config.audit.checkpointEverySeconds,
        },
      });
      ctx.#federation = ctx.#buildFederation(overrides);
      return ctx;
    } catch (err) {
      vault?.close();
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
      durable: this.durable,
      logger: this.logger,
      clock: this.clock,
      trust: this.trust,
      keys: this.ownKeys,
      messages: this.messages,
      prepare: (claims) => prepareInbound(claims, this),
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

  get erasureDeadlineMs(): number {
    return this.config.erasureDeadlineMs;
  }

  /** Per-person data keys (person-vault.ts); open from start to close. */
  get vault(): PersonVault {
    if (!this.#vault) throw new Error("vault not open");
    return this.#vault;
  }

  /** The audit trail (audit/audit-log.ts): `ctx.audit.append(trx, entry)` inside an action's transaction. */
  get audit(): AuditLog {
    if (!this.#audit) throw new Error("audit trail not open");
    return this.#audit;
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
    await this.ownKeys.stop();
    // A last checkpoint, so that a restart leaves no entry uncovered (needs the database: before it closes).
    await this.#audit?.stop();
    await this.closeDb();
    this.#vault?.close();
  }
}

/**
 * The KEK protects everything else the node stores; kept in the data directory, it is copied by every
 * backup of that directory along with what it protects. Said once at start, in production.
 */
function warnOnKekPlacement(config: Config, logger: Logger): void {
  if (!config.production || config.kek.source !== "file") return;
  const dir = config.dataDir.endsWith(sep) ? config.dataDir : `${config.dataDir}${sep}`;
  if (config.kek.path.startsWith(dir)) {
    logger.warn(
      { kekFile: config.kek.path },
      "the KEK file is inside the data directory: keep it on another volume, out of the data directory's backups (docs/data-at-rest.md)",
    );
  }
}
