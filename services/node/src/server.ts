// The node's HTTP side (fastify 5): GraphQL at /graphql, liveness at /healthz, readiness at /readyz,
// Prometheus metrics at /metrics.
// startNode() is the whole node: migrations, context, federation, HTTP and the expiry sweep.
import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { AppContext, type ContextOverrides } from "./context.ts";
import { eraseExpiredConsents } from "./domain/erasure.ts";
import { expireOverdue } from "./domain/referrals.ts";
import { describe } from "./graphql/errors.ts";
import { createGraphQL, GRAPHQL_PATH } from "./graphql/yoga.ts";
import { readiness } from "./health.ts";
import { renderMetrics } from "./metrics.ts";
import { startPeriodic } from "./periodic.ts";
import { RETENTION_INTERVAL_MS, type RetentionSweep, startRetentionSweep } from "./retention-job.ts";

/** Largest request body: a referral with its structured sections fits in far less. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export type NodeServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger
>;

export async function buildServer(ctx: AppContext): Promise<NodeServer> {
  const app = Fastify({
    loggerInstance: ctx.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
  });
  const yoga = createGraphQL(ctx);

  app.get("/healthz", async () => ({ status: "live" }));

  app.get("/readyz", async (_req, reply) => {
    const r = await readiness(ctx);
    return reply.code(r.ready ? 200 : 503).send({
      ready: r.ready,
      reasons: r.reasons,
      database: r.database,
      nats: r.nats,
      trust: {
        version: r.trust.version,
        expiresAt: new Date(r.trust.expiresAt).toISOString(),
        expired: r.trust.expired,
      },
      outboxPending: r.outboxPending,
      quarantined: r.quarantined,
    });
  });

  // Aggregate counts only (metrics.ts); behind a bearer token when REFNET_METRICS_TOKEN is set.
  const metricsToken = ctx.config.metricsToken
    ? createHash("sha256").update(ctx.config.metricsToken).digest()
    : null;
  app.get("/metrics", async (req, reply) => {
    if (metricsToken) {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const hash = createHash("sha256").update(given).digest();
      if (!timingSafeEqual(hash, metricsToken)) {
        return reply.code(401).header("www-authenticate", "Bearer").send({ error: "Unauthorized." });
      }
    }
    const text = await renderMetrics(ctx);
    return reply
      .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
      .header("cache-control", "no-store")
      .send(text);
  });

  await app.register(async (gql) => {
    // Yoga parses the body itself (JSON, GraphQL-over-HTTP media types, errors in GraphQL shape);
    // fastify only reads it as bytes, within the body limit, so an oversized body is refused early.
    gql.removeAllContentTypeParsers();
    gql.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    gql.route({
      url: GRAPHQL_PATH,
      method: ["GET", "POST", "OPTIONS"],
      handler: async (req, reply) => {
        const response = hasNoBody(req)
          ? await yoga.fetch(
              `http://${req.host}${req.url}`,
              { method: req.method, headers: headersOf(req), body: "" },
              { req, reply },
            )
          : await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
        for (const [key, value] of response.headers) reply.header(key, value);
        // Answers carry people's data: no cache, no sniffing.
        reply.header("cache-control", "no-store");
        reply.header("x-content-type-options", "nosniff");
        reply.status(response.status);
        // What the request committed is on disk before the caseworker is told it is done.
        await ctx.durable();
        // One JSON document is sent as a string: piping it through a stream costs more than the query
        // itself. Anything else (a live event stream, SSE or multipart) is piped as it comes.
        if (JSON_ANSWER.test(response.headers.get("content-type") ?? "")) {
          return reply.send(await response.text());
        }
        return reply.send(response.body);
      },
    });
  });

  app.setErrorHandler<FastifyError>((err, _req, reply) => {
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) ctx.logger.error({ err: describe(err) }, "request failed");
    return reply.code(status).send({
      error:
        status >= 500
          ? "Unexpected error."
          : err.code === "FST_ERR_CTP_BODY_TOO_LARGE"
            ? "Request body too large."
            : "Bad request.",
    });
  });

  return app;
}

/** The media types of a single GraphQL answer (GraphQL over HTTP). */
const JSON_ANSWER = /^application\/(graphql-response\+)?json\b/i;

/**
 * A request without a body to hand over (POST with an empty or absent body, or OPTIONS). Yoga is given
 * the body fastify read; when there is none, it would wait on the request stream fastify already drained.
 */
function hasNoBody(req: FastifyRequest): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  return !(Buffer.isBuffer(req.body) && req.body.length > 0);
}

function headersOf(req: FastifyRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

export interface RunningNode {
  ctx: AppContext;
  app: NodeServer;
  /** http://host:port */
  url: string;
  graphqlUrl: string;
  stop(): Promise<void>;
}

export interface StartOptions extends ContextOverrides {
  /** How often the respondBy sweep runs; 30 s by default. */
  sweepIntervalMs?: number;
  /** How often the node retires keys past their use (own-keys.ts); 60 s by default. */
  keyMaintenanceIntervalMs?: number;
  /** How often the retention job runs (retention-job.ts); hourly by default. */
  retentionIntervalMs?: number;
}

/** Runs migrations, builds the context, starts the federation (in the background) and listens. */
export async function startNode(config: Config, options: StartOptions = {}): Promise<RunningNode> {
  const { sweepIntervalMs, keyMaintenanceIntervalMs, retentionIntervalMs, ...overrides } = options;
  const ctx = await AppContext.fromConfig(config, overrides);
  let app: NodeServer | undefined;
  let sweep: ExpirySweep | undefined;
  let retention: RetentionSweep | undefined;
  try {
    app = await buildServer(ctx);
    await ctx.federation.start();
    await app.listen({ host: config.http.host, port: config.http.port });
    sweep = startExpirySweep(ctx, sweepIntervalMs ?? 30_000);
    // Purges personal data past its retention limit (docs/data-at-rest.md).
    retention = startRetentionSweep(ctx, retentionIntervalMs ?? RETENTION_INTERVAL_MS);
    ctx.ownKeys.start(keyMaintenanceIntervalMs ?? 60_000);
    // Signed checkpoints of the audit trail every REFNET_AUDIT_CHECKPOINT_SECONDS (and at stop).
    ctx.audit.start();
  } catch (err) {
    await retention?.stop().catch(() => undefined);
    await sweep?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await ctx.federation.stop().catch(() => undefined);
    await ctx.close();
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  ctx.logger.info({ url, org: config.orgId, network: config.network }, "node listening");
  let stopping: Promise<void> | undefined;
  const running: RunningNode = {
    ctx,
    app,
    url,
    graphqlUrl: `${url}${GRAPHQL_PATH}`,
    stop() {
      stopping ??= (async () => {
        await sweep?.stop();
        await retention?.stop();
        ctx.ownKeys.stopTimer();
        // Stop taking requests first, then messages, then close the database they both use.
        await app.close();
        await ctx.federation.stop();
        await ctx.close();
      })();
      return stopping;
    },
  };
  return running;
}

export interface ExpirySweep {
  /** Runs one pass now (also what the timer does). */
  runOnce(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Periodically: marks referrals expired when respondBy passes with no answer (docs/protocol.md §4),
 * and erases what this node received under consents that have expired (erasure.ts, docs/consent.md).
 * `runOnce` resolves to the referrals it marked expired.
 */
export function startExpirySweep(ctx: AppContext, intervalMs: number): ExpirySweep {
  const task = startPeriodic({
    intervalMs,
    fallback: [] as string[],
    onError: (err) => ctx.logger.warn({ err: describe(err) }, "expiry sweep failed"),
    pass: async () => {
      let ids: string[] = [];
      try {
        ids = await expireOverdue(ctx);
        if (ids.length > 0) ctx.logger.info({ count: ids.length }, "referrals expired (respondBy passed)");
      } catch (err) {
        ctx.logger.warn({ err: describe(err) }, "expiry sweep failed");
      }
      // Separate from the above: one failing does not hold the other back.
      try {
        const erased = await eraseExpiredConsents(ctx);
        if (erased.length > 0) {
          ctx.logger.info({ count: erased.length }, "person data erased (consent expired)");
        }
      } catch (err) {
        ctx.logger.warn({ err: describe(err) }, "consent expiry erasure failed");
      }
      return ids;
    },
  });
  return { runOnce: task.runOnce, stop: task.stop };
}
