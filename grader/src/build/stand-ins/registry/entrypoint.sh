#!/bin/sh
# /entrypoint.sh of the dockerlab registry stand-in, with the official
# registry image's contract:
#   docker run registry:2                       -> registry serve /etc/docker/registry/config.yml
#   docker run registry:2 /path/other.yml       -> registry serve /path/other.yml
#   docker run registry:2 garbage-collect X.yml -> registry garbage-collect X.yml
#   docker run registry:2 sh                    -> sh
set -e

case "${1:-}" in
    *.yaml|*.yml) set -- registry serve "$@" ;;
    serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac

exec "$@"
