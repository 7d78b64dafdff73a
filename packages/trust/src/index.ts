// @refnet/trust: the trust list of docs/protocol.md §6. Its format, k-of-n signing by the network
// admins, acceptance of a new version over the one in force, the genesis pin, and the lookups a node
// makes on every message (who owns a signing key, which key to encrypt to).

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
  TRUST_PROBLEM_CODES,
  TrustKeyError,
  TrustListError,
  type TrustProblem,
  type TrustProblemCode,
} from "./problems.ts";
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
