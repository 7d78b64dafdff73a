// The node's errors: one class with a stable `code`, mapped in one place (graphql/errors.ts) to a
// GraphQL `extensions.code`, and here to a protocol problem code where one applies. Messages are read
// by staff and may be logged: they never carry a person's data, a token or a key.
import { PROBLEM_CODES, type ProblemCode } from "@refnet/protocol/problems";

export const ERROR_CODES = [
  "ERR_CONFIG",
  "ERR_UNAUTHENTICATED",
  "ERR_FORBIDDEN",
  "ERR_NOT_FOUND",
  "ERR_INVALID_INPUT",
  "ERR_INVALID_STATE",
  "ERR_CONSENT_OUT_OF_SCOPE",
  "ERR_CONSENT_RECIPIENT",
  "ERR_CONSENT_PURPOSE",
  "ERR_CONSENT_EXPIRED",
  "ERR_CONSENT_REVOKED",
  "ERR_OVERRIDE_NOT_APPROVED",
  "ERR_PARTNER_UNAVAILABLE",
  "ERR_SELF_INACTIVE",
  "ERR_TRUST_EXPIRED",
  "ERR_RATE",
  "ERR_KEYS",
  "ERR_VAULT",
  "ERR_DATA_INTEGRITY",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  override readonly name: string = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends AppError {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    /** The REFNET_* variables at fault. */
    readonly variables: string[],
  ) {
    super("ERR_CONFIG", message);
  }
}

export class NotFoundError extends AppError {
  override readonly name = "NotFoundError";
  constructor(message: string) {
    super("ERR_NOT_FOUND", message);
  }
}

export class InvalidInputError extends AppError {
  override readonly name = "InvalidInputError";
  constructor(message: string) {
    super("ERR_INVALID_INPUT", message);
  }
}

export class InvalidStateError extends AppError {
  override readonly name = "InvalidStateError";
  constructor(message: string) {
    super("ERR_INVALID_STATE", message);
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The problem code a partner would read for the same failure (docs/protocol.md §2, §5.4). */
export function problemCodeFor(code: ErrorCode): ProblemCode | undefined {
  switch (code) {
    case "ERR_CONSENT_OUT_OF_SCOPE":
      return PROBLEM_CODES.consentOutOfScope;
    case "ERR_CONSENT_RECIPIENT":
      return PROBLEM_CODES.consentRecipient;
    case "ERR_CONSENT_PURPOSE":
      return PROBLEM_CODES.consentPurpose;
    case "ERR_CONSENT_EXPIRED":
      return PROBLEM_CODES.consentExpired;
    case "ERR_CONSENT_REVOKED":
      return PROBLEM_CODES.consentRevoked;
    case "ERR_INVALID_STATE":
      return PROBLEM_CODES.stateConflict;
    case "ERR_NOT_FOUND":
      return PROBLEM_CODES.unknownReferral;
    case "ERR_TRUST_EXPIRED":
      return PROBLEM_CODES.trustListExpired;
    default:
      return undefined;
  }
}
