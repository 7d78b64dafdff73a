// The node's GraphQL server: schema.graphql with its resolvers, staff authentication before anything
// is parsed, query limits from graphql-armor, masked errors, GraphiQL only when configured.
import { readFileSync } from "node:fs";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import {
  createGraphQLError,
  createSchema,
  createYoga,
  type Plugin,
  type YogaLogger,
  type YogaServerInstance,
} from "graphql-yoga";
import { authenticate } from "../auth.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { consentResolvers } from "./consent-resolvers.ts";
import type { GraphQLContext, ServerContext, UserContext } from "./context.ts";
import { createMaskError } from "./errors.ts";
import { resolvers } from "./resolvers.ts";

export const GRAPHQL_PATH = "/graphql";

/** The one GraphQL contract of every node, at the repository root. */
export const SCHEMA_PATH = new URL("../../../../schema.graphql", import.meta.url);

/** The same contract, inlined by the production build (scripts/build.mjs); absent when run from source. */
declare const __REFNET_SCHEMA_SDL__: string | undefined;

function schemaText(): string {
  return typeof __REFNET_SCHEMA_SDL__ === "string"
    ? __REFNET_SCHEMA_SDL__
    : readFileSync(SCHEMA_PATH, "utf8");
}

export type NodeYoga = YogaServerInstance<ServerContext, UserContext>;

/** Limits on what one operation may ask for (graphql-armor); each refusal says which limit it hit. */
export interface GraphQLLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases?: number;
  maxDirectives?: number;
  maxTokens?: number;
}

export function createGraphQL(app: AppContext): NodeYoga {
  const typeDefs = schemaText();
  const schema = createSchema<GraphQLContext>({
    typeDefs,
    resolvers: [resolvers, consentResolvers] as Parameters<
      typeof createSchema<GraphQLContext>
    >[0]["resolvers"],
  });
  const limits: GraphQLLimits = {
    maxDepth: app.config.graphql.maxDepth,
    maxCost: app.config.graphql.maxCost,
  };
  return createYoga<ServerContext, UserContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: app.config.graphql.graphiql ? { title: `refnet · ${app.orgId}` } : false,
    landingPage: false,
    // The node's console is served from the same origin; no other site needs to read its API.
    cors: false,
    batching: false,
    // fastify has already read the body within its own limit (server.ts BODY_LIMIT_BYTES, 413 above
    // it); yoga's second limit would pipe every body through a stream again for nothing.
    maxRequestBodySize: false,
    logging: quietLogger(app),
    maskedErrors: { maskError: createMaskError(app.logger) },
    context: ({ staff }) => {
      // The auth plugin refuses every operation without a staff member; this guards against a
      // plugin order mistake ever letting one through.
      if (!staff) throw new AppError("ERR_UNAUTHENTICATED", "A valid staff bearer token is required.");
      return { app, staff };
    },
    plugins: [authPlugin(app), armorPlugin(limits)],
  });
}

/** Authenticates the bearer token before the operation is parsed: strangers learn nothing of the schema. */
function authPlugin(app: AppContext): Plugin<Record<string, unknown>, ServerContext> {
  return {
    async onParams({ request, context, setResult }) {
      try {
        context.staff = await authenticate(app.db, request.headers.get("authorization"));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        setResult({
          errors: [
            createGraphQLError(err.message, {
              extensions: {
                code: err.code,
                http: { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="refnet"' } },
              },
            }),
          ],
        });
      }
    },
  };
}

export function armorPlugin(limits: GraphQLLimits) {
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, exposeLimits: true, flattenFragments: true },
    costLimit: { maxCost: limits.maxCost, exposeLimits: true },
    maxAliases: { n: limits.maxAliases ?? 15, exposeLimits: true },
    maxDirectives: { n: limits.maxDirectives ?? 50, exposeLimits: true },
    maxTokens: { n: limits.maxTokens ?? 2000, exposeLimits: true },
    blockFieldSuggestion: { enabled: true },
  });
}

/** Yoga's own logging goes to the node's logger at debug level, without error messages. */
function quietLogger(app: AppContext): YogaLogger {
  const log = app.logger.child({ component: "graphql" });
  const safe = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? { name: a.name } : typeof a === "string" ? a : typeof a));
  return {
    debug: (...args: unknown[]) => log.debug({ args: safe(args) }),
    info: (...args: unknown[]) => log.debug({ args: safe(args) }),
    warn: (...args: unknown[]) => log.warn({ args: safe(args) }),
    // Errors are logged (without their message) by maskError; yoga would log them again in full.
    error: (...args: unknown[]) => log.debug({ args: safe(args) }),
  };
}
