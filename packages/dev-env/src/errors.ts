// Errors of the development environment, each with a stable code so tests and scripts can tell a
// missing binary from a slow start from a GraphQL error without matching on message text.

export type DevEnvErrorCode =
  | "ERR_NATS_SERVER_NOT_FOUND"
  | "ERR_NATS_SERVER_START"
  | "ERR_NATS_SERVER_STATE"
  | "ERR_NODE_START"
  | "ERR_NODE_STATE"
  | "ERR_UNKNOWN_ORG"
  | "ERR_WAIT_TIMEOUT"
  | "ERR_GRAPHQL"
  | "ERR_HTTP";

export class DevEnvError extends Error {
  readonly code: DevEnvErrorCode;
  constructor(code: DevEnvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DevEnvError";
    this.code = code;
  }
}

/** One error of a GraphQL response, as graphql-yoga sends it. */
export interface GraphQLResponseError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** Thrown by `TestNetwork.gql` when the response carries `errors` (unless `allowErrors`). */
export class GraphQLRequestError extends DevEnvError {
  readonly errors: GraphQLResponseError[];
  readonly codes: string[];
  constructor(orgId: string, errors: GraphQLResponseError[]) {
    const codes = errors.map((e) => e.extensions?.code ?? "UNKNOWN");
    // Node error messages are required to be free of personal data, so they are safe to repeat here.
    const detail = errors.map((e) => `${e.extensions?.code ?? "UNKNOWN"}: ${e.message}`).join("; ");
    super("ERR_GRAPHQL", `GraphQL errors from ${orgId}: ${detail}`);
    this.name = "GraphQLRequestError";
    this.errors = errors;
    this.codes = codes;
  }
}
