// The two custom scalars of schema.graphql. DateTime is an ISO 8601 date-time with an explicit zone,
// normalised to UTC; JSON is any JSON value (the structured sections of a person's record).
import { GraphQLScalarType, Kind, type ValueNode, valueFromASTUntyped } from "graphql";
import { createGraphQLError } from "graphql-yoga";

// A date, a time and an explicit zone (Z or ±hh:mm): a local time without a zone is ambiguous.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(v: unknown): string {
  if (typeof v !== "string" || !ISO_DATE_TIME.test(v) || Number.isNaN(Date.parse(v))) {
    throw createGraphQLError(
      "DateTime must be an ISO 8601 date-time with a zone, e.g. 2026-11-29T10:00:00Z.",
      {
        extensions: { code: "ERR_INVALID_INPUT" },
      },
    );
  }
  return new Date(v).toISOString();
}

export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: "DateTime",
  serialize(v) {
    if (typeof v === "string") return v;
    if (v instanceof Date) return v.toISOString();
    if (typeof v === "number") return new Date(v).toISOString();
    throw createGraphQLError("DateTime cannot represent this value.");
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw createGraphQLError("DateTime must be a string.", { extensions: { code: "ERR_INVALID_INPUT" } });
    }
    return parseDateTime(ast.value);
  },
});

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: "JSON",
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral(ast: ValueNode, variables) {
    return valueFromASTUntyped(ast, variables);
  },
});

/** DateTime input → milliseconds (the scalar has already checked and normalised it). */
export function toMs(v: string): number {
  return Date.parse(v);
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
