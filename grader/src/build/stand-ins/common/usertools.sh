#!/bin/sh
# adduser / addgroup / deluser / delgroup for the dockerlab busybox stand-in.
# Debian's busybox-static is built without busybox's user-management applets,
# which the official busybox image has; this script (installed as
# /bin/usertools, with those four names linked to it) implements the options
# Dockerfiles commonly use, with the busybox syntax:
#   adduser [-D] [-S] [-H] [-h HOME] [-g GECOS] [-s SHELL] [-G GROUP] [-u UID] [-k SKEL] USER [GROUP]
#     (with GROUP as 2nd argument and USER existing: add USER to GROUP)
#   addgroup [-S] [-g GID] GROUP      |   addgroup USER GROUP (add USER to GROUP)
#   deluser USER [GROUP]              |   delgroup [USER] GROUP
set -ef
me=${0##*/}
die() { echo "$me: $*" >&2; exit 1; }
PASSWD=/etc/passwd GROUP=/etc/group SHADOW=/etc/shadow

field_exists() { cut -d: -f"$2" "$1" | grep -qx -- "$3"; }   # file, field, value
next_id() {                                                 # file, first id
    id=$2
    while cut -d: -f3 "$1" | grep -qx "$id"; do id=$((id + 1)); done
    echo "$id"
}
check_name() {
    case $1 in ''|-*|*[!A-Za-z0-9._-]*) die "invalid name '$1'" ;; esac
}
add_member() {                                              # user, group
    field_exists "$GROUP" 1 "$2" || die "unknown group $2"
    awk -F: -v OFS=: -v u="$1" -v g="$2" '
        $1 == g { n = split($4, m, ","); found = 0
                  for (i = 1; i <= n; i++) if (m[i] == u) found = 1
                  if (!found) $4 = ($4 == "" ? u : $4 "," u) }
        { print }' "$GROUP" > "$GROUP.new" && cat "$GROUP.new" > "$GROUP" && rm -f "$GROUP.new"
}
add_group() {                                               # name, gid, system
    check_name "$1"
    field_exists "$GROUP" 1 "$1" && die "group '$1' in use"
    gid=$2
    if [ -z "$gid" ]; then
        if [ -n "$3" ]; then gid=$(next_id "$GROUP" 100); else gid=$(next_id "$GROUP" 1000); fi
    fi
    field_exists "$GROUP" 3 "$gid" && die "gid '$gid' in use"
    echo "$1:x:$gid:" >> "$GROUP"
}

# parse_options SPEC ARGS...: busybox/GNU-style option parsing (options may
# follow operands, flags may be combined as in -DH, values may be attached
# as in -u1000 or separate). Sets OPTS to one word per option ("D", "u1000";
# values are %b-escaped so that they stay one word) and ARGS to the quoted
# operands for `eval "set -- $ARGS"`.
parse_options() {
    spec=$1; shift
    OPTS='' ARGS=''
    while [ $# -gt 0 ]; do
        a=$1; shift
        case $a in
            --) for r in "$@"; do ARGS="$ARGS '$(printf '%s' "$r" | sed "s/'/'\\\\''/g")'"; done; break ;;
            -?*)
                a=${a#-}
                while [ -n "$a" ]; do
                    c=$(printf '%s' "$a" | cut -c1); a=${a#?}
                    case $spec in
                        *"$c:"*)
                            if [ -z "$a" ]; then
                                [ $# -gt 0 ] || die "option -$c needs a value"
                                a=$1; shift
                            fi
                            OPTS="$OPTS $c$(printf '%s' "$a" | sed 's/\\/\\\\/g; s/ /\\040/g; s/\t/\\011/g')"; a= ;;
                        *"$c"*) OPTS="$OPTS $c" ;;
                        *) die "unknown option -$c" ;;
                    esac
                done ;;
            *) ARGS="$ARGS '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'" ;;
        esac
    done
}

case $me in
adduser)
    home='' gecos='' shell=/bin/sh group='' uid='' system='' nohome=''
    parse_options 'h:g:s:G:u:k:DSH' "$@"
    for o in $OPTS; do
        v=${o#?}; v=$(printf '%b' "$v")
        case $o in
            h*) home=$v ;; g*) gecos=$v ;; s*) shell=$v ;; G*) group=$v ;; u*) uid=$v ;;
            S) system=1; shell=/bin/false ;; H) nohome=1 ;; [kD]*) ;;
        esac
    done
    eval "set -- $ARGS"
    [ $# -ge 1 ] || die "usage: adduser [-DSH] [-h HOME] [-g GECOS] [-s SHELL] [-G GROUP] [-u UID] USER [GROUP]"
    user=$1
    if [ $# -ge 2 ] && field_exists "$PASSWD" 1 "$user"; then
        add_member "$user" "$2"; exit 0
    fi
    [ -z "$group" ] && [ $# -ge 2 ] && group=$2
    check_name "$user"
    field_exists "$PASSWD" 1 "$user" && die "user '$user' in use"
    if [ -z "$uid" ]; then
        if [ -n "$system" ]; then uid=$(next_id "$PASSWD" 100); else uid=$(next_id "$PASSWD" 1000); fi
    fi
    field_exists "$PASSWD" 3 "$uid" && die "uid '$uid' in use"
    if [ -z "$group" ]; then
        # busybox creates a group named like the user (gid = uid if free)
        if [ -n "$system" ]; then
            group=nogroup
        else
            group=$user
            if field_exists "$GROUP" 3 "$uid"; then add_group "$group" "" ""; else add_group "$group" "$uid" ""; fi
        fi
    fi
    field_exists "$GROUP" 1 "$group" || die "unknown group $group"
    gid=$(awk -F: -v g="$group" '$1 == g { print $3; exit }' "$GROUP")
    [ -n "$home" ] || home=/home/$user
    echo "$user:x:$uid:$gid:${gecos:-Linux User,,,}:$home:$shell" >> "$PASSWD"
    [ -f "$SHADOW" ] && echo "$user:!:$(( $(date +%s) / 86400 )):0:99999:7:::" >> "$SHADOW"
    if [ -z "$nohome" ] && [ ! -e "$home" ]; then
        mkdir -p "$home" && chown "$uid:$gid" "$home" && chmod 2755 "$home"
    fi
    ;;
addgroup)
    gid='' system=''
    parse_options 'g:S' "$@"
    for o in $OPTS; do
        case $o in g*) gid=${o#g} ;; S) system=1 ;; esac
    done
    eval "set -- $ARGS"
    case $# in
        1) add_group "$1" "$gid" "$system" ;;
        2) field_exists "$PASSWD" 1 "$1" || die "unknown user $1"; add_member "$1" "$2" ;;
        *) die "usage: addgroup [-S] [-g GID] GROUP | addgroup USER GROUP" ;;
    esac
    ;;
deluser|delgroup)
    [ $# -ge 1 ] || die "usage: $me NAME [GROUP]"
    if [ $# -ge 2 ]; then           # remove member $1 from group $2
        awk -F: -v OFS=: -v u="$1" -v g="$2" '
            $1 == g { n = split($4, m, ","); s = ""
                      for (i = 1; i <= n; i++) if (m[i] != u) s = (s == "" ? m[i] : s "," m[i])
                      $4 = s }
            { print }' "$GROUP" > "$GROUP.new"
        cat "$GROUP.new" > "$GROUP"; rm -f "$GROUP.new"
        exit 0
    fi
    if [ "$me" = deluser ]; then
        field_exists "$PASSWD" 1 "$1" || die "unknown user $1"
        for f in "$PASSWD" "$SHADOW"; do
            [ -f "$f" ] || continue
            grep -v "^$1:" "$f" > "$f.new" || true
            cat "$f.new" > "$f"; rm -f "$f.new"
        done
    else
        field_exists "$GROUP" 1 "$1" || die "unknown group $1"
        grep -v "^$1:" "$GROUP" > "$GROUP.new" || true
        cat "$GROUP.new" > "$GROUP"; rm -f "$GROUP.new"
    fi
    ;;
*)
    die "call me as adduser, addgroup, deluser or delgroup"
    ;;
esac
