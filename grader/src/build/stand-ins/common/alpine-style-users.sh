#!/bin/sh
# adduser / addgroup for Debian-based stand-ins that also serve Alpine tags offline.
# Alpine images create users with busybox's syntax (adduser -D -u 1000 app,
# addgroup -S app, adduser -S -G app app); Debian's tools take --long options.
# Installed as /usr/local/sbin/adduser and addgroup (before /usr/sbin on PATH):
# busybox-style short options go to the busybox-syntax implementation
# (/usr/local/lib/dockerlab/<name> -> usertools), anything else to Debian's tool.
me=${0##*/}
for a in "$@"; do
    case $a in
        --*) exec "/usr/sbin/$me" "$@" ;;
        -[DSHhgsGuk]*) exec "/usr/local/lib/dockerlab/$me" "$@" ;;
    esac
done
exec "/usr/sbin/$me" "$@"
