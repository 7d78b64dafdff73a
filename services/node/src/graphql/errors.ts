// The ONE place errors become GraphQL errors. An AppError keeps its message and gets its stable code
// in `extensions.code`; GraphQL's own errors (syntax, validation, limits, bad variables) pass as they
// are; anything else is masked as "Unexpected error." and logged without its message, which could
// hold a person's data (a constraint violation echoing a value, say).
import type { GraphQLError } from "graphql";
import { createGraphQLError, type MaskError } from "graphql-yoga";
import type { Logger } from "pino";
import { AppError } from "../errors.ts";

/**
 * Realm-safe: graphql's CommonJS and ESM builds each have their own GraphQLError class, and a library
 * may load the other one (graphql-armor is CommonJS), so `instanceof` is not reliable here.
 */
export function isGraphQLError(e: unknown): e is GraphQLError {
  return e instanceof Error && Object.prototype.toString.call(e) === "[object GraphQLError]";
}

function unwrap(error: unknown): unknown {
  let e = error;
  while (isGraphQLError(e) && e.originalError) e = e.originalError;
  return e;
}

export function createMaskError(logger: Logger): MaskError {
  return (error: unknown, message: string) => {
    const cause = unwrap(error);
    const located = isGraphQLError(error) ? error : undefined;
    const where = {
      ...(located?.nodes ? { nodes: located.nodes } : {}),
      ...(located?.path ? { path: located.path } : {}),
    };
    if (cause instanceof AppError) {
      return createGraphQLError(cause.message, {
        ...where,
        extensions: {
          code: cause.code,
          ...(cause.code === "ERR_UNAUTHENTICATED" ? { http: { status: 401 } } : {}),
        },
      });
    }
    if (isGraphQLError(cause)) return withoutValues(error as GraphQLError);
    logger.error(
      {
        err: describe(cause),
        path: located?.path?.join("."),
      },
      "unexpected error in a GraphQL operation",
    );
    return createGraphQLError(message, { ...where, extensions: { code: "INTERNAL_SERVER_ERROR" } });
  };
}

/** Name, driver code and stack frames of an error, without its message. */
export function describe(err: unknown): { name: string; code?: string; frames?: string } {
  if (!(err instanceof Error)) return { name: typeof err };
  const code = (err as { code?: unknown }).code;
  return {
    name: err.name,
    ...(typeof code === "string" ? { code } : {}),
    ...(err.stack
      ? {
          frames: err.stack
            .split("\n")
            .filter((l) => /^\s+at /.test(l))
            .slice(0, 8)
            .join("\n"),
        }
      : {}),
  };
}

/**
 * GraphQL's own messages about bad input repeat the value given (`Variable "$input" got invalid value
 * { givenName: "…" } …`). The caller sent it, but an error is often logged on the way back: keep the
 * variable, the path and the reason, drop the value.
 */
export function withoutValues(error: GraphQLError): GraphQLError {
  const message = stripValues(error.message, error.originalError);
  if (message === error.message) return error;
  return createGraphQLError(message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: error.extensions,
  });
}

function stripValues(message: string, original: Error | undefined): string {
  const variable = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)" got invalid value /.exec(message);
  if (variable) {
    const name = variable[1]!;
    // graphql-js builds `${prefix}; ${original.message}`, the prefix ending in ` at "<path>"` if any.
    const reason = original && message.endsWith(`; ${original.message}`) ? original.message : "";
    const prefix = reason ? message.slice(0, message.length - reason.length - 2) : message;
    const at = prefix.lastIndexOf(` at "${name}`);
    const path = at >= 0 && prefix.endsWith('"') ? prefix.slice(at) : "";
    return `Variable "$${name}" got an invalid value${path}${reason ? `; ${stripReason(reason)}` : "."}`;
  }
  return stripReason(message);
}

function stripReason(reason: string): string {
  return reason
    .replace(
      /Value "[^"]*" does not exist in "([A-Za-z_][A-Za-z0-9_]*)" enum\./g,
      'The value is not one of the "$1" enum values.',
    )
    .replace(/\b(cannot represent [^:]*value): [^;]*/g, "$1.")
    .replace(/^(Expected value of type "[^"]+"), found [^;]*/, "$1, found another value.");
}
