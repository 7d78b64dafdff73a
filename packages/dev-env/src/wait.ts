import { createServer } from "node:net";
import { DevEnvError } from "./errors.ts";

export interface WaitForOptions {
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** Pause between attempts; default 50 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout message (never personal data). */
  what?: string;
  /** An error for which this returns true ends the wait at once and is rethrown (say, the process died). */
  isFatal?: (err: unknown) => boolean;
}

/**
 * Polls `fn` until it returns true (or a truthy value, which is returned). A throw counts as "not yet":
 * a node that is restarting refuses connections for a moment, and that is exactly what callers wait out.
 * On timeout, the last error thrown (if any) is attached as the cause.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<Exclude<T, false | null | undefined | 0 | "">> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as Exclude<T, false | null | undefined | 0 | "">;
      lastError = undefined;
    } catch (err) {
      if (opts.isFatal?.(err)) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.what ? ` for ${opts.what}` : "";
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new DevEnvError("ERR_WAIT_TIMEOUT", `timed out after ${timeoutMs} ms waiting${what}${last}`, {
        cause: lastError,
      });
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read what the kernel chose, close.
 * Another process could take it before the caller binds it; on a test machine that race is rare enough,
 * and choosing the port ourselves is what lets a server restart on the same address.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error("could not read the bound port"));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
