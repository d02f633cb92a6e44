#!/usr/bin/env bash
# Runs jest (unit and docker projects, one file at a time: the docker tests share one engine
# and fixed lab names/ports), then prints the plain closing line 'N passed, N failed'.
#
# The whole suite (no argument) runs in two lanes at once: tests/docker/engine28.test.ts grades
# every lab on its own engine (Docker 28.5 in the dockerlab-engine28 container: its own image
# store, containers, names and ports), the rest on this machine's engine. Nothing of one lane
# is seen by the other, so their times overlap instead of adding up (CI has 90 minutes).
# DOCKERLAB_TEST_LANES=1 runs them one after the other, as a narrowed run always does.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .dockerlab
rm -f .dockerlab/jest.json .dockerlab/jest-engine28.json .dockerlab/jest-main.json
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
JEST=(node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --runInBand --json)
summary() {
  node -e 'const r = require(process.argv[1]); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))' "$1"
}

if [ $# -eq 0 ] && [ "${DOCKERLAB_TEST_LANES:-2}" != 1 ]; then
  ENGINE28=tests/docker/engine28.test.ts
  # Each engine's per-lab reports, for the verdict table printed at the end: none left from an earlier run.
  rm -rf .dockerlab/engine20 .dockerlab/engine28
  LANE_LOG=.dockerlab/lane-engine28.log
  echo "test.sh: $ENGINE28 runs in its own lane, beside the rest (its output: $LANE_LOG, printed when it ends)"
  "${JEST[@]}" --outputFile=.dockerlab/jest-engine28.json "$ENGINE28" --selectProjects docker >"$LANE_LOG" 2>&1 &
  lane=$!
  trap 'kill -- "$lane" 2>/dev/null' INT TERM
  "${JEST[@]}" --outputFile=.dockerlab/jest-main.json --testPathIgnorePatterns '/tests/docker/engine28\.test\.ts$'
  main_code=$?
  wait "$lane"
  lane_code=$?
  echo
  echo "test.sh: the $ENGINE28 lane (exit $lane_code):"
  cat "$LANE_LOG"
  # One report, as a single run writes it: counts added up, test files side by side.
  node -e '
    const fs = require("fs");
    const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
    const parts = [read(".dockerlab/jest-main.json"), read(".dockerlab/jest-engine28.json")];
    const out = { success: parts.every((p) => p && p.success), testResults: [] };
    for (const p of parts.filter(Boolean)) {
      for (const [k, v] of Object.entries(p)) if (/^num/.test(k)) out[k] = (out[k] ?? 0) + v;
      out.testResults.push(...p.testResults);
      out.startTime = Math.min(out.startTime ?? Infinity, p.startTime);
    }
    if (parts.some((p) => !p)) { out.numFailedTestSuites = (out.numFailedTestSuites ?? 0) + 1; out.missing = parts.map((p, i) => p ? null : ["main", "engine28"][i]).filter(Boolean); }
    fs.writeFileSync(".dockerlab/jest.json", JSON.stringify(out));
  '
  echo
  echo "test.sh: the verdict table per engine (scripts/verdict-table.mjs; the jest lanes above are the verdict on the suite):"
  node scripts/verdict-table.mjs || true
  echo
  summary ./.dockerlab/jest.json
  [ -f .dockerlab/jest-engine28.json ] || echo "test.sh: the $ENGINE28 lane wrote no result (see its output above)"
  [ "$main_code" -eq 0 ] && [ "$lane_code" -eq 0 ] && [ -f .dockerlab/jest-engine28.json ] && [ -f .dockerlab/jest-main.json ]
  exit $?
fi

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
"${JEST[@]}" --outputFile=.dockerlab/jest.json "$@"
code=$?
if [ -f .dockerlab/jest.json ]; then summary ./.dockerlab/jest.json; fi
exit $code
