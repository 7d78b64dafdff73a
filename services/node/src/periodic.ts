// A background job of the node (the expiry sweep, the retention job): one pass at start, then one
// every `intervalMs` after the previous pass ended, on an unref'd timer, stopped with the node. A pass
// asked for while one runs joins it instead of starting a second; a failing pass never stops the job.

export interface PeriodicTask<T> {
  /** Runs one pass now (also what the timer does); a pass already running is joined, not doubled. */
  runOnce(): Promise<T>;
  /** True while a pass runs. */
  busy(): boolean;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Starts a periodic task. `pass` must not throw for expected failures: it logs them and returns a
 * result; anything it throws anyway is handed to `onError` and the pass yields `fallback`.
 */
export function startPeriodic<T>(opts: {
  intervalMs: number;
  pass: () => Promise<T>;
  fallback: T;
  onError: (err: unknown) => void;
  /** Run the first pass at once (default) or only after the first interval. */
  runAtStart?: boolean;
}): PeriodicTask<T> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<T> | undefined;
  let stopped = false;
  const runOnce = (): Promise<T> => {
    if (running) return running;
    running = opts
      .pass()
      .catch((err: unknown) => {
        opts.onError(err);
        return opts.fallback;
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
    }, opts.intervalMs);
    timer.unref();
  };
  if (opts.runAtStart === false) schedule();
  else void runOnce().finally(schedule);
  return {
    runOnce,
    busy: () => running !== undefined,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
