// The context every resolver receives: the node's AppContext and the authenticated staff member
// (set by the auth plugin before the operation is even parsed), plus what graphql-yoga adds.
import type { YogaInitialContext } from "graphql-yoga";
import type { Staff } from "../auth.ts";
import type { AppContext } from "../context.ts";

export type GraphQLContext = YogaInitialContext & { app: AppContext; staff: Staff };
