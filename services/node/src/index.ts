// @refnet/node: the deployable partner node.

export {
  AUDIT_KINDS,
  AUDIT_PROBLEM_KINDS,
  type AuditActor,
  type AuditEntry,
  type AuditEntryInput,
  type AuditKind,
  AuditLog,
  type AuditProblem,
  type AuditTrail,
  type AuditVerification,
  loadAuditKeys,
  openKeyFileForAudit,
  partnerActor,
  SYSTEM_ACTOR,
  staffActor,
  verifyAuditTrail,
} from "./audit/index.ts";
export {
  authenticate,
  createStaff,
  disableStaff,
  hasRole,
  listStaff,
  ROLES,
  type Role,
  requireRole,
  type Staff,
} from "./auth.ts";
export { type Config, type DatabaseConfig, loadConfig } from "./config.ts";
export {
  AppContext,
  type ContextOverrides,
  type FederationControl,
  type GraphQLContext,
  randomIds,
  systemClock,
} from "./context.ts";
export { type DialectName, migrateToLatest, type OpenDatabase, openDatabase } from "./db/index.ts";
export type { Database } from "./db/schema.ts";
export { applyInbound, type InboundResult } from "./domain/inbound.ts";
export type { ReferralFilter } from "./domain/queries.ts";
export {
  acceptReferral,
  type DraftReferralInput,
  declineReferral,
  draftReferral,
  expireOverdue,
  reportProgress,
  sendReferral,
  withdrawReferral,
} from "./domain/referrals.ts";
export type {
  Clock,
  DomainContext,
  IdGenerator,
  ReferralEventRecord,
  ReferralRecord,
} from "./domain/types.ts";
export { AppError, ConfigError, ERROR_CODES, type ErrorCode } from "./errors.ts";
export { ensureBuckets, ensureInboxStream } from "./federation/nats-setup.ts";
export { readStoredTrustList } from "./federation/trust-store.ts";
export {
  createKekFile,
  defaultKekFile,
  type KekSource,
  KeyEncryptionKey,
  loadKekFile,
  openOrCreateKek,
  resolveKek,
} from "./kek.ts";
export { type KekRotationOptions, type KekRotationOutcome, rotateKek } from "./kek-rotation.ts";
export {
  type KeyRotationOptions,
  type KeyRotationOutcome,
  openNodeKeyStore,
  requestKeyRotation,
} from "./key-rotation.ts";
export {
  encryptClearKeyFile,
  type KeyFile,
  type KeyRotationRecord,
  KeyStore,
  KeyStoreError,
  type PublicKeyInfo,
  type StoredKey,
  type StoredKeyInfo,
  writeKeyFile,
} from "./keys.ts";
export {
  applyAssessment,
  assessOwnKeys,
  DECRYPTION_GRACE_SECONDS,
  keyInfoOf,
  type OwnKeyAssessment,
  type OwnKeyState,
  OwnKeys,
  type OwnKeyView,
  signingKidInForce,
} from "./own-keys.ts";
export { DataIntegrityError, type Person, PersonVault, VaultError } from "./person-vault.ts";
export { RETENTION_INTERVAL_MS, type RetentionSweep, startRetentionSweep } from "./retention-job.ts";
export { buildServer, type RunningNode, type StartOptions, startExpirySweep, startNode } from "./server.ts";
