// Resolvers of schema.graphql, typed by the generated `Resolvers`. They translate between GraphQL
// (UPPER_CASE enums, ISO date-times) and the domain (wire values, milliseconds) and hold no rules of
// their own: those live in domain/ and auth.ts.
import type { Consent, Subject as WireSubject } from "@refnet/protocol";
import { formatFingerprint, keyValidAt, type TrustList, type TrustListPartner } from "@refnet/trust";
import { selectedFieldNames } from "../audit/reads.ts";
import { requireRole, type Staff as StaffRecord } from "../auth.ts";
import { consentTimeMs } from "../domain/consent-time.ts";
import { listQuarantine, listReferrals, listTrustRefusals, type Page } from "../domain/queries.ts";
import {
  acceptReferral,
  declineReferral,
  disclosedFields,
  draftReferral,
  reportProgress,
  sendReferral,
  withdrawReferral,
} from "../domain/referrals.ts";
import { findReferral, timelineOf } from "../domain/store.ts";
import type { ReferralEventRecord } from "../domain/types.ts";
import { AppError } from "../errors.ts";
import { readiness } from "../health.ts";
import {
  auditFreeTextRead,
  auditLogQuery,
  auditSubjectRead,
  auditVerificationQuery,
} from "./audit-resolvers.ts";
import {
  ageBandEnum,
  consentGiverEnum,
  declineReasonEnum,
  directionEnum,
  methodEnum,
  outcomeEnum,
  ownKeyStateEnum,
  partnerRoleEnum,
  partnerStatusEnum,
  progressEnum,
  roleEnum,
  scopeEnum,
  serviceEnum,
  statusEnum,
  urgencyEnum,
} from "./enums.ts";
import type {
  Consent as GqlConsent,
  Partner as GqlPartner,
  ReferralEvent as GqlReferralEvent,
  Staff as GqlStaff,
  Subject as GqlSubject,
  TrustListInfo as GqlTrustListInfo,
  Resolvers,
  SubjectInput,
} from "./generated/resolvers.ts";
import { DateTimeScalar, JSONScalar, toIso, toMs } from "./scalars.ts";

function toGqlStaff(s: StaffRecord): GqlStaff {
  return { id: s.id, username: s.username, displayName: s.displayName, role: roleEnum.toGql(s.role) };
}

/** RFC 7638 thumbprints (kids) of the partner's keys valid now, as schema.graphql promises. */
function keysInForce(list: TrustList, orgId: string, nowMs: number): string[] {
  const t = Math.floor(nowMs / 1000);
  return list
    .fingerprints(orgId)
    .filter((k) => keyValidAt(k, t))
    .map((k) => k.kid);
}

function toGqlPartner(p: TrustListPartner, fingerprints: string[]): GqlPartner {
  return {
    orgId: p.orgId,
    name: p.name,
    country: p.country,
    roles: p.roles.map((r) => partnerRoleEnum.toGql(r)),
    status: partnerStatusEnum.toGql(p.status),
    keyFingerprints: fingerprints,
  };
}

/** The whole list in force, every partner whatever its status and every key (admins only). */
function toGqlTrustList(list: TrustList, nowMs: number): GqlTrustListInfo {
  const nowS = Math.floor(nowMs / 1000);
  return {
    version: list.version,
    network: list.network,
    issuedAt: toIso(list.issuedAt * 1000),
    expiresAt: toIso(list.expiresAt * 1000),
    expired: list.isExpired(nowS),
    threshold: list.threshold,
    digest: list.digest,
    admins: list.admins().map((a) => ({ id: a.id, kid: a.kid, fingerprint: formatFingerprint(a.kid) })),
    partners: list.partners().map((p) => ({
      orgId: p.orgId,
      name: p.name,
      country: p.country,
      roles: p.roles.map((r) => partnerRoleEnum.toGql(r)),
      status: partnerStatusEnum.toGql(p.status),
      keys: list.fingerprints(p.orgId).map((k) => ({
        use: k.use === "sig" ? ("SIG" as const) : ("ENC" as const),
        kid: k.kid,
        fingerprint: k.fingerprint,
        notBefore: toIso(k.notBefore * 1000),
        notAfter: k.notAfter === undefined ? null : toIso(k.notAfter * 1000),
        validNow: keyValidAt(k, nowS),
      })),
    })),
  };
}

function toGqlEvent(e: ReferralEventRecord): GqlReferralEvent {
  return {
    id: e.id,
    referralId: e.referralId,
    kind: e.kind,
    status: statusEnum.toGql(e.status),
    actorOrgId: e.actorOrgId,
    actorStaff: e.actorStaff,
    note: e.note,
    at: toIso(e.at),
  };
}

function toGqlSubject(s: WireSubject): GqlSubject {
  return {
    ref: s.ref,
    languages: s.languages ?? [],
    ageBand: s.ageBand !== undefined ? ageBandEnum.toGql(s.ageBand) : null,
    givenName: s.givenName ?? null,
    familyName: s.familyName ?? null,
    dateOfBirth: s.dateOfBirth ?? null,
    sex: s.sex ?? null,
    nationality: s.nationality ?? null,
    documents:
      s.documents?.map((d) => ({
        type: d.type,
        number: d.number ?? null,
        issuingCountry: d.issuingCountry ?? null,
        expiresOn: d.expiresOn ?? null,
      })) ?? null,
    phone: s.phone ?? null,
    email: s.email ?? null,
    currentLocation: s.currentLocation ?? null,
    health: s.health ?? null,
    protection: s.protection ?? null,
    legal: s.legal ?? null,
    family: s.family ?? null,
    notes: s.notes ?? null,
  };
}

export function toGqlConsent(c: Consent): GqlConsent {
  return {
    id: c.id,
    subjectRef: c.subjectRef,
    scopes: c.scopes.map((s) => scopeEnum.toGql(s)),
    purposes: c.purposes.map((p) => serviceEnum.toGql(p)),
    recipients: c.recipients,
    grantedAt: toIso(consentTimeMs(c.grantedAt)),
    expiresAt: toIso(consentTimeMs(c.expiresAt)),
    method: methodEnum.toGql(c.method),
    language: c.language,
    textVersion: c.textVersion,
    override: c.override ?? null,
    isOverride: c.override !== undefined,
  };
}

/** GraphQL input → the domain's subject input (null fields become absent). */
function fromSubjectInput(s: SubjectInput) {
  return {
    ref: s.ref ?? null,
    languages: s.languages ?? undefined,
    ageBand: s.ageBand ? ageBandEnum.toWire(s.ageBand) : undefined,
    givenName: s.givenName ?? undefined,
    familyName: s.familyName ?? undefined,
    dateOfBirth: s.dateOfBirth ?? undefined,
    sex: s.sex ?? undefined,
    nationality: s.nationality ?? undefined,
    documents: s.documents?.map((d) => ({
      type: d.type,
      number: d.number ?? undefined,
      issuingCountry: d.issuingCountry ?? undefined,
      expiresOn: d.expiresOn ?? undefined,
    })),
    phone: s.phone ?? undefined,
    email: s.email ?? undefined,
    currentLocation: s.currentLocation ?? undefined,
    health: (s.health ?? undefined) as Record<string, unknown> | undefined,
    protection: (s.protection ?? undefined) as Record<string, unknown> | undefined,
    legal: (s.legal ?? undefined) as Record<string, unknown> | undefined,
    family: (s.family ?? undefined) as Record<string, unknown> | undefined,
    notes: s.notes ?? undefined,
  };
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,

  Query: {
    me: (_p, _a, { staff }) => toGqlStaff(staff),

    organization: (_p, _a, { app }) => {
      const list = app.trust.current();
      const self = list.partner(app.orgId);
      if (!self) throw new AppError("ERR_NOT_FOUND", "This organization is not in the trust list in force.");
      return {
        orgId: self.orgId,
        name: self.name,
        country: self.country,
        roles: self.roles.map((r) => partnerRoleEnum.toGql(r)),
        network: list.network,
      };
    },

    partners: (_p, { role, country, includeInactive }, { app }) => {
      const list = app.trust.current();
      const wantRole = role ? partnerRoleEnum.toWire(role) : undefined;
      const wantCountry = country?.toUpperCase();
      return list
        .partners()
        .filter((p) => p.orgId !== app.orgId)
        .filter((p) => includeInactive || p.status === "active")
        .filter((p) => !wantRole || p.roles.includes(wantRole))
        .filter((p) => !wantCountry || p.country.toUpperCase() === wantCountry)
        .map((p) => toGqlPartner(p, keysInForce(list, p.orgId, app.clock.now())));
    },

    referrals: async (_p, { filter, first, after }, { app, staff }) => {
      // Every role but the auditor's reads referrals; an auditor reads the trail, not people's records.
      requireRole(staff, "caseworker");
      const page = await listReferrals(
        app.db,
        app.vault,
        {
          direction: filter?.direction ? directionEnum.toWire(filter.direction) : null,
          status: filter?.status?.map((s) => statusEnum.toWire(s)) ?? null,
          partnerOrgId: filter?.partnerOrgId ?? null,
          urgency: filter?.urgency ? urgencyEnum.toWire(filter.urgency) : null,
          service: filter?.service ? serviceEnum.toWire(filter.service) : null,
        },
        { first, after },
      );
      return connection(page, (node) => node);
    },

    referral: async (_p, { id }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return (await findReferral(app.db, app.vault, id)) ?? null;
    },

    quarantine: async (_p, { first, after }, { app, staff }) => {
      requireRole(staff, "admin");
      const page = await listQuarantine(app.db, { first, after });
      return connection(page, (node) => ({ ...node, receivedAt: toIso(node.receivedAt) }));
    },

    trustList: (_p, _a, { app, staff }) => {
      requireRole(staff, "admin");
      return toGqlTrustList(app.trust.current(), app.clock.now());
    },

    ownKeys: async (_p, _a, { app, staff }) => {
      requireRole(staff, "admin");
      return (await app.ownKeys.views()).map((k) => ({
        use: k.use === "sig" ? ("SIG" as const) : ("ENC" as const),
        kid: k.kid,
        fingerprint: k.fingerprint,
        state: ownKeyStateEnum.toGql(k.state),
        createdAt: toIso(k.createdAt),
        listed: k.listed,
        notBefore: k.notBefore === undefined ? null : toIso(k.notBefore * 1000),
        notAfter: k.notAfter === undefined ? null : toIso(k.notAfter * 1000),
        keptUntil: k.keptUntil === undefined ? null : toIso(k.keptUntil * 1000),
        retiredAt: k.retiredAt === undefined ? null : toIso(k.retiredAt),
      }));
    },

    pendingKeyRotations: async (_p, _a, { app, staff }) => {
      requireRole(staff, "admin");
      const r = await app.ownKeys.pendingRotation();
      return r
        ? [
            {
              requestedAt: toIso(r.requestedAt),
              signingKid: r.sigKid,
              encryptionKid: r.encKid,
              signedWith: r.signedWith,
              overlapSeconds: r.overlapSeconds,
              request: r.request,
            },
          ]
        : [];
    },

    trustRefusals: async (_p, { first, after }, { app, staff }) => {
      requireRole(staff, "admin");
      const page = await listTrustRefusals(app.db, { first, after });
      return connection(page, (node) => ({ ...node, receivedAt: toIso(node.receivedAt) }));
    },

    auditLog: (_p, args, ctx) => auditLogQuery(ctx, args),

    auditVerification: (_p, _a, ctx) => auditVerificationQuery(ctx),

    health: async (_p, _a, { app }) => {
      const r = await readiness(app);
      return {
        ready: r.ready,
        database: r.database,
        nats: r.nats,
        trust: {
          version: r.trust.version,
          expiresAt: toIso(r.trust.expiresAt),
          expired: r.trust.expired,
          lastRefusal: r.trust.lastRefusal && {
            code: r.trust.lastRefusal.code,
            version: r.trust.lastRefusal.version,
            at: toIso(r.trust.lastRefusal.at),
          },
        },
        outboxPending: r.outboxPending,
        quarantined: r.quarantined,
      };
    },
  },

  Mutation: {
    draftReferral: (_p, { input }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return draftReferral(app, staff, {
        destinationOrgId: input.destinationOrgId,
        urgency: urgencyEnum.toWire(input.urgency),
        services: input.services.map((s) => serviceEnum.toWire(s)),
        summary: input.summary ?? null,
        proposedArrival: input.proposedArrival ?? null,
        respondBy: input.respondBy ? toMs(input.respondBy) : null,
        subject: fromSubjectInput(input.subject),
        consentId: input.consentId ?? null,
        consent: input.consent
          ? {
              scopes: input.consent.scopes.map((s) => scopeEnum.toWire(s)),
              purposes: input.consent.purposes.map((p) => serviceEnum.toWire(p)),
              recipients: input.consent.recipients,
              grantedAt: input.consent.grantedAt ? toMs(input.consent.grantedAt) : null,
              expiresAt: toMs(input.consent.expiresAt),
              method: methodEnum.toWire(input.consent.method),
              language: input.consent.language,
              textVersion: input.consent.textVersion,
              givenBy: input.consent.givenBy ? consentGiverEnum.toWire(input.consent.givenBy) : null,
            }
          : null,
      });
    },
    sendReferral: (_p, { id }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return sendReferral(app, staff, id);
    },
    acceptReferral: (_p, { id, note, arrangements }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return acceptReferral(app, staff, id, { note, arrangements });
    },
    declineReferral: (_p, { id, reason, note }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return declineReferral(app, staff, id, { reason: declineReasonEnum.toWire(reason), note });
    },
    withdrawReferral: (_p, { id, reason, note }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return withdrawReferral(app, staff, id, { reason, note });
    },
    reportProgress: (_p, { id, status, outcome, note }, { app, staff }) => {
      requireRole(staff, "caseworker");
      return reportProgress(app, staff, id, {
        status: progressEnum.toWire(status),
        outcome: outcome ? outcomeEnum.toWire(outcome) : null,
        note,
      });
    },
  },

  Subscription: {
    referralEvents: {
      subscribe: (_p, { referralId }, { app, staff }) => {
        requireRole(staff, "caseworker");
        return app.events.subscribe(referralId);
      },
      resolve: (e: ReferralEventRecord) => toGqlEvent(e),
    },
  },

  Referral: {
    direction: (r) => directionEnum.toGql(r.direction),
    status: (r) => statusEnum.toGql(r.status),
    partner: (r, _a, { app }) => {
      const other = r.direction === "outgoing" ? r.destinationOrgId : r.originOrgId;
      const list = app.trust.current();
      const p = list.partner(other);
      return p ? toGqlPartner(p, keysInForce(list, p.orgId, app.clock.now())) : null;
    },
    urgency: (r) => urgencyEnum.toGql(r.urgency),
    services: (r) => r.services.map((s) => serviceEnum.toGql(s)),
    respondBy: (r) => (r.respondBy === null ? null : toIso(r.respondBy)),
    subject: async (r, _a, ctx, info) => {
      // Recorded before the fields are returned (docs/audit.md): no entry, no data.
      await auditSubjectRead(r, ctx, info);
      return toGqlSubject(r.subject);
    },
    consent: (r) => toGqlConsent(r.consent),
    disclosedFields: (r) => disclosedFields(r.subject),
    declineReason: (r) => (r.declineReason === null ? null : declineReasonEnum.toGql(r.declineReason)),
    outcome: (r) => (r.outcome === null ? null : outcomeEnum.toGql(r.outcome)),
    createdAt: (r) => toIso(r.createdAt),
    updatedAt: (r) => toIso(r.updatedAt),
    // Free text about the person is recorded as read too, before it is returned (docs/audit.md).
    summary: async (r, _a, ctx) => {
      await auditFreeTextRead(r, ctx, "referral.summary", r.summary !== null);
      return r.summary;
    },
    arrangements: async (r, _a, ctx) => {
      await auditFreeTextRead(r, ctx, "referral.arrangements", r.arrangements !== null);
      return r.arrangements;
    },
    timeline: async (r, _a, ctx, info) => {
      const events = await timelineOf(ctx.app.db, ctx.app.vault, r.id);
      if (selectedFieldNames(info).includes("note")) {
        await auditFreeTextRead(
          r,
          ctx,
          "timeline.note",
          events.some((e) => e.note !== null),
        );
      }
      return events.map(toGqlEvent);
    },
  },
};

/** A Relay-style connection from one page of a domain list. */
function connection<T, N>(page: Page<T>, toNode: (node: T) => N) {
  return {
    edges: page.items.map(({ cursor, node }) => ({ cursor, node: toNode(node) })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}
