// `read` entries: which staff member had which of a person's fields returned through GraphQL
// (docs/audit.md). The Referral.subject resolver calls recordSubjectRead after the referral was fetched
// and before the fields are returned: when the entry cannot be written, the data is not returned.
//
// The subjects of one request (a page of referrals, aliases) are written together, in one transaction
// of their own (a read is not a write action), one entry per referral and selection.
import {
  type FieldNode,
  GraphQLIncludeDirective,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  getDirectiveValues,
  Kind,
  type SelectionSetNode,
} from "graphql";
import type { AuditTrail } from "./audit-log.ts";
import { type AuditEntryInput, staffActor } from "./entry.ts";

/**
 * The names of the fields the operation selects under the current field (the Subject's fields),
 * through fragments, with @skip and @include applied; sorted, `__typename` left out.
 */
export function selectedFieldNames(info: GraphQLResolveInfo): string[] {
  const names = new Set<string>();
  const visitedFragments = new Set<string>();
  const included = (node: { directives?: readonly unknown[] }): boolean => {
    const n = node as FieldNode;
    if (!n.directives || n.directives.length === 0) return true;
    const skip = getDirectiveValues(GraphQLSkipDirective, n, info.variableValues);
    if (skip?.if === true) return false;
    const include = getDirectiveValues(GraphQLIncludeDirective, n, info.variableValues);
    return include?.if !== false;
  };
  const walk = (set: SelectionSetNode | undefined) => {
    if (!set) return;
    for (const sel of set.selections) {
      if (!included(sel)) continue;
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value !== "__typename") names.add(sel.name.value);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet);
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        if (visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        walk(info.fragments[name]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return [...names].sort();
}

interface Pending {
  entry: AuditEntryInput;
  resolve(): void;
  reject(err: unknown): void;
}

interface RequestReads {
  pending: Pending[];
  scheduled: boolean;
  /** referral id + selection → the write that covers it, so a repeat in one request is not written twice. */
  written: Map<string, Promise<void>>;
}

/** Per GraphQL request (its context object): the reads not yet written. */
const requests = new WeakMap<object, RequestReads>();

export interface SubjectRead {
  staff: { id: string };
  referralId: string;
  subjectRef: string;
  consentId: string;
  partnerOrgId: string;
  /** Subject field names the operation selected. */
  selected: readonly string[];
  /** Of those, the ones that hold a value for this person (what was actually returned). */
  returned: readonly string[];
}

/**
 * Records that `read.selected` fields of a person's record were returned to a staff member; resolves
 * once the entry is committed. Entries of one request are batched into one transaction.
 */
export function recordSubjectRead(audit: AuditTrail, request: object, read: SubjectRead): Promise<void> {
  let state = requests.get(request);
  if (!state) {
    state = { pending: [], scheduled: false, written: new Map() };
    requests.set(request, state);
  }
  const key = `${read.referralId}\u0000${read.selected.join(",")}`;
  const existing = state.written.get(key);
  if (existing) return existing;
  const entry: AuditEntryInput = {
    kind: "read",
    actor: staffActor(read.staff),
    subjectRef: read.subjectRef,
    consentId: read.consentId,
    referralId: read.referralId,
    partnerOrgId: read.partnerOrgId,
    detail: { fields: [...read.selected], returned: [...read.returned] },
  };
  const s = state;
  const done = new Promise<void>((resolve, reject) => {
    s.pending.push({ entry, resolve, reject });
  });
  s.written.set(key, done);
  if (!s.scheduled) {
    s.scheduled = true;
    // After the current turn: every subject of a list is resolved in the same turn, so they share
    // one transaction.
    setImmediate(() => {
      const batch = s.pending.splice(0);
      s.scheduled = false;
      audit.record(batch.map((p) => p.entry)).then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      );
    });
  }
  return done;
}
