// @refnet/cli: the `refnet` command, callable in-process (tests, the demo).
export { EXIT, type Io, run, USAGE } from "./cli.ts";
