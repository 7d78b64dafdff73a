// The sender's duty of docs/protocol.md §5.4.2: before anything is signed (our nodes: before a draft
// is even stored), every member of `subject` that the consent does not allow is dropped.
import type { Consent, Subject } from "@refnet/protocol/types";
import { allowedFields, SUBJECT_FIELDS } from "./fields.ts";

export interface Minimised {
  /** A fresh subject holding only allowed members (deep copies), with `ref` set to `consent.subjectRef`. */
  subject: Subject;
  /**
   * Names of the members that were dropped, in input order: members outside the consent and members
   * §4.3 does not define. Names only, never values; `ref` is never listed (it is replaced, not dropped).
   */
  removed: string[];
}

/**
 * Keeps only what `consent` allows. Pure: the input is neither mutated nor shared with the output, so a
 * later change to one cannot leak into the other. Members whose value is `undefined` count as absent.
 */
export function minimise(subject: Subject, consent: Consent): Minimised {
  const allowed = allowedFields(consent.scopes);
  const input = subject as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ref: consent.subjectRef };
  for (const field of SUBJECT_FIELDS) {
    if (field === "ref" || !allowed.has(field) || !Object.hasOwn(input, field)) continue;
    const value = input[field];
    if (value === undefined) continue;
    out[field] = value !== null && typeof value === "object" ? structuredClone(value) : value;
  }
  const removed: string[] = [];
  for (const key of Object.keys(input)) {
    if (key === "ref" || input[key] === undefined) continue;
    if (!allowed.has(key)) removed.push(key);
  }
  return { subject: out as unknown as Subject, removed };
}
