#!/usr/bin/env bash
# `npm test`: dependencies, type-check, lint, then every vitest test (unit, cross-node and fault
# scenarios) on SQLite and, when a PostgreSQL server answers, on PostgreSQL too. Under CI=true a
# missing PostgreSQL is a failure, not a skip. Ends with one line: `N passed, N failed`.
# Extra arguments go to vitest (e.g. `npm test -- tests/handoff.test.ts`).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-deps.sh || exit 1

status=0
ci=false
[ "${CI:-}" = "true" ] && ci=true

banner() { printf '\n==> %s\n' "$1"; }
loud() {
  printf '\n' >&2
  printf '!!! %s\n' "$@" >&2
  printf '\n' >&2
}

banner "check: generated types up to date, type-check (tsc), lint and format (biome)"
if ! npm run --silent check; then
  status=1
  loud "npm run check failed: \`npm run codegen\` regenerates resolver types," \
    "\`npx biome check --write .\` fixes what it can"
fi

banner "build: the node bundle (services/node/dist/main.mjs), which the tests' node processes run"
if ! npm run --silent build; then
  status=1
  loud "npm run build failed: the node processes of the tests run from the TypeScript sources instead"
fi

# --- PostgreSQL ----------------------------------------------------------------------------------
# Connects for real (not just a port probe): a server that answers but refuses our user is as good as
# no server, and the message should say which it is.
pg_probe() {
  node -e '
    const pg = require("pg");
    const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    c.connect()
      .then(() => c.query("select 1"))
      .then(() => c.end())
      .then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });
  ' "$1" 2>&1
}

default_pg=postgres://postgres@127.0.0.1:5432/postgres
if [ -n "${REFNET_TEST_POSTGRES_URL:-}" ]; then
  pg_source="REFNET_TEST_POSTGRES_URL"
  pg_url=$REFNET_TEST_POSTGRES_URL
else
  pg_source="the default"
  pg_url=$default_pg
fi
if pg_err=$(pg_probe "$pg_url"); then
  export REFNET_TEST_POSTGRES_URL=$pg_url
  banner "PostgreSQL answers ($pg_source); the scenarios run on SQLite and PostgreSQL"
else
  unset REFNET_TEST_POSTGRES_URL
  # Never print the URL itself: it may hold a password.
  if [ "$ci" = true ]; then
    status=1
    loud "PostgreSQL is not available ($pg_source): ${pg_err}" \
      "CI=true: the PostgreSQL tests must run, so this run FAILS." \
      "Start PostgreSQL (see .ci/run) or set REFNET_TEST_POSTGRES_URL."
  else
    loud "PostgreSQL is not available ($pg_source): ${pg_err}" \
      "The PostgreSQL variants of the scenarios will be SKIPPED." \
      "Start a server on 127.0.0.1:5432 (user postgres) or set REFNET_TEST_POSTGRES_URL to run them."
  fi
fi

# --- vitest --------------------------------------------------------------------------------------
results_dir=$(mktemp -d -t refnet-test.XXXXXX)
trap 'rm -rf "$results_dir"' EXIT
results=$results_dir/vitest.json

banner "tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
vitest_status=$?

summary=$(node -e '
  const fs = require("node:fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { process.exit(2); }
  // A file that fails to load has no failing test of its own; count it, or "0 failed" would lie.
  const brokenFiles = (r.testResults ?? []).filter(
    (f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed"),
  ).length;
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (skipped > 0) console.log(`${skipped} skipped`);
  if (brokenFiles > 0) console.log(`${brokenFiles} test file(s) failed outside any test`);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed`);
' "$results")
summary_status=$?

echo
if [ "$summary_status" = 0 ]; then
  echo "$summary"
else
  echo "vitest wrote no results (exit code $vitest_status)"
fi

if [ "$vitest_status" != 0 ]; then
  exit "$vitest_status"
fi
exit "$status"
