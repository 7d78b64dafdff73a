#!/usr/bin/env bash
# Puts the repo's dependencies in place: the npm packages (npm ci, when node_modules is missing or
# older than package-lock.json) and Debian's nats-server (installed through apt when we are root).
# Quiet when everything is already there; on failure it prints what went wrong and what to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp -t refnet-deps.XXXXXX)
trap 'rm -f "$log"' EXIT

fail() {
  echo "ensure-deps: $1" >&2
  if [ -s "$log" ]; then
    echo "---- output ----" >&2
    tail -n 40 "$log" >&2
  fi
  exit 1
}

# --- npm packages --------------------------------------------------------------------------------
# The stamp records which package-lock.json node_modules was installed from, so that a checkout that
# only touches the lock file's mtime does not trigger a reinstall.
stamp=node_modules/.refnet-lock.sha256
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
need_ci=0
if [ ! -d node_modules ]; then
  need_ci=1
elif [ -f "$stamp" ]; then
  [ "$(cat "$stamp")" = "$lock_hash" ] || need_ci=1
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  need_ci=1
fi
if [ "$need_ci" = 1 ]; then
  command -v npm >/dev/null || fail "npm not found: install Node.js 20 or newer (https://nodejs.org)"
  npm ci --no-audit --no-fund >"$log" 2>&1 || fail "npm ci failed"
fi
[ -d node_modules ] && echo "$lock_hash" >"$stamp"

# --- nats-server ---------------------------------------------------------------------------------
have_nats() {
  [ -n "${REFNET_NATS_SERVER_BIN:-}" ] && [ -x "$REFNET_NATS_SERVER_BIN" ] && return 0
  command -v nats-server >/dev/null 2>&1 && return 0
  local p
  for p in /usr/sbin/nats-server /usr/local/bin/nats-server /usr/bin/nats-server; do
    [ -x "$p" ] && return 0
  done
  return 1
}

if ! have_nats; then
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      export DEBIAN_FRONTEND=noninteractive
      if ! apt-get install -y nats-server >"$log" 2>&1; then
        # A fresh container often has no package lists yet.
        { apt-get update && apt-get install -y nats-server; } >>"$log" 2>&1 ||
          fail "could not install nats-server with apt-get"
      fi
      have_nats || fail "apt-get installed nats-server but it is not on PATH or in /usr/sbin"
    else
      fail "nats-server not found: run \`sudo apt-get install -y nats-server\`"
    fi
  else
    fail "nats-server not found: install nats-server 2.9 or newer (https://github.com/nats-io/nats-server/releases) and put it on PATH, or set REFNET_NATS_SERVER_BIN"
  fi
fi
