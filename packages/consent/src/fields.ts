// Which members of `subject` a consent allows (docs/protocol.md §5.2). This table is the one place the
// rule is written down: minimisation at the sender and the receiver's scope check both read it.
import type { Scope, Subject } from "@refnet/protocol/types";
import { SCOPES } from "@refnet/protocol/types";

export type SubjectField = keyof Subject;

/** Members that travel with any consent: the pseudonym, spoken languages and the age band. */
export const ALWAYS_FIELDS: readonly SubjectField[] = Object.freeze(["ref", "languages", "ageBand"] as const);

/** The members of `subject` each scope allows, exactly as docs/protocol.md §5.2. */
export const SCOPE_FIELDS: Readonly<Record<Scope, readonly SubjectField[]>> = Object.freeze({
  identity: Object.freeze([
    "givenName",
    "familyName",
    "dateOfBirth",
    "sex",
    "nationality",
    "documents",
  ] as const),
  contact: Object.freeze(["phone", "email", "currentLocation"] as const),
  health: Object.freeze(["health"] as const),
  protection: Object.freeze(["protection"] as const),
  legal: Object.freeze(["legal"] as const),
  family: Object.freeze(["family"] as const),
  case_notes: Object.freeze(["notes"] as const),
});

/** Every member §4.3 defines for `subject`, in a fixed order (the order minimised subjects are built in). */
export const SUBJECT_FIELDS: readonly SubjectField[] = Object.freeze([
  ...ALWAYS_FIELDS,
  ...SCOPES.flatMap((scope) => SCOPE_FIELDS[scope]),
]);

const KNOWN_SCOPES: ReadonlySet<string> = new Set(SCOPES);
const DEFINED_FIELDS: ReadonlySet<string> = new Set(SUBJECT_FIELDS);

/** True when `name` is a member §4.3 defines for `subject` (whatever the consent). */
export function isSubjectField(name: string): name is SubjectField {
  return DEFINED_FIELDS.has(name);
}

/**
 * The members of `subject` allowed under `scopes`: the always-allowed ones plus those of every granted
 * scope. A string that is not a scope of §5.2 grants nothing.
 */
export function allowedFields(scopes: readonly string[]): Set<string> {
  const out = new Set<string>(ALWAYS_FIELDS);
  for (const scope of scopes) {
    if (!KNOWN_SCOPES.has(scope)) continue;
    for (const field of SCOPE_FIELDS[scope as Scope]) out.add(field);
  }
  return out;
}
