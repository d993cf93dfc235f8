#!/usr/bin/env bash
# Builds the functions, starts the Emulator Suite with emulator-data/ imported, runs one
# market cycle for the demo tenant and prints the result. Emulators stay up until Ctrl-C;
# pass --exit to stop them after the printout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm --prefix functions run build
exec bash scripts/emulators.sh exec --import=./emulator-data "node functions/lib/tools/demo.js $*"
