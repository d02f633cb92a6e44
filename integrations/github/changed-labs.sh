#!/usr/bin/env bash
# Which labs to grade, as a JSON array for a job matrix (e.g. ["lab-03","lab-04"]).
# Usage: changed-labs.sh COURSE_DIR STUDENT_DIR EVENT REQUESTED BEFORE AFTER
#   EVENT      the GitHub event (push, workflow_dispatch…)
#   REQUESTED  on workflow_dispatch: "all" or lab ids separated by spaces or commas
#   BEFORE/AFTER  on push: the commits before and after it (github.event.before / github.sha)
# A lab counts only if the course has it and the student's repository has its folder.
# On push, the labs with a changed file under labs/lab-NN/; every lab when the
# commit before is unknown (first push, force push, shallow clone).
set -euo pipefail
course=$1 student=$2 event=$3 requested=${4:-all} before=${5:-} after=${6:-HEAD}

known=()
for dir in "$course"/labs/lab-[0-9][0-9]; do
  lab=${dir##*/}
  [ -f "$dir/lab.json" ] && [ -d "$student/labs/$lab" ] && known+=("$lab")
done

is_known() {
  local lab
  for lab in "${known[@]}"; do [ "$lab" = "$1" ] && return 0; done
  return 1
}

chosen=()
if [ "$event" = workflow_dispatch ] && [ "$requested" != all ] && [ -n "$requested" ]; then
  for lab in ${requested//,/ }; do
    if is_known "$lab"; then chosen+=("$lab"); else echo "changed-labs.sh: ignoring \"$lab\": not a lab of the course present in this repository" >&2; fi
  done
elif [ "$event" = push ] && [ -n "$before" ] && [[ ! $before =~ ^0+$ ]] && git -C "$student" cat-file -e "$before^{commit}" 2>/dev/null; then
  while IFS= read -r lab; do
    is_known "$lab" && chosen+=("$lab")
  done < <(git -C "$student" diff --name-only "$before" "$after" -- labs | sed -n 's#^labs/\(lab-[0-9][0-9]\)/.*#\1#p' | sort -u)
else
  chosen=("${known[@]}")
fi

printf '['
sep=
for lab in "${chosen[@]}"; do
  printf '%s"%s"' "$sep" "$lab"
  sep=,
done
printf ']\n'
