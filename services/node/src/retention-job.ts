// The retention job (domain/retention.ts, docs/data-at-rest.md), run by the node on a timer started
// with it and stopped when it stops, like the expiry sweep: once at start, then every `intervalMs`.
import type { AppContext } from "./context.ts";
import { destroyRetiredKeys } from "./domain/personal-data.ts";
import { purgeExpiredPersonalData, type RetentionResult } from "./domain/retention.ts";
import { describe } from "./graphql/errors.ts";

/** How often the node runs the retention job unless told otherwise: hourly. */
export const RETENTION_INTERVAL_MS = 3_600_000;
/**
 * How often retired person keys are looked for between retention passes. A partial erasure (a consent
 * revoked in part, or in full at a recipient) seals what remains under a new key and retires the old
 * one; destroying it promptly is what makes the erased values unreadable in backups of the database
 * too, so it should not wait for the hourly pass. A look at an empty list costs one vault query.
 */
export const RETIRED_KEY_INTERVAL_MS = 5_000;

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
  retiredKeyIntervalMs: number = RETIRED_KEY_INTERVAL_MS,
): RetentionSweep {
  let timer: NodeJS.Timeout | undefined;
  let keyTimer: NodeJS.Timeout | undefined;
  let destroying: Promise<unknown> | undefined;
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
  const destroyRetired = () => {
    // The full pass destroys retired keys itself; between passes, only when there are some.
    if (running || destroying || ctx.vault.retiredKeys().length === 0) return;
    destroying = destroyRetiredKeys(ctx)
      .then((n) => {
        if (n > 0) ctx.logger.info({ personKeysDestroyed: n }, "retired person keys destroyed");
      })
      .catch((err: unknown) => {
        ctx.logger.warn({ err: describe(err) }, "destroying retired person keys failed");
      })
      .finally(() => {
        destroying = undefined;
      });
  };
  const scheduleKeys = () => {
    if (stopped) return;
    keyTimer = setTimeout(() => {
      try {
        destroyRetired();
      } catch (err) {
        ctx.logger.warn({ err: describe(err) }, "destroying retired person keys failed");
      }
      scheduleKeys();
    }, retiredKeyIntervalMs);
    keyTimer.unref();
  };
  void runOnce().finally(schedule);
  scheduleKeys();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (keyTimer) clearTimeout(keyTimer);
      await running;
      await destroying;
    },
  };
}
