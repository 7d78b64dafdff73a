// Message, referral and consent ids: 128 bits from the CSPRNG, base64url (docs/protocol.md §1.1), so
// they are unique across the whole network and nobody can pre-empt a message's de-duplication id.
import { randomBytes } from "node:crypto";

function randomId(): string {
  return randomBytes(16).toString("base64url");
}

/** A fresh `jti`: 22 base64url characters. */
export function newMessageId(): string {
  return randomId();
}

/** A fresh referral id (`thid`, `referral.id`): 22 base64url characters. */
export function newReferralId(): string {
  return randomId();
}

/** A fresh consent id: 22 base64url characters. */
export function newConsentId(): string {
  return randomId();
}
