// `refnet admin keygen`: a network admin's Ed25519 key (docs/protocol.md §1), generated on the admin's
// own machine. The private half is written only encrypted under a passphrase (keyfile.ts), the public
// half to `<file>.pub.json` for the trust list. The private key is never printed.

import { rm } from "node:fs/promises";
import { formatFingerprint, generateSigningKeyPair } from "@refnet/trust";
import { parseCommand, required, writeNewFile } from "./args.ts";
import type { Io } from "./cli.ts";
import { UsageError } from "./errors.ts";
import { EXIT } from "./exit.ts";
import { type AdminPublicFile, encryptAdminKey, MIN_PBES2_ITERATIONS } from "./keyfile.ts";
import { readPassphrase } from "./passphrase.ts";

// The admin id format of the trust list schema (docs/protocol.md §6.2).
const ADMIN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const ADMIN_USAGE = `  admin keygen --id <admin-id> --out <file> [--passphrase-file <file>]
      Generates a network admin's Ed25519 key. <file> holds the private key encrypted under a
      passphrase (compact JWE, PBES2-HS512+A256KW / A256GCM, ${MIN_PBES2_ITERATIONS} iterations, mode 0600);
      <file>.pub.json holds { id, jwk, kid }, the public key to send to the other admins.
      Passphrase (12 characters or more): --passphrase-file, else REFNET_ADMIN_PASSPHRASE, else
      asked on the terminal (twice, not echoed).
`;

export async function admin(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "keygen")
    throw new UsageError(sub === undefined ? "admin needs a subcommand" : `unknown admin subcommand: ${sub}`);
  const { values: v } = parseCommand(rest, {
    id: { type: "string" },
    out: { type: "string" },
    "passphrase-file": { type: "string" },
  });
  const id = required(v.id, "--id");
  const out = required(v.out, "--out");
  if (!ADMIN_ID.test(id))
    throw new UsageError(
      "--id must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  const pubPath = `${out}.pub.json`;

  const passphrase = await readPassphrase(io, {
    passphraseFile: v["passphrase-file"],
    creating: true,
    label: out,
  });
  const pair = await generateSigningKeyPair();
  const jwe = await encryptAdminKey(
    pair.privateJwk,
    passphrase,
    io.testPbes2Iterations ?? MIN_PBES2_ITERATIONS,
  );
  const pub: AdminPublicFile = {
    id,
    jwk: { kty: "OKP", crv: "Ed25519", x: pair.publicJwk.x },
    kid: pair.kid,
  };

  const keyFile = await writeNewFile(io.cwd, out, `${jwe}\n`, 0o600);
  try {
    await writeNewFile(io.cwd, pubPath, `${JSON.stringify(pub, null, 2)}\n`);
  } catch (err) {
    // Without its public half the key is of no use to the network; leave nothing half done.
    await rm(keyFile, { force: true });
    throw err;
  }
  io.out(
    `admin ${id}\n` +
      `  private key  ${out} (encrypted with your passphrase, mode 0600: keep it offline, back it up)\n` +
      `  public key   ${pubPath} (send this to the other admins)\n` +
      `  kid          ${pair.kid}\n` +
      `  fingerprint  ${formatFingerprint(pair.kid)}\n` +
      "Read the fingerprint to the other admins over a second channel (phone, in person).\n",
  );
  return EXIT.ok;
}
