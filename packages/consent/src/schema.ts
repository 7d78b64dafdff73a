// Shape of the consent object (docs/protocol.md §5.1). A consent that fails this schema is refused at
// step 6.1 with e.p.claims.invalid (the claims schema of @refnet/protocol embeds it); the rules of
// §5.4 are in ./check.ts.
import { boundedText, patterned, seconds, uniqueArray } from "@refnet/protocol/primitives";
import {
  CONSENT_METHODS,
  ID_PATTERN,
  JTI_PATTERN,
  LANGUAGE_TAG_PATTERN,
  PURPOSES,
  SCOPES,
  SUBJECT_REF_PATTERN,
} from "@refnet/protocol/types";
import { z } from "zod";

export const consentOverrideSchema = z.strictObject({
  reason: z.literal("risk_to_life"),
  approvedBy: boundedText(1, 200),
  note: boundedText(1, 4000),
});

export const consentSchema = z
  .strictObject({
    id: patterned(JTI_PATTERN),
    subjectRef: patterned(SUBJECT_REF_PATTERN),
    scopes: uniqueArray(z.enum(SCOPES), 0, SCOPES.length),
    purposes: uniqueArray(z.enum(PURPOSES), 1, PURPOSES.length),
    recipients: uniqueArray(patterned(ID_PATTERN), 1, 100),
    grantedAt: seconds,
    expiresAt: seconds,
    method: z.enum(CONSENT_METHODS),
    language: patterned(LANGUAGE_TAG_PATTERN, 35),
    textVersion: boundedText(1, 64),
    override: consentOverrideSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.grantedAt >= c.expiresAt) {
      ctx.addIssue({ code: "custom", path: ["expiresAt"], message: "expiresAt must be after grantedAt" });
    }
  });

export type ConsentInput = z.input<typeof consentSchema>;
