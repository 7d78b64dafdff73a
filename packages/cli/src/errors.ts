// Errors of the `refnet` command: wrong usage (exit 2) and a refused or failed operation (exit 1), each
// with a stable code. Messages name files, flags, org ids and key ids; never key material.

export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "ERR_USAGE";
}

export type CliErrorCode =
  | "ERR_FILE"
  | "ERR_FILE_EXISTS"
  | "ERR_INPUT"
  | "ERR_PASSPHRASE"
  | "ERR_ADMIN_KEY"
  | "ERR_NOT_ADMIN"
  | "ERR_ALREADY_SIGNED"
  | "ERR_REFUSED"
  | "ERR_NATS"
  | "ERR_DATABASE";

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
  }
}
