// The node's audit trail (docs/audit.md): what other code needs of it, in one place.
export {
  AuditLog,
  type AuditLogDeps,
  type AuditTrail,
  type CheckpointPolicy,
  type CheckpointRecord,
  DEFAULT_CHECKPOINT_POLICY,
} from "./audit-log.ts";
export { CHECKPOINT_TYP, type CheckpointPayload, signCheckpoint, verifyCheckpoint } from "./checkpoint.ts";
export { carriesPersonalData, disclosureEntry } from "./disclosure.ts";
export {
  AUDIT_KINDS,
  type AuditActor,
  type AuditDetail,
  AuditDetailError,
  type AuditEntry,
  type AuditEntryInput,
  type AuditKind,
  canonicalEncoding,
  entryHash,
  GENESIS_HASH,
  partnerActor,
  SYSTEM_ACTOR,
  staffActor,
} from "./entry.ts";
export { type AuditKeys, loadAuditKeys, openKeyFileForAudit } from "./keys.ts";
export { type AuditFilter, listAuditLog } from "./queries.ts";
export {
  AUDIT_PROBLEM_KINDS,
  type AuditProblem,
  type AuditProblemKind,
  type AuditVerification,
  type VerifyOptions,
  verifyAuditTrail,
} from "./verify.ts";
