// Where an admin key's passphrase comes from: --passphrase-file, then REFNET_ADMIN_PASSPHRASE, then a
// no-echo prompt on the terminal. Never from a command-line argument (it would sit in the shell history
// and in the process list), never printed.
import { stat } from "node:fs/promises";
import { readText, resolvePath } from "./args.ts";
import type { Io } from "./cli.ts";
import { CliError } from "./errors.ts";

export const PASSPHRASE_ENV = "REFNET_ADMIN_PASSPHRASE";
export const MIN_PASSPHRASE_LENGTH = 12;

export interface PassphraseRequest {
  passphraseFile?: string | undefined;
  /** For a new key: ask twice on a terminal and enforce the minimum length. */
  creating: boolean;
  /** Names the key in the prompt, e.g. the file name. */
  label: string;
}

// NFC, so that the same passphrase typed on two systems (composed or decomposed accents) is one key.
function normalise(text: string): string {
  return text.normalize("NFC");
}

function checkStrength(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH)
    throw new CliError(
      "ERR_PASSPHRASE",
      `the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; a few random words are best`,
    );
}

export async function readPassphrase(io: Io, req: PassphraseRequest): Promise<string> {
  let passphrase: string | undefined;
  if (req.passphraseFile !== undefined) {
    const full = resolvePath(io.cwd, req.passphraseFile);
    const mode = (await stat(full).catch(() => undefined))?.mode;
    if (mode !== undefined && (mode & 0o077) !== 0)
      io.err(`refnet: warning: ${req.passphraseFile} is readable by other users (chmod 600 it)\n`);
    // One trailing newline is how editors and `echo` end the file; it is not part of the passphrase.
    passphrase = (await readText(io.cwd, req.passphraseFile, "passphrase file")).replace(/\r?\n$/, "");
  } else if (io.env[PASSPHRASE_ENV] !== undefined) {
    passphrase = io.env[PASSPHRASE_ENV];
  } else if (io.prompt) {
    passphrase = await io.prompt(`Passphrase for ${req.label}: `, { echo: false });
    if (req.creating) {
      checkStrength(normalise(passphrase));
      const again = await io.prompt("Repeat the passphrase: ", { echo: false });
      if (again !== passphrase) throw new CliError("ERR_PASSPHRASE", "the two passphrases differ");
    }
  } else {
    throw new CliError(
      "ERR_PASSPHRASE",
      `no passphrase: give --passphrase-file, set ${PASSPHRASE_ENV}, or run the command in a terminal`,
    );
  }
  const result = normalise(passphrase ?? "");
  if (req.creating) checkStrength(result);
  if (result === "") throw new CliError("ERR_PASSPHRASE", "the passphrase is empty");
  return result;
}
