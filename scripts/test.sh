#!/usr/bin/env bash
# Runs jest (unit and docker projects, one file at a time: the docker tests share one engine
# and fixed lab names/ports), then prints the plain closing line 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .dockerlab
rm -f .dockerlab/jest.json
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
# jest's --selectProjects takes every word after it as a project name, so
# `test.sh --selectProjects docker tests/docker/x.test.ts` would run the whole docker project:
# keep one project name after it and move the test paths in front.
args=() paths=() after=0
for a in "$@"; do
  if [ "$after" = 2 ] && [ "${a#-}" = "$a" ]; then paths+=("$a"); continue; fi
  [ "$after" = 1 ] && after=2
  [ "$a" = "--selectProjects" ] && after=1
  [ "${a#-}" != "$a" ] && [ "$a" != "--selectProjects" ] && after=0
  args+=("$a")
done
set -- "${paths[@]}" "${args[@]}"
node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --runInBand --json --outputFile=.dockerlab/jest.json "$@"
code=$?
if [ -f .dockerlab/jest.json ]; then
  node -e 'const r = require("./.dockerlab/jest.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))'
fi
exit $code
