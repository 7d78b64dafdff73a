// @refnet/trust: the trust list of docs/protocol.md §6. Its format, k-of-n signing by the network
// admins, acceptance of a new version over the one in force, the genesis pin, and the lookups a node
// makes on every message (who owns a signing key, which key to encrypt to).

export {
  buildGenesisTrustList,
  buildNextTrustList,
  type NewPartnerInput,
  type PartnerKeyInput,
  TrustChangeError,
  type TrustChangeErrorCode,
  type TrustListChange,
} from "./changes.ts";
export { describeTrustListChange } from "./diff.ts";
export { canonicalTrustListJson, trustListDigest } from "./digest.ts";
export {
  createTestNetworkTrust,
  type TestNetworkTrust,
  type TestNetworkTrustOptions,
  type TestOrg,
} from "./fixtures.ts";
export {
  assertEncryptionJwk,
  assertSigningJwk,
  ENCRYPTION_ALG,
  ENCRYPTION_ENC,
  formatFingerprint,
  generateEncryptionKeyPair,
  generateOrgKeys,
  generateSigningKeyPair,
  type KeyKind,
  type KeyPairJwk,
  keyValidAt,
  publicJwkOf,
  SIGNING_ALG,
  thumbprint,
} from "./keys.ts";
export {
  generateLeafNodeConfig,
  generateNatsConfig,
  type LeafNodeConfigOptions,
  NATS_CONFIG_ERROR_CODES,
  NatsConfigError,
  type NatsConfigErrorCode,
  type NatsConfigOptions,
  type NatsCredential,
  type NatsPermissions,
  natsInboxPrefix,
  natsPermissionsFor,
} from "./nats-config.ts";
export {
  TRUST_PROBLEM_CODES,
  TrustKeyError,
  TrustListError,
  type TrustProblem,
  type TrustProblemCode,
} from "./problems.ts";
export {
  createTrustListProposal,
  mergeTrustListProposals,
  type ProposalParseResult,
  parseTrustListProposal,
  signTrustListProposal,
  trustPayloadDigest,
} from "./proposal.ts";
export {
  createKeyRotationRequest,
  KEY_ROTATION_PROBLEM_CODES,
  KEY_ROTATION_TYP,
  KeyRotationError,
  type KeyRotationKey,
  type KeyRotationProblemCode,
  type KeyRotationRequest,
  type KeyRotationResult,
  MAX_ROTATION_OVERLAP_SECONDS,
  MAX_ROTATION_REQUEST_AGE_SECONDS,
  verifyKeyRotationRequest,
} from "./rotation.ts";
export {
  MAX_ADMINS,
  MAX_KEYS_PER_PARTNER,
  MAX_PARTNERS,
  MAX_SIGNATURES,
  MAX_TRUST_LIST_BYTES,
  type ParseResult,
  parseTrustList,
  TRUST_JWS_TYP,
} from "./schema.ts";
export { coSignTrustList, signTrustList } from "./sign.ts";
export {
  type KeyFingerprint,
  type PartnerKeyInfo,
  type SignerKeyInfo,
  TrustList,
} from "./trust-list.ts";
export * from "./types.ts";
export {
  type AcceptResult,
  acceptTrustList,
  countValidSignatures,
  type GenesisPin,
  restoreTrustList,
  type SignatureCount,
  verifyGenesis,
} from "./verify.ts";
