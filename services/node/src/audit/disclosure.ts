// `disclosure` entries: a message carrying a person's data was sealed to a partner. Built from the
// claims as sealed into the outbox, so the entry names exactly the fields that leave, the consent they
// leave under and the message that carries them (docs/protocol.md §5.4.1: only `referral.offer`
// carries data about a person, and always with its consent).
import type { MessageClaims, ReferralOfferBody } from "@refnet/protocol";
import { type AuditActor, type AuditEntryInput, staffActor } from "./entry.ts";

/** Whether a sealed message carries a person's data (and so must be recorded as a disclosure). */
export function carriesPersonalData(claims: MessageClaims): boolean {
  return claims.type === "referral.offer" || claims.consent !== undefined;
}

/** The entry for a message that carries a person's data; `actor` is who made it leave. */
export function disclosureEntry(actor: AuditActor | { id: string }, claims: MessageClaims): AuditEntryInput {
  const subject = claims.type === "referral.offer" ? (claims.body as ReferralOfferBody).subject : undefined;
  const fields = subject
    ? Object.entries(subject)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k]) => k)
        .sort()
    : [];
  return {
    kind: "disclosure",
    actor: "type" in actor ? actor : staffActor(actor),
    subjectRef: claims.consent?.subjectRef ?? subject?.ref ?? null,
    consentId: claims.consent?.id ?? null,
    referralId: claims.thid,
    partnerOrgId: claims.aud,
    detail: {
      messageType: claims.type,
      jti: claims.jti,
      scopes: [...(claims.consent?.scopes ?? [])].sort(),
      fields,
      override: claims.consent?.override !== undefined,
    },
  };
}
