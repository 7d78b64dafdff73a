// A referral's state machine (docs/protocol.md §4.12–§4.14). Both sides run these same tables, so
// the origin and the destination end in the same state whatever order messages cross in.
import type { ReferralState } from "@refnet/protocol";

type From = readonly ReferralState[];

/**
 * Sender side (§4.13 "sender before → after"): the states from which this node may move a referral
 * by its own action. `draft` → `withdrawn` is local (a draft never left the node, nothing is sent).
 */
const LOCAL_FROM: Partial<Record<ReferralState, From>> = {
  sent: ["draft"],
  accepted: ["delivered"],
  declined: ["delivered"],
  arrived: ["accepted"],
  in_progress: ["arrived"],
  completed: ["arrived", "in_progress"],
  closed: ["accepted", "arrived", "in_progress"],
  withdrawn: ["draft", "sent", "delivered", "accepted", "arrived", "in_progress", "expired"],
};

/**
 * Receiver side (§4.13 "applied by the receiver in"): the states in which a message moving the
 * referral to the key state takes effect. At the origin, accept and decline also apply from `sent`
 * (the answer overtook the receipt).
 */
const RECEIVED_IN: Partial<Record<ReferralState, From>> = {
  accepted: ["sent", "delivered"],
  declined: ["sent", "delivered"],
  arrived: ["accepted"],
  in_progress: ["arrived"],
  completed: ["arrived", "in_progress"],
  closed: ["accepted", "arrived", "in_progress"],
  withdrawn: ["delivered", "accepted", "arrived", "in_progress", "expired"],
};

/** Waiting for an answer: `expired` is entered from these when respondBy passes (§4.12). */
export const AWAITING_ANSWER: From = ["sent", "delivered"];

export const TERMINAL_STATES: From = ["declined", "completed", "closed", "withdrawn"];

/** May this node itself move a referral from `from` to `to` (a staff action)? */
export function canTransition(from: ReferralState, to: ReferralState): boolean {
  return LOCAL_FROM[to]?.includes(from) ?? false;
}

export type InboundEffect = "apply" | "ignore" | "conflict";

/**
 * What a received state message does to a referral in state `current` (§4.13, then §4.14 for
 * messages that crossed). `ignore` means: store it, answer with a receipt, change nothing.
 *
 * @param answeredInTime the message is an accept or decline whose `iat` is not after respondBy.
 */
export function inboundEffect(
  current: ReferralState,
  to: ReferralState,
  answeredInTime: boolean,
): InboundEffect {
  if (RECEIVED_IN[to]?.includes(current)) return "apply";
  // §4.14: a terminal answer the destination reached first stands; otherwise a withdrawal stands.
  if (current === "withdrawn") {
    if (to === "declined" || to === "completed" || to === "closed") return "apply";
    if (to === "accepted" || to === "arrived" || to === "in_progress") return "ignore";
  }
  if (to === "withdrawn" && (current === "declined" || current === "completed" || current === "closed")) {
    return "ignore";
  }
  // §4.14: the origin expired it by its own clock, but the destination answered in time by its own.
  if (current === "expired" && (to === "accepted" || to === "declined") && answeredInTime) return "apply";
  return "conflict";
}
