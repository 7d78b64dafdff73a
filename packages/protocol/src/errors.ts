import type { ProblemCode } from "./problems.ts";

/**
 * A message the sender refuses to seal because the recipient would refuse it (shape, consent, size).
 * `code` is the problem code the recipient would have given; the message names rules and members,
 * never values.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProblemCode,
    message: string,
  ) {
    super(message);
  }
}

/** A key handed to seal or open is not of the type the protocol requires (docs/protocol.md §1.2). */
export class KeyTypeError extends Error {
  override readonly name = "KeyTypeError";
  readonly code = "ERR_PROTOCOL_KEY_TYPE";
}
