// The retention job (domain/retention.ts, docs/data-at-rest.md), run by the node on a timer started
// with it and stopped when it stops, like the expiry sweep: once at start, then every `intervalMs`.
import type { AppContext } from "./context.ts";
import { destroyRetiredKeys } from "./domain/personal-data.ts";
import { purgeExpiredPersonalData, type RetentionResult } from "./domain/retention.ts";
import { describe } from "./graphql/errors.ts";
import { startPeriodic } from "./periodic.ts";

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
  const retention = startPeriodic({
    intervalMs,
    fallback: EMPTY,
    onError: (err) => ctx.logger.warn({ err: describe(err) }, "retention job failed"),
    pass: async () => {
      const r = await purgeExpiredPersonalData(ctx, ctx.config.retention);
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
    },
  });
  const retiredKeys = startPeriodic({
    intervalMs: retiredKeyIntervalMs,
    runAtStart: false,
    fallback: 0,
    onError: (err) => ctx.logger.warn({ err: describe(err) }, "destroying retired person keys failed"),
    pass: async () => {
      // The full pass destroys retired keys itself; between passes, only when there are some.
      if (retention.busy() || ctx.vault.retiredKeys().length === 0) return 0;
      const n = await destroyRetiredKeys(ctx);
      if (n > 0) ctx.logger.info({ personKeysDestroyed: n }, "retired person keys destroyed");
      return n;
    },
  });
  return {
    runOnce: retention.runOnce,
    async stop() {
      await retiredKeys.stop();
      await retention.stop();
    },
  };
}
