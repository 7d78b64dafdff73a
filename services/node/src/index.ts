// @refnet/node: the deployable partner node.
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
export { KeyStore, KeyStoreError, type PublicKeyInfo } from "./keys.ts";
export { buildServer, type RunningNode, type StartOptions, startExpirySweep, startNode } from "./server.ts";
