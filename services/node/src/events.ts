// The in-process bus behind the `referralEvents` subscription. Domain code publishes only after the
// transaction that made an event committed, so a subscriber never sees a state that was rolled back.
import { createPubSub, filter, pipe } from "graphql-yoga";
import type { ReferralEventBus, ReferralEventRecord } from "./domain/types.ts";

const TOPIC = "referral-event";

export function createEventBus(): ReferralEventBus {
  const pubsub = createPubSub<{ [TOPIC]: [ReferralEventRecord] }>();
  return {
    publish(events) {
      for (const e of events) pubsub.publish(TOPIC, e);
    },
    subscribe(referralId) {
      const all = pubsub.subscribe(TOPIC);
      if (!referralId) return all;
      return pipe(
        all,
        filter((e: ReferralEventRecord) => e.referralId === referralId),
      );
    },
  };
}
