#!/usr/bin/env bash
# Builds the functions, starts the Emulator Suite with emulator-data/ imported, runs one
# market cycle for the demo tenant and prints the result. The emulators' own output (and
# every function's log) goes to .cache/emulators.log, so the terminal shows the demo's
# tables only. Emulators stay up until Ctrl-C; pass --exit to stop them after the printout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
npm --prefix functions run build >/dev/null

log="$root/.cache/emulators.log"
mkdir -p "$(dirname "$log")"
: > "$log"
# setsid: the emulators get a process group of their own, so stopping them stops every
# worker they started (and a Ctrl-C here reaches them through the trap, once).
setsid bash scripts/emulators.sh start --import=./emulator-data >"$log" 2>&1 &
emulators=$!
stop() {
  trap - EXIT INT TERM
  if kill -0 "$emulators" 2>/dev/null; then
    echo "Stopping the emulators…"
    kill -INT -- "-$emulators" 2>/dev/null || true
    wait "$emulators" 2>/dev/null || true
  fi
}
trap stop EXIT INT TERM

echo "Starting the emulators (functions, firestore, pubsub, auth); their log: .cache/emulators.log"
deadline=$((SECONDS + 240))
until grep -q "All emulators ready" "$log"; do
  if ! kill -0 "$emulators" 2>/dev/null; then
    echo "The emulators did not start; the end of .cache/emulators.log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "The emulators were not ready after 240 s; see .cache/emulators.log" >&2
    exit 1
  fi
  sleep 1
done

# What `firebase emulators:exec` would set for the script, from firebase.json's ports.
port() { node -p "require('./firebase.json').emulators.$1.port"; }
export GCLOUD_PROJECT="${MAESTRO_PROJECT:-demo-maestro}"
export FIRESTORE_EMULATOR_HOST="127.0.0.1:$(port firestore)"
export FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:$(port auth)"
export PUBSUB_EMULATOR_HOST="127.0.0.1:$(port pubsub)"
export FUNCTIONS_EMULATOR_HOST="127.0.0.1:$(port functions)"
export FIREBASE_EMULATOR_HUB="127.0.0.1:$(port hub)"
export METADATA_SERVER_DETECTION=none

node functions/lib/tools/demo.js "$@"
