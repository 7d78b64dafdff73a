// A referral's state machine (docs/protocol.md §4). Both sides run this same table, so the origin and
// the destination agree on every state a message can move a referral to.
import type { ReferralState } from "@refnet/protocol";

/** Which party's action moves a referral into a state. */
export type Party = "origin" | "destination" | "either";

const NEXT: Record<ReferralState, readonly ReferralState[]> = {
  // A draft never left this node: sending it, or withdrawing it, are the only ways on.
  draft: ["sent", "withdrawn"],
  // `sent` → `accepted`/`declined` directly: an answer may overtake the receipt of the offer.
  sent: ["delivered", "accepted", "declined", "withdrawn", "expired"],
  delivered: ["accepted", "declined", "withdrawn", "expired"],
  // A person may never arrive: the destination closes the referral (outcome unsuccessful).
  accepted: ["arrived", "closed", "withdrawn"],
  arrived: ["in_progress", "completed", "closed", "withdrawn"],
  in_progress: ["completed", "closed", "withdrawn"],
  // The two sides mark `expired` by their own clocks; a withdraw crossing the expiry still converges.
  expired: ["withdrawn"],
  declined: [],
  completed: [],
  closed: [],
  withdrawn: [],
};

/** Who may cause each state (as the target of a transition). */
export const ACTOR_OF: Record<ReferralState, Party> = {
  draft: "origin",
  sent: "origin",
  delivered: "destination",
  accepted: "destination",
  declined: "destination",
  arrived: "destination",
  in_progress: "destination",
  completed: "destination",
  closed: "destination",
  withdrawn: "origin",
  expired: "either",
};

export const TERMINAL_STATES: readonly ReferralState[] = ["declined", "completed", "closed", "withdrawn"];

export function canTransition(from: ReferralState, to: ReferralState): boolean {
  return NEXT[from].includes(to);
}

export function nextStates(from: ReferralState): readonly ReferralState[] {
  return NEXT[from];
}

/** States in which `respondBy` still matters: the destination has not answered yet. */
export const AWAITING_ANSWER: readonly ReferralState[] = ["sent", "delivered"];
