// The consent object's times travel as integer seconds since the epoch (docs/protocol.md §5.1, as
// every time on the wire); the node works in milliseconds. The two conversions live here only.
import type { Consent } from "@refnet/protocol";

/** Milliseconds → the consent's wire time (whole seconds, rounded down). */
export function consentTime(ms: number): number {
  return Math.floor(ms / 1000);
}

/** A consent wire time → milliseconds. */
export function consentTimeMs(t: number): number {
  return t * 1000;
}

export function consentExpiresAtMs(consent: Pick<Consent, "expiresAt">): number {
  return consentTimeMs(consent.expiresAt);
}
