// Child processes (nats-server, node processes) with their output captured to a log file, stopped
// with SIGTERM then SIGKILL, and never left running when the test process exits.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

export interface SpawnLoggedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here, so a restart keeps the earlier run's log. */
  logFile: string;
  /** Own process group: a terminal Ctrl-C then reaches only the parent, which stops children in order. */
  detached?: boolean;
}

export interface Managed {
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

// A test runner that exits (or crashes) without calling stop() must not leave servers behind. One
// process-wide "exit" hook for all children, rather than one listener each, which would trip Node's
// listener-leak warning in a process that runs many networks.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export function spawnLogged(command: string, args: string[], opts: SpawnLoggedOptions): Managed {
  const fd = openSync(opts.logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", fd, fd],
      detached: opts.detached ?? false,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  let done = false;
  live.add(child);
  installExitHook();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      live.delete(child);
      resolve({ code, signal });
    };
    child.once("exit", finish);
    // spawn failures (ENOENT, EACCES) emit "error" and may never emit "exit".
    child.once("error", () => finish(null, null));
  });
  return { child, exited, hasExited: () => done };
}

/** SIGTERM, then SIGKILL when the process has not exited within `timeoutMs`. */
export async function terminate(m: Managed, timeoutMs: number): Promise<void> {
  if (m.hasExited()) return;
  m.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const first = await Promise.race([m.exited, timedOut]);
  clearTimeout(timer);
  if (first === "timeout") {
    m.child.kill("SIGKILL");
    await m.exited;
  }
}

/** SIGKILL and wait until the kernel has reaped it (so its ports are free again). */
export async function killHard(m: Managed): Promise<void> {
  if (m.hasExited()) return;
  m.child.kill("SIGKILL");
  await m.exited;
}
