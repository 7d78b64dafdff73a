#!/usr/bin/env bash
# `npm run demo`: a nats-server and three nodes on this machine, a narrated referral handoff, then the
# network stays up until Ctrl-C. Connection details and tokens go to .refnet/demo.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
# The nodes run from the bundle (services/node/dist/main.mjs): faster to start, lighter to run.
node scripts/build.mjs
# exec: one process, so Ctrl-C reaches the demo directly and it can stop everything in order.
exec node --import tsx packages/dev-env/src/demo.ts "$@"
