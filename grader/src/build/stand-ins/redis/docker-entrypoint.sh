#!/bin/sh
# docker-entrypoint.sh of the dockerlab redis stand-in (same contract as the
# official redis image's entrypoint, see the Dockerfile).
set -e

# `docker run redis:7 --appendonly yes` / `... /path/redis.conf`
case "${1:-}" in
    -*|*.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
    # let the redis user own its data directory, then run as that user
    find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "${1:-}" = redis-server ]; then
    # Redis defaults to protected mode, which refuses clients from other
    # containers when no password is set. The official image compiles Redis
    # with protected-mode defaulting to "no"; Debian's build does not, so pass
    # `--protected-mode no` first (later options and a config file that sets
    # protected-mode still win). Not for informational runs (--version, ...),
    # which reject extra options.
    protected_mode_flag=yes
    config_file=
    case "${2:-}" in
        -v|--version|-h|--help|--test-memory|--check-system) protected_mode_flag= ;;
    esac
    if [ -n "$protected_mode_flag" ] && [ -n "${2:-}" ] && [ -f "$2" ]; then
        config_file=$2
        if grep -qiE '^[[:space:]]*protected-mode[[:space:]]' "$config_file"; then
            protected_mode_flag=
        fi
    fi
    if [ -n "$protected_mode_flag" ]; then
        shift
        if [ -n "$config_file" ]; then
            shift
            set -- redis-server "$config_file" --protected-mode no "$@"
        else
            set -- redis-server --protected-mode no "$@"
        fi
    fi

    um=$(umask)
    if [ "$um" = 0022 ] || [ "$um" = 022 ]; then
        umask 0077
    fi
fi

exec "$@"
