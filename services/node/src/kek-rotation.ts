// Changing a node's key-encryption key (`refnet kek rotate`, docs/data-at-rest.md "Changing the KEK"),
// on a stopped node. The KEK encrypts two things (kek.ts): the person key vault (every person's data
// key wrapped under one subkey, plus a check value) and the key file (a JWE under another subkey).
// Neither the data keys nor the node's private keys change; only their wrapping does.
//
// Order, so that a crash at any point leaves a state one command recovers from:
//   1. the new KEK file is written (0600, fsynced, never over an existing file) — nothing uses it yet;
//   2. the vault is re-wrapped in ONE SQLite transaction — wholly old or wholly new;
//   3. the key file is re-encrypted through writeKeyFile (temporary file, fsync, rename) — wholly old
//      or wholly new.
// The old KEK is never touched. `--resume` takes an existing new KEK file and finishes whichever of 2
// and 3 is still under the old KEK. The vault stays exclusively locked from before step 1 to the end,
// so a node cannot run during the rotation (nor start between steps 2 and 3).
import { open, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Config } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { createKekFile, type KeyEncryptionKey, loadKekFile, resolveKek } from "./kek.ts";
import { KeyStore, KeyStoreError, reencryptKeyFile } from "./keys.ts";
import { PersonVault, VaultError } from "./person-vault.ts";

export interface KekRotationOptions {
  /** Where the new KEK goes; must not exist, unless `resume`. */
  newKekFile: string;
  /** Finish a rotation that stopped half-way: `newKekFile` exists and holds the new KEK. */
  resume?: boolean;
  /** One line per step, for the operator (never a key). */
  progress?: (line: string) => void;
}

export interface KekRotationOutcome {
  oldKekId: string;
  newKekId: string;
  newKekFile: string;
  /** Person keys re-wrapped now; null when the vault was already under the new KEK or absent. */
  personKeys: number | null;
  vault: "rewrapped" | "already" | "absent";
  keyFile: "reencrypted" | "already";
}

type Part = "old" | "new";

export async function rotateKek(cfg: Config, opts: KekRotationOptions): Promise<KekRotationOutcome> {
  const say = opts.progress ?? (() => undefined);
  const newPath = resolve(opts.newKekFile);
  const current = await resolveKek(cfg.kek);
  if (cfg.kek.source === "file" && resolve(cfg.kek.path) === newPath) {
    throw new ConfigError(`--new-kek-file ${newPath} is the KEK file in use; choose another path.`, [
      "REFNET_KEK_FILE",
    ]);
  }
  say(`current KEK: id ${current.id} (from ${current.origin})`);

  let next: KeyEncryptionKey | undefined;
  if (opts.resume) {
    next = await loadKekFile(newPath);
    if (next.id === current.id) {
      throw new ConfigError(`The KEK file ${newPath} holds the current KEK, not a new one.`, [
        "REFNET_KEK_FILE",
      ]);
    }
    say(`resuming with the new KEK in ${newPath}: id ${next.id}`);
  } else if (
    await stat(newPath).then(
      () => true,
      () => false,
    )
  ) {
    throw new ConfigError(
      `A file already exists at ${newPath}; refusing to replace it (to finish a rotation that stopped half-way, add --resume).`,
      ["REFNET_KEK_FILE"],
    );
  }

  // Everything is checked under the current KEK (or found already under the new one) before the new
  // KEK is made: a wrong current KEK leaves no new file behind.
  let vault: PersonVault | undefined;
  let vaultState: Part | "absent" = "absent";
  try {
    if (PersonVault.exists(cfg.vaultFile)) {
      try {
        vault = PersonVault.openExclusive(cfg.vaultFile, current);
        vaultState = "old";
      } catch (err) {
        if (!(next && err instanceof VaultError && err.reason === "kek")) throw err;
        vault = PersonVault.openExclusive(cfg.vaultFile, next);
        vaultState = "new";
      }
      say(
        `person key vault ${cfg.vaultFile}: locked, under the ${vaultState === "old" ? "current" : "new"} KEK`,
      );
    } else {
      say(`person key vault ${cfg.vaultFile}: none (the node has not run yet); nothing to re-wrap`);
    }

    let keyFileState: Part;
    try {
      await KeyStore.load(cfg.keysFile, cfg.orgId, current);
      keyFileState = "old";
    } catch (err) {
      if (!(next && err instanceof KeyStoreError)) throw err;
      try {
        await KeyStore.load(cfg.keysFile, cfg.orgId, next);
      } catch {
        throw err;
      }
      keyFileState = "new";
    }
    say(`key file ${cfg.keysFile}: under the ${keyFileState === "old" ? "current" : "new"} KEK`);

    if (!next) {
      next = await createKekFile(newPath);
      await syncDir(dirname(newPath));
      say(`new KEK written to ${newPath} (mode 0600): id ${next.id}`);
    }

    let personKeys: number | null = null;
    if (vault && vaultState === "old") {
      personKeys = vault.rewrap(next);
      say(`person key vault: ${personKeys} person key(s) re-wrapped under the new KEK (one transaction)`);
    }
    if (keyFileState === "old") {
      await reencryptKeyFile(cfg.keysFile, cfg.orgId, current, next);
      say("key file: re-encrypted under the new KEK");
    }
    // Proof, before the operator is told to switch: the new KEK opens both.
    vault?.close();
    vault = undefined;
    if (PersonVault.exists(cfg.vaultFile)) PersonVault.open(cfg.vaultFile, next).close();
    await KeyStore.load(cfg.keysFile, cfg.orgId, next);
    return {
      oldKekId: current.id,
      newKekId: next.id,
      newKekFile: newPath,
      personKeys,
      vault: vaultState === "absent" ? "absent" : vaultState === "old" ? "rewrapped" : "already",
      keyFile: keyFileState === "old" ? "reencrypted" : "already",
    };
  } finally {
    vault?.close();
  }
}

/** Makes a new directory entry durable (the new KEK file must survive a crash before it is used). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
