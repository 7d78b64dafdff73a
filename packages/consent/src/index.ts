// @refnet/consent: scopes, purposes, minimisation and enforcement (docs/protocol.md §5). The single
// source of truth of which subject fields a consent allows; @refnet/protocol's openEnvelope and sealEnvelope
// call checkConsent, and nodes call minimise before they store or send anything.
export { type ConsentCheckOptions, type ConsentCheckResult, checkConsent } from "./check.ts";
export {
  ALWAYS_FIELDS,
  allowedFields,
  isSubjectField,
  SCOPE_FIELDS,
  SUBJECT_FIELDS,
  type SubjectField,
} from "./fields.ts";
export { type Minimised, minimise } from "./minimise.ts";
export { type ConsentInput, consentOverrideSchema, consentSchema } from "./schema.ts";
