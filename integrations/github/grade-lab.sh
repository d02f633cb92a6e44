#!/usr/bin/env bash
# Grades one lab of a student's repository with the course's own grader and lab
# specs (COURSE_DIR, a checkout of the course at a pinned ref): the student's copy
# of the grader and of lab.json is never used, only their files in labs/LAB/.
# Usage: grade-lab.sh COURSE_DIR STUDENT_DIR LAB [more dockerlab options…]
# The exit code is the grader's: 0 full marks, 1 points missing, 2 bad usage, 3 no engine.
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: grade-lab.sh COURSE_DIR STUDENT_DIR LAB [dockerlab options…]" >&2
  exit 2
fi
course=$1 student=$2 lab=$3
shift 3
if ! [[ $lab =~ ^lab-[0-9]{2}$ ]]; then
  echo "grade-lab.sh: \"$lab\" is not a lab id (lab-NN)" >&2
  exit 2
fi
if [ ! -f "$course/labs/$lab/lab.json" ]; then
  echo "grade-lab.sh: the course has no $lab (no $course/labs/$lab/lab.json at the pinned ref)" >&2
  exit 2
fi
if [ ! -f "$course/grader/dist/cli.js" ]; then
  echo "grade-lab.sh: the grader is not built in $course (run npm ci there first)" >&2
  exit 2
fi
bash "$course/integrations/github/prepare-runner.sh"
exec node "$course/grader/dist/cli.js" grade "$lab" --submission "$student/labs/$lab" "$@"
