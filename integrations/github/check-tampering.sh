#!/usr/bin/env bash
# Reports, as GitHub notices, every course file (lab specs, the grader, its package
# files) whose copy in the student's repository differs from the course's pinned one.
# Grading never uses those copies; the notice tells the teacher someone edited them.
# Usage: check-tampering.sh COURSE_DIR STUDENT_DIR
# Prints the number of modified files on its last line (also as the step output `modified`).
set -euo pipefail
course=$1 student=$2
modified=0
# Paths come from the course's own file list, never from the student's repository.
while IFS= read -r -d '' path; do
  case $path in
    labs/lab.schema.json | labs/lab-[0-9][0-9]/lab.json | grader/* | package.json | package-lock.json) ;;
    *) continue ;;
  esac
  copy="$student/$path"
  [ -e "$copy" ] || [ -L "$copy" ] || continue
  course_hash=$(sha256sum < "$course/$path" | cut -d' ' -f1)
  if [ -L "$copy" ] || [ ! -f "$copy" ]; then student_hash=not-a-file; else student_hash=$(sha256sum < "$copy" | cut -d' ' -f1); fi
  if [ "$course_hash" != "$student_hash" ]; then
    modified=$((modified + 1))
    echo "::notice file=$path,title=Course file modified (ignored for grading)::$path differs from the course version (sha256 ${course_hash:0:12}…, here ${student_hash:0:12}…). The grader uses the course's copy. / $path diffère de la version du cours : le correcteur utilise celle du cours."
  fi
done < <(git -C "$course" ls-files -z)
[ -n "${GITHUB_OUTPUT:-}" ] && echo "modified=$modified" >> "$GITHUB_OUTPUT"
echo "$modified course file(s) modified in the student's repository"
