// Readiness, shared by /readyz and the GraphQL `health` query: the database answers, NATS is
// connected, and the trust list in force has not expired (docs/protocol.md §6: an expired list
// freezes the node).
import type { AppContext } from "./context.ts";
import { pingDatabase } from "./db/index.ts";

export interface Readiness {
  ready: boolean;
  database: boolean;
  nats: boolean;
  trust: {
    version: number;
    expiresAt: number;
    expired: boolean;
    /** The latest refused trust list (milliseconds); a refusal does not make the node unready. */
    lastRefusal: { code: string; version: number | null; at: number } | null;
  };
  outboxPending: number;
  quarantined: number;
  /** Why the node is not ready (empty when it is). */
  reasons: string[];
}

export async function readiness(ctx: AppContext): Promise<Readiness> {
  // A failed flush is final (db/group-commit.ts): the node acknowledges and sends nothing more.
  const flushed = await ctx.durable().then(
    () => true,
    () => false,
  );
  const database = flushed && (await pingDatabase(ctx.db));
  // Federation health reads the outbox and the quarantine: with the database down it cannot answer.
  const fed = database
    ? await ctx.federation.health().catch(() => ({ nats: false, outboxPending: 0, quarantined: 0 }))
    : { nats: false, outboxPending: 0, quarantined: 0 };
  const list = ctx.trust.current();
  const expired = ctx.trust.isExpired(ctx.clock.now());
  const reasons: string[] = [];
  if (!flushed) reasons.push("database: a commit could not be flushed to disk; restart the node");
  else if (!database) reasons.push("database: not answering");
  if (!fed.nats) reasons.push("nats: not connected");
  if (expired) reasons.push("trust: the trust list in force has expired");
  return {
    ready: reasons.length === 0,
    database,
    nats: fed.nats,
    trust: {
      version: list.version,
      expiresAt: list.expiresAt * 1000,
      expired,
      lastRefusal: lastRefusalOf(ctx),
    },
    outboxPending: fed.outboxPending,
    quarantined: fed.quarantined,
    reasons,
  };
}

function lastRefusalOf(ctx: AppContext): Readiness["trust"]["lastRefusal"] {
  const r = ctx.trust.lastRefused?.();
  return r ? { code: r.code, version: r.version, at: r.at } : null;
}
