#!/usr/bin/env node
// The `refnet` command (npm run refnet -- <command>).
import { run } from "./cli.ts";
import { ttyPrompt } from "./tty.ts";

const code = await run(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  // Passphrases and confirmations are asked only of a person at a terminal.
  ...(process.stdin.isTTY ? { prompt: ttyPrompt(process.stdin, process.stderr) } : {}),
});
process.exitCode = code;
