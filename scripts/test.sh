#!/usr/bin/env bash
# Runs jest (unit and docker projects, one file at a time: the docker tests share one engine
# and fixed lab names/ports), then prints the plain closing line 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .dockerlab
rm -f .dockerlab/jest.json
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --runInBand --json --outputFile=.dockerlab/jest.json "$@"
code=$?
if [ -f .dockerlab/jest.json ]; then
  node -e 'const r = require("./.dockerlab/jest.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))'
fi
exit $code
