// Small helpers shared by the admin commands: argument parsing (node:util parseArgs, strict), durations,
// and reading and writing the files admins pass around.
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CliError, UsageError } from "./errors.ts";

export type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

type Values<T extends OptionSpec> = {
  [K in keyof T]?: T[K]["type"] extends "string"
    ? T[K]["multiple"] extends true
      ? string[]
      : string
    : boolean;
};

/** Strict parsing: unknown flags and a wrong number of positional arguments are usage errors. */
export function parseCommand<T extends OptionSpec>(
  args: string[],
  options: T,
  positionals: { min: number; max: number; names: string } = { min: 0, max: 0, names: "" },
): { values: Values<T>; positionals: string[] } {
  const parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals.max > 0 });
  const pos = parsed.positionals;
  if (pos.length < positionals.min || pos.length > positionals.max)
    throw new UsageError(
      positionals.max === 0 ? `unexpected argument ${pos[0]}` : `expected ${positionals.names}`,
    );
  return { values: parsed.values as Values<T>, positionals: pos };
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === "") throw new UsageError(`${flag} is required`);
  return value;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** "180d", "12h", "2w", "90m", "30s" → seconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} must be a duration such as 180d, 12h, 2w (got ${text})`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

export function positiveInt(text: string, flag: string): number {
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} must be a whole number ≥ 1`);
  return Number(text);
}

export function resolvePath(cwd: string, path: string): string {
  return resolve(cwd, path);
}

// Admin files are small JSON documents; anything bigger is not one of them.
const MAX_INPUT_BYTES = 4 * 1024 * 1024;

export async function readText(cwd: string, path: string, what: string): Promise<string> {
  const full = resolvePath(cwd, path);
  try {
    const info = await stat(full);
    if (info.size > MAX_INPUT_BYTES) throw new CliError("ERR_FILE", `${what} ${path} is too large`);
    return await readFile(full, "utf8");
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      "ERR_FILE",
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

export async function readJson(cwd: string, path: string, what: string): Promise<unknown> {
  const text = await readText(cwd, path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError("ERR_INPUT", `${what} ${path} is not JSON`);
  }
}

/**
 * Writes a file that must not exist yet (flag wx), so that no command ever overwrites a key or a list
 * by a slip of the --out argument.
 */
export async function writeNewFile(cwd: string, path: string, text: string, mode = 0o644): Promise<string> {
  const full = resolvePath(cwd, path);
  try {
    await writeFile(full, text, { mode, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new CliError("ERR_FILE_EXISTS", `${path} already exists; choose another file name`);
    throw new CliError("ERR_FILE", `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return full;
}

/** Replaces a file atomically (write a sibling, then rename), so a crash never leaves half a list. */
export async function replaceFile(cwd: string, path: string, text: string): Promise<string> {
  const full = resolvePath(cwd, path);
  const tmp = join(dirname(full), `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o644, flag: "wx" });
    await rename(tmp, full);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CliError("ERR_FILE", `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return full;
}

export async function exists(cwd: string, path: string): Promise<boolean> {
  try {
    await stat(resolvePath(cwd, path));
    return true;
  } catch {
    return false;
  }
}

export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}
