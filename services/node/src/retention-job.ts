// The retention job (domain/retention.ts, docs/data-at-rest.md), run by the node on a timer started
// with it and stopped when it stops, like the expiry sweep: once at start, then every `intervalMs`.
import type { AppContext } from "./context.ts";
import { purgeExpiredPersonalData, type RetentionResult } from "./domain/retention.ts";
import { describe } from "./graphql/errors.ts";

/** How often the node runs the retention job unless told otherwise: hourly. */
export const RETENTION_INTERVAL_MS = 3_600_000;

export interface RetentionSweep {
  /** Runs one pass now (also what the timer does); a pass already running is joined, not doubled. */
  runOnce(): Promise<RetentionResult>;
  stop(): Promise<void>;
}

const EMPTY: RetentionResult = {
  purged: [],
  keysDestroyed: 0,
  quarantineDeleted: 0,
  retiredKeysDestroyed: 0,
};

export function startRetentionSweep(
  ctx: AppContext,
  intervalMs: number = RETENTION_INTERVAL_MS,
): RetentionSweep {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RetentionResult> | undefined;
  let stopped = false;
  const runOnce = () => {
    if (running) return running;
    running = purgeExpiredPersonalData(ctx, ctx.config.retention)
      .then((r) => {
        // Counts only: which referrals and people were purged is in the audit trail, not in the log.
        if (r.purged.length > 0 || r.quarantineDeleted > 0 || r.retiredKeysDestroyed > 0) {
          ctx.logger.info(
            {
              referrals: r.purged.length,
              personKeysDestroyed: r.keysDestroyed + r.retiredKeysDestroyed,
              quarantine: r.quarantineDeleted,
            },
            "retention: personal data purged",
          );
        }
        return r;
      })
      .catch((err: unknown) => {
        ctx.logger.warn({ err: describe(err) }, "retention job failed");
        return EMPTY;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  void runOnce().finally(schedule);
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
