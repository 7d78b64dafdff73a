// @refnet/protocol: the wire contract of docs/protocol.md in code. Message types and constants, problem
// codes, the schemas of claims and bodies, and sealing and opening of envelopes.
export { FORBIDDEN_HEADER_MEMBERS } from "./compact.ts";
export { KeyTypeError, ProtocolError } from "./errors.ts";
export { newConsentId, newMessageId, newReferralId } from "./ids.ts";
export {
  type OpenContext,
  type OpenResult,
  openEnvelope,
  type SignerKeyInfo,
  type VerifiedRefusal,
} from "./open.ts";
export * from "./problems.ts";
export {
  type BodyContext,
  type BodyValidation,
  bodySchemas,
  type ClaimsValidation,
  claimsSchema,
  identityDocumentSchema,
  isMessageType,
  subjectSchema,
  validateBody,
  validateClaims,
} from "./schemas.ts";
export { type RecipientKey, type Sealed, type SealOptions, type SigningKey, sealEnvelope } from "./seal.ts";
export * from "./types.ts";
