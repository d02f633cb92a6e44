#!/bin/sh
# /docker-entrypoint.sh of the dockerlab nginx stand-in.
# Same contract as the official nginx image's entrypoint: when the command is
# `nginx` or `nginx-debug`, run the hooks in /docker-entrypoint.d/ in sorted
# order (executable *.sh are run, executable *.envsh are sourced so they can
# export variables, anything else is ignored), then exec the command. Any
# other command (e.g. `docker run nginx:1.27 nginx -t`, `bash`) is exec'ed
# directly. NGINX_ENTRYPOINT_QUIET_LOGS=1 silences the hook messages.
set -e

if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
    exec 3>&1
else
    exec 3>/dev/null
fi

run_hooks() {
    hook_dir=/docker-entrypoint.d
    hooks=$(find "$hook_dir/" -follow -mindepth 1 -maxdepth 1 -type f 2>/dev/null | sort -n)
    if [ -z "$hooks" ]; then
        echo >&3 "$0: No files found in $hook_dir/, skipping configuration"
        return 0
    fi
    echo >&3 "$0: $hook_dir/ is not empty, will attempt to perform configuration"
    saved_ifs=$IFS
    IFS='
'
    set -f
    for hook in $hooks; do
        IFS=$saved_ifs
        set +f
        case "$hook" in
            *.envsh)
                if [ -x "$hook" ]; then
                    echo >&3 "$0: Sourcing $hook"
                    # shellcheck disable=SC1090
                    . "$hook"
                else
                    echo >&3 "$0: Ignoring $hook, not executable"
                fi
                ;;
            *.sh)
                if [ -x "$hook" ]; then
                    echo >&3 "$0: Launching $hook"
                    "$hook"
                else
                    echo >&3 "$0: Ignoring $hook, not executable"
                fi
                ;;
            *)
                echo >&3 "$0: Ignoring $hook"
                ;;
        esac
    done
    IFS=$saved_ifs
    set +f
    echo >&3 "$0: Configuration complete; ready for start up"
}

case "${1:-}" in
    nginx|nginx-debug) run_hooks ;;
esac

exec "$@"
