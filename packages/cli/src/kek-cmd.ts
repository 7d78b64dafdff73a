// `refnet kek rotate`: changes the node's key-encryption key on a STOPPED node (docs/data-at-rest.md,
// "Changing the KEK"). The person key vault is re-wrapped in one transaction, then the key file is
// re-encrypted; the old KEK file is left untouched until the operator has switched and started the node.
import { rotateKek } from "@refnet/node";
import { parseCommand, required, resolvePath } from "./args.ts";
import type { Io } from "./cli.ts";
import { UsageError } from "./errors.ts";
import { EXIT } from "./exit.ts";
import { NODE_OPTIONS, nodeConfig } from "./keys-cmd.ts";

export const KEK_USAGE = `  kek rotate --new-kek-file <path> [--resume] [--org <id>] [--network <id>] [--data-dir <dir>]
      Changes the node's key-encryption key. The node must be stopped (refused while it holds the
      person key vault open). Reads the current KEK (REFNET_KEK_FILE or REFNET_KEK, else \`kek\`
      beside the key file), writes a new one to <path> (mode 0600; never over an existing file),
      re-wraps every person key in the vault in one transaction, then re-encrypts the key file.
      The old KEK file is not touched. --resume finishes a rotation that stopped half-way, with the
      new KEK already in <path>. Then: point REFNET_KEK_FILE at <path>, start the node, and destroy
      the old KEK and its copies.
`;

export async function kek(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "rotate":
      return rotate(rest, io);
    default:
      throw new UsageError(sub === undefined ? "kek needs a subcommand" : `unknown kek subcommand: ${sub}`);
  }
}

async function rotate(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, {
    ...NODE_OPTIONS,
    "new-kek-file": { type: "string" },
    resume: { type: "boolean" },
  });
  const newKekFile = resolvePath(io.cwd, required(v["new-kek-file"], "--new-kek-file"));
  const cfg = nodeConfig(io, v);
  io.err(
    "refnet: the node must be stopped during a KEK rotation; the person key vault is locked until it ends.\n",
  );
  const outcome = await rotateKek(cfg, {
    newKekFile,
    resume: v.resume === true,
    progress: (line) => io.err(`refnet: ${line}\n`),
  });
  const old =
    cfg.kek.source === "env"
      ? "remove REFNET_KEK (the old KEK) from the node's environment and secret store"
      : `destroy the old KEK file ${cfg.kek.path} and every copy of it (shred it; remove it from the offline copy)`;
  io.out(
    `KEK rotated: ${outcome.oldKekId} -> ${outcome.newKekId}. The vault and the key file now open only with the new KEK.\n` +
      "Next:\n" +
      `  1. Set REFNET_KEK_FILE=${outcome.newKekFile} for the node${cfg.kek.source === "env" ? " (and unset REFNET_KEK)" : ""}.\n` +
      "  2. Start the node and check that it serves referrals.\n" +
      "  3. Make the new KEK's one offline copy (docs/data-at-rest.md).\n" +
      `  4. Then ${old}.\n`,
  );
  return EXIT.ok;
}
