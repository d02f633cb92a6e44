#!/bin/sh
# Hook of the dockerlab nginx stand-in (same behaviour as the official image):
# every file *.template under /etc/nginx/templates (NGINX_ENVSUBST_TEMPLATE_DIR,
# suffix NGINX_ENVSUBST_TEMPLATE_SUFFIX) is passed through envsubst and written
# to /etc/nginx/conf.d (NGINX_ENVSUBST_OUTPUT_DIR) keeping its relative path and
# dropping the suffix. Only variables that are set in the environment (and,
# if NGINX_ENVSUBST_FILTER is set, whose names match that regex) are replaced,
# so nginx variables such as $host survive.
set -e

# messages go to fd 3 when run by the entrypoint, to stdout otherwise
{ true >&3; } 2>/dev/null || exec 3>&1

me=$(basename "$0")
template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
filter="${NGINX_ENVSUBST_FILTER:-}"

[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
    echo >&3 "$me: ERROR: $template_dir exists, but $output_dir is not writable"
    exit 0
fi

# "${A} ${B} ..." for the variables envsubst may replace
defined_envs=$(awk -v filter="$filter" 'BEGIN {
    for (name in ENVIRON)
        if (name ~ /^[A-Za-z_][A-Za-z0-9_]*$/ && (filter == "" || name ~ filter))
            printf "${%s} ", name
}')

find "$template_dir" -follow -type f -name "*$suffix" -print | sort | while IFS= read -r template; do
    relative_path="${template#"$template_dir/"}"
    output_path="$output_dir/${relative_path%"$suffix"}"
    mkdir -p "$(dirname "$output_path")"
    echo >&3 "$me: Running envsubst on $template to $output_path"
    envsubst "$defined_envs" < "$template" > "$output_path"
done
