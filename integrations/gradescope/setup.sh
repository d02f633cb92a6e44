#!/usr/bin/env bash
# Gradescope autograder set-up (runs once, when Gradescope builds the autograder image).
# The zip holds this file, run_autograder, config.env and the packed grader
# (dockerlab-*.tgz, from `npm pack` in the course repository); see integrations/README.md.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The docker CLI only: Gradescope's container runs no engine, the grading uses the one named by DOCKER_HOST.
apt-get install -y -qq --no-install-recommends ca-certificates curl gnupg docker.io
# Node 20 (the grader needs >= 20.19) from the distribution when it is new enough, else from NodeSource.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y -qq nodejs
fi
tarball=$(ls /autograder/source/dockerlab-*.tgz | tail -n 1)
npm install --global --no-audit --no-fund "$tarball"
dockerlab --help > /dev/null
echo "dockerlab installed from $tarball: $(command -v dockerlab)"
