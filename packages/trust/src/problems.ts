// Stable reason codes of trust list verification (docs/protocol.md §6). A refused list names one; the
// node's trust watcher, the audit log and the tests assert on these strings.

export const TRUST_PROBLEM_CODES = {
  /** Not a trust list: bad JSON, bad JWS General JSON shape, or a payload outside the schema. */
  malformed: "e.t.malformed",
  /** A JWK in the list carries private key material (`d`): the list must never be distributed. */
  privateKey: "e.t.private-key",
  /** A JWK's `kid` member is not its RFC 7638 thumbprint (docs/protocol.md §1). */
  keys: "e.t.keys",
  /** The list belongs to another network. */
  network: "e.t.network",
  /** The version is not greater than the version in force (rollback or replay). */
  version: "e.t.version",
  /** `expiresAt` is not after now. */
  expired: "e.t.expired",
  /** Fewer than `threshold` distinct admin keys of the list in force (or of the pin) signed. */
  threshold: "e.t.threshold",
  /** Admins or threshold change, and fewer than the new threshold of the new admins signed. */
  newAdminsThreshold: "e.t.new-admins-threshold",
  /** The genesis list is not the one pinned by digest. */
  genesisDigest: "e.t.genesis-digest",
  /** A builder was asked to add a second signature by one key (it would count once anyway). */
  duplicateSigner: "e.t.duplicate-signer",
  /** The pin itself is unusable (bad digest format, bad admin key, impossible threshold). */
  pin: "e.t.pin",
} as const;

export type TrustProblemCode = (typeof TRUST_PROBLEM_CODES)[keyof typeof TRUST_PROBLEM_CODES];

/** A refusal: the code is stable, the detail names rules, members and key ids, never personal data. */
export interface TrustProblem {
  ok: false;
  code: TrustProblemCode;
  detail: string;
}

export function trustProblem(code: TrustProblemCode, detail: string): TrustProblem {
  return { ok: false, code, detail };
}

/** Thrown by the builders (signing, TrustList.create) when handed a list they must not produce or wrap. */
export class TrustListError extends Error {
  override readonly name = "TrustListError";
  constructor(
    readonly code: TrustProblemCode,
    message: string,
  ) {
    super(message);
  }
}

/** A key is not of the type docs/protocol.md §1 requires, or is private where public is expected. */
export class TrustKeyError extends Error {
  override readonly name = "TrustKeyError";
  readonly code = "ERR_TRUST_KEY_TYPE";
}
