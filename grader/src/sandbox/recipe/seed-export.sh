#!/bin/bash
# dockerlab-sandbox-seed-export: stops the inner engine (so that its store is
# consistent) and writes its data root to stdout as a tar archive: the
# pre-seeded store of the next sandboxes with the same base images.
set -euo pipefail
engine="$(cat /run/dockerlab/engine.pid)"
touch /run/dockerlab/engine-stopped
kill -TERM "$engine"
for _ in $(seq 1 200); do kill -0 "$engine" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$engine" 2>/dev/null; then echo "the inner engine did not stop within 20 s" >&2; exit 1; fi
exec tar -C /var/lib/docker --xattrs --xattrs-include='*' --numeric-owner -cf - .
