#!/usr/bin/env bash
# PrairieLearn external grader entrypoint (externalGradingOptions.entrypoint).
# Grades the student's files in /grade/student, laid over the lab's given files
# (app.py, nginx/…: a question asks only for the deliverable), with dockerlab against
# the Docker engine named by DOCKER_HOST (the grading container has none), and writes
# /grade/results/results.json: score 0..1, a test per check, `gradable: false` when
# nothing could be graded (no attempt used), at most 1 MB.
# The question's info.json (made by new-question.sh) sets DOCKERLAB_LAB, DOCKER_HOST
# and DOCKERLAB_TIME_BUDGET in externalGradingOptions.environment.
#
# Time: PrairieLearn kills a job at its `timeout` (at most 600 s) and tells the student
# the grading failed. The grader is stopped first, at DOCKERLAB_TIME_BUDGET seconds
# (SIGTERM: it removes what it created, then exits 143), and the student gets
# `gradable: false` (the attempt does not count) with the reason.
set -uo pipefail
root=${DOCKERLAB_GRADE_ROOT:-/grade}   # another root only for testing this script
results=$root/results/results.json
mkdir -p "$root/results"
lab=${DOCKERLAB_LAB:-}
budget=${DOCKERLAB_TIME_BUDGET:-540}

not_gradable() {
  # $1: for the student (English / French); JSON-escaped by node, which the image has.
  node -e 'const [m, f] = process.argv.slice(1); process.stdout.write(JSON.stringify({ gradable: false, message: m, format_errors: [m, f] }) + "\n")' "$1" "$2" > "$results"
}

if [ -z "$lab" ] || [ -z "${DOCKER_HOST:-}" ]; then
  not_gradable "Autograder misconfigured: DOCKERLAB_LAB and DOCKER_HOST must be set in externalGradingOptions.environment; your attempt was not used." \
    "Correction automatique mal configurée (DOCKERLAB_LAB / DOCKER_HOST) : ce n'est pas votre rendu, la tentative ne compte pas."
  exit 0
fi

# The lab's given files from the installed grader, then the student's files over them.
labs=${DOCKERLAB_LABS_DIR:-$(npm root -g)/dockerlab/labs}
labs_option=()
[ -n "${DOCKERLAB_LABS_DIR:-}" ] && labs_option=(--labs-dir "$DOCKERLAB_LABS_DIR")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -d "$labs/$lab" ]; then
  cp -R "$labs/$lab/." "$work/"
  rm -f "$work/lab.json" "$work/README.md"
fi
cp -R "$root/student/." "$work/"

rm -f "$results"
timeout --signal=TERM --kill-after=30 "$budget" \
  dockerlab grade "$lab" --submission "$work" "${labs_option[@]}" --lang "${DOCKERLAB_LANG:-fr}" --quiet \
  --reporter terminal --reporter "prairielearn=$results"
code=$?
if [ "$code" -eq 124 ] || [ "$code" -eq 137 ] || [ "$code" -eq 143 ]; then
  not_gradable "The grading took longer than the $budget s this question allows (the grader's time, not your submission's fault): your attempt was not used; submit again or tell your teacher." \
    "La correction a dépassé les $budget s que permet cette question (ce n'est pas votre rendu) : la tentative ne compte pas ; soumettez à nouveau ou prévenez l'enseignant."
elif [ "$code" -gt 1 ] || [ ! -s "$results" ]; then
  # Only 0 and 1 are gradings; anything else is the grader's or the engine's failure: no attempt is used.
  not_gradable "The autograder could not run (exit code $code): not your submission's fault, your attempt was not used." \
    "La correction automatique n'a pas pu avoir lieu (code $code) : ce n'est pas votre rendu, la tentative ne compte pas."
fi
exit 0
