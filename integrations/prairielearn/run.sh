#!/usr/bin/env bash
# PrairieLearn external grader entrypoint (externalGradingOptions.entrypoint).
# Grades the student's files in /grade/student with dockerlab against the Docker
# engine named by DOCKER_HOST (the grading container has none), and writes
# /grade/results/results.json: score 0..1, a test per check, `gradable: false`
# when nothing could be graded, at most 1 MB.
# The question's info.json sets DOCKERLAB_LAB (e.g. lab-03) and DOCKER_HOST in
# externalGradingOptions.environment; see info.json beside this file.
set -uo pipefail
results=/grade/results/results.json
mkdir -p /grade/results
lab=${DOCKERLAB_LAB:-}
if [ -z "$lab" ] || [ -z "${DOCKER_HOST:-}" ]; then
  printf '{"gradable": false, "message": "%s", "format_errors": ["%s"]}\n' \
    "Autograder misconfigured: DOCKERLAB_LAB and DOCKER_HOST must be set in externalGradingOptions.environment." \
    "Correction automatique mal configurée (DOCKERLAB_LAB / DOCKER_HOST) : ce n'est pas votre rendu, prévenez l'enseignant." > "$results"
  exit 0
fi
dockerlab grade "$lab" --submission /grade/student --lang "${DOCKERLAB_LANG:-fr}" --quiet \
  --reporter terminal --reporter "prairielearn=$results"
code=$?
# Only 0 and 1 are gradings; anything else is the grader's or the engine's failure: no attempt is used.
if [ "$code" -gt 1 ] || [ ! -s "$results" ]; then
  printf '{"gradable": false, "message": "%s", "format_errors": ["%s"]}\n' \
    "The autograder could not run (exit code $code): not your submission's fault, your attempt was not used." \
    "La correction automatique n'a pas pu avoir lieu (code $code) : ce n'est pas votre rendu, la tentative ne compte pas." > "$results"
fi
exit 0
