#!/usr/bin/env bash
# Runs the Firebase Emulator Suite (functions, firestore, pubsub, auth) for Maestro.
#   scripts/emulators.sh exec [firebase flags...] '<command>'   run a command, then stop
#   scripts/emulators.sh start [firebase flags...]              run until Ctrl-C
#
# firebase-tools normally downloads its emulator jars from Google storage and (from 15.x)
# wants Java 21. Where this machine has the gcloud emulator components and Java < 21 (the
# offline CI machine), point firebase-tools at those components instead; anywhere else this
# script changes nothing and firebase-tools downloads what it needs. See shared/TOOLCHAIN.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

mode="${1:?usage: emulators.sh exec|start [flags...] [command]}"; shift
firebase="$root/node_modules/.bin/firebase"
[ -x "$firebase" ] || { echo "firebase-tools is not installed: run 'npm ci' in $root first" >&2; exit 1; }

gcloud_platform="${GCLOUD_PLATFORM_DIR:-/usr/lib/google-cloud-sdk/platform}"
firestore_jar="$gcloud_platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
pubsub_bin="$gcloud_platform/pubsub-emulator/bin/cloud-pubsub-emulator"

java_major() {
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

if [ -f "$firestore_jar" ] && [ -x "$pubsub_bin" ] && [ "$(java_major)" -lt 21 ]; then
  cache="$root/.cache/emulators"
  launcher="$cache/firestore-launcher.jar"
  mkdir -p "$cache"
  if [ ! -f "$launcher" ] || [ "$firestore_jar" -nt "$launcher" ]; then
    # firebase-tools runs `java -jar <path>`; the gcloud jar has no Main-Class, so wrap it.
    printf 'Main-Class: com.google.cloud.datastore.emulator.firestore.CloudFirestore\nClass-Path: file:%s\n' \
      "$firestore_jar" > "$cache/manifest.txt"
    jar --create --file "$launcher" --manifest "$cache/manifest.txt"
  fi
  export FIRESTORE_EMULATOR_BINARY_PATH="$launcher"
  export PUBSUB_EMULATOR_BINARY_PATH="$pubsub_bin"
  echo "emulators.sh: using the gcloud Firestore and Pub/Sub emulators (Java $(java_major), offline mode)" >&2
fi

# The Functions emulator starts one worker process per concurrent event and gives each
# FUNCTIONS_DISCOVERY_TIMEOUT seconds (default 30) to load. A fan-out to hundreds of
# tenants starts hundreds at once on a small machine; give them time rather than failing
# the deliveries (Pub/Sub would redeliver them, but much later).
export FUNCTIONS_DISCOVERY_TIMEOUT="${FUNCTIONS_DISCOVERY_TIMEOUT:-180}"

# Offline by construction: nothing local may reach for an address outside the machine.
# Google's auth library (inside firebase-tools, the functions and the tests' clients)
# otherwise probes the cloud metadata server (the "MetadataLookupWarning … 403" noise);
# firebase-tools would otherwise ask the npm registry whether it is out of date.
export METADATA_SERVER_DETECTION=none
export NO_UPDATE_NOTIFIER=1
# firebase-tools fetches a "message of the day" from firebaseio.com unless its configstore
# says it did within a day: a configstore of the project's own that says so keeps it local.
export XDG_CONFIG_HOME="$root/.cache/firebase-config"
mkdir -p "$XDG_CONFIG_HOME/configstore"
printf '{"motd":{"fetched":%s},"usage":false}\n' "$(date +%s000)" > "$XDG_CONFIG_HOME/configstore/firebase-tools.json"
# The log chain runs keyed locally too (MAESTRO_LOG_CHAIN_KEYS, read by the Functions
# emulator from functions/.secret.local, which git ignores): a random local-only key is
# added once if the file has none; other lines (a GEMINI_API_KEY) are kept.
secret_local="$root/functions/.secret.local"
if ! grep -q '^MAESTRO_LOG_CHAIN_KEYS=' "$secret_local" 2>/dev/null; then
  [ -s "$secret_local" ] && [ -n "$(tail -c1 "$secret_local")" ] && echo >> "$secret_local"
  echo "MAESTRO_LOG_CHAIN_KEYS=local1:$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')" >> "$secret_local"
  chmod 600 "$secret_local"
  echo "emulators.sh: wrote a local log-chain key to functions/.secret.local" >&2
fi
# Likewise the broker's HTTP Basic credentials (HUMMINGBOT_API_CREDENTIALS, "user:password"):
# the emulator tests start a loopback Hummingbot API server that accepts exactly these.
if ! grep -q '^HUMMINGBOT_API_CREDENTIALS=' "$secret_local" 2>/dev/null; then
  [ -s "$secret_local" ] && [ -n "$(tail -c1 "$secret_local")" ] && echo >> "$secret_local"
  echo "HUMMINGBOT_API_CREDENTIALS=maestro-local:$(node -e 'process.stdout.write(require("crypto").randomBytes(16).toString("hex"))')" >> "$secret_local"
  chmod 600 "$secret_local"
fi
# And the key alert webhooks are signed with (MAESTRO_ALERT_SIGNING_KEY): the tests' receiver verifies with it.
if ! grep -q '^MAESTRO_ALERT_SIGNING_KEY=' "$secret_local" 2>/dev/null; then
  [ -s "$secret_local" ] && [ -n "$(tail -c1 "$secret_local")" ] && echo >> "$secret_local"
  echo "MAESTRO_ALERT_SIGNING_KEY=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')" >> "$secret_local"
  chmod 600 "$secret_local"
fi

only="${MAESTRO_EMULATORS:-functions,firestore,pubsub,auth}"
project="${MAESTRO_PROJECT:-demo-maestro}"
case "$mode" in
  exec)  exec "$firebase" emulators:exec --project "$project" --only "$only" "$@" ;;
  start) exec "$firebase" emulators:start --project "$project" --only "$only" "$@" ;;
  *) echo "unknown mode: $mode (exec|start)" >&2; exit 2 ;;
esac
