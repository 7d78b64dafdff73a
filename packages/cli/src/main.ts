#!/usr/bin/env node
// The `refnet` command (npm run refnet -- <command>).
import { run } from "./cli.ts";

const code = await run(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
});
process.exitCode = code;
