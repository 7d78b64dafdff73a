// The context every resolver receives: the node's AppContext and the authenticated staff member
// (set by the auth plugin before the operation is even parsed), plus what graphql-yoga and the
// fastify adapter add.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { YogaInitialContext } from "graphql-yoga";
import type { Staff } from "../auth.ts";
import type { AppContext } from "../context.ts";

/** What the fastify route hands to yoga with each request. */
export interface ServerContext {
  req: FastifyRequest;
  reply: FastifyReply;
  /** Set by the auth plugin before the operation is parsed. */
  staff?: Staff;
}

/** What yoga's context factory adds. */
export interface UserContext {
  app: AppContext;
  staff: Staff;
}

export type GraphQLContext = ServerContext & YogaInitialContext & UserContext;
