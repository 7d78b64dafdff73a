// Resolvers of the audit trail (docs/audit.md): the auditor's queries, and the `read` entry every
// Referral.subject resolution writes before it returns a person's fields.
import type { GraphQLResolveInfo } from "graphql";
import type { toAuditEntry } from "../audit/audit-log.ts";
import { loadAuditKeys } from "../audit/keys.ts";
import { listAuditLog } from "../audit/queries.ts";
import { recordSubjectRead, selectedFieldNames } from "../audit/reads.ts";
import { type AuditVerification, verifyAuditTrail } from "../audit/verify.ts";
import { requireRole } from "../auth.ts";
import type { ReferralRecord } from "../domain/types.ts";
import type { GraphQLContext } from "./context.ts";
import { auditKindEnum, auditProblemEnum } from "./enums.ts";
import type {
  AuditEntry as GqlAuditEntry,
  AuditVerification as GqlAuditVerification,
  QueryAuditLogArgs,
} from "./generated/resolvers.ts";
import { toIso, toMs } from "./scalars.ts";

type AuditEntryRecord = ReturnType<typeof toAuditEntry>;

/** Entries as GraphQL returns them, with the usernames of staff actors (one query per page). */
async function toGqlEntries(ctx: GraphQLContext, entries: AuditEntryRecord[]): Promise<GqlAuditEntry[]> {
  const staffIds = [...new Set(entries.flatMap((e) => (e.actor.type === "staff" ? [e.actor.id] : [])))];
  const usernames = new Map<string, string>();
  if (staffIds.length > 0) {
    const rows = await ctx.app.db
      .selectFrom("staff")
      .select(["id", "username"])
      .where("id", "in", staffIds)
      .execute();
    for (const r of rows) usernames.set(r.id, r.username);
  }
  return entries.map((e) => ({
    seq: e.seq,
    at: toIso(e.at),
    kind: auditKindEnum.toGql(e.kind),
    actor:
      e.actor.type === "staff"
        ? { type: "STAFF", id: e.actor.id, username: usernames.get(e.actor.id) ?? null }
        : e.actor.type === "partner"
          ? { type: "PARTNER", id: e.actor.orgId, username: null }
          : { type: "SYSTEM", id: null, username: null },
    subjectRef: e.subjectRef,
    consentId: e.consentId,
    referralId: e.referralId,
    partnerOrgId: e.partnerOrgId,
    detail: e.detail,
    prevHash: e.prevHash,
    hash: e.hash,
  }));
}

export async function auditLogQuery(ctx: GraphQLContext, args: QueryAuditLogArgs) {
  requireRole(ctx.staff, "auditor");
  const f = args.filter;
  const page = await listAuditLog(
    ctx.app.db,
    {
      kind: f?.kind ? auditKindEnum.toWire(f.kind) : null,
      subjectRef: f?.subjectRef ?? null,
      referralId: f?.referralId ?? null,
      since: f?.since ? toMs(f.since) : null,
      until: f?.until ? toMs(f.until) : null,
    },
    { first: args.first, after: args.after },
  );
  const nodes = await toGqlEntries(
    ctx,
    page.items.map((i) => i.node),
  );
  return {
    edges: page.items.map((item, i) => ({ cursor: item.cursor, node: nodes[i]! })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}

/** The node's own verification of its trail: keys from its key store and its stored trust list. */
export async function auditVerificationQuery(ctx: GraphQLContext): Promise<GqlAuditVerification> {
  requireRole(ctx.staff, "auditor");
  const { app } = ctx;
  const keys = await loadAuditKeys({ orgId: app.orgId, keyStore: app.keys, db: app.db });
  return toGqlVerification(await verifyAuditTrail(app.db, { network: app.network, orgId: app.orgId, keys }));
}

export function toGqlVerification(v: AuditVerification): GqlAuditVerification {
  const problems = v.problems.map((p) => ({
    seq: p.seq,
    kind: auditProblemEnum.toGql(p.kind),
    detail: p.detail,
  }));
  const c = v.latestCheckpoint;
  return {
    ok: v.ok,
    entries: v.entries,
    checkpoints: v.checkpoints,
    checkpointsVerified: v.checkpointsVerified,
    headSeq: v.head?.seq ?? 0,
    headHash: v.head?.hash ?? null,
    latestCheckpoint: c
      ? { seq: c.seq, hash: c.hash, at: toIso(c.at), kid: c.kid, keySource: c.source, jws: c.jws }
      : null,
    firstProblem: problems[0] ?? null,
    problems,
    problemCount: v.problemCount,
    keySources: v.keySources,
    notes: v.notes,
  };
}

/**
 * Writes the `read` entry for a person's fields about to be returned (Referral.subject): which staff
 * member, which referral and person, which fields were selected and which of them hold a value.
 * Resolves once the entry is committed; when it cannot be, the fields are not returned.
 */
export async function auditSubjectRead(
  r: ReferralRecord,
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
): Promise<void> {
  const selected = selectedFieldNames(info);
  const subject = r.subject as unknown as Record<string, unknown>;
  const returned = selected.filter((name) => {
    const v = subject[name];
    return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
  });
  await recordRead(r, ctx, selected, returned);
}

/**
 * Records that free text written about the person left through GraphQL: the referral's summary or
 * arrangements, or the notes of its timeline (`field` names which, e.g. `referral.summary`). One entry
 * per referral and field per request; written before the text is returned, like a subject read.
 */
export async function auditFreeTextRead(
  r: ReferralRecord,
  ctx: GraphQLContext,
  field: "referral.summary" | "referral.arrangements" | "timeline.note",
  hasValue: boolean,
): Promise<void> {
  await recordRead(r, ctx, [field], hasValue ? [field] : []);
}

function recordRead(
  r: ReferralRecord,
  ctx: GraphQLContext,
  selected: readonly string[],
  returned: readonly string[],
): Promise<void> {
  return recordSubjectRead(ctx.app.audit, ctx, {
    staff: ctx.staff,
    referralId: r.id,
    subjectRef: r.subject.ref,
    consentId: r.consent.id,
    partnerOrgId: r.direction === "outgoing" ? r.destinationOrgId : r.originOrgId,
    selected,
    returned,
  });
}
