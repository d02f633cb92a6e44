#!/usr/bin/env bash
# make-rootfs.sh DIR
#
# Builds the root filesystem of the offline stand-in for `debian:bookworm-slim`
# (used when no image registry is reachable). It runs
#   debootstrap --variant=minbase bookworm DIR <mirror>
# where <mirror> is the Debian mirror apt uses on this machine (read from
# /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}; fallback
# http://deb.debian.org/debian; override with DEBIAN_MIRROR=...), then slims
# it the way the official image is slimmed (no docs/man/locales, no apt lists,
# the same apt/dpkg "docker" snippets and policy-rc.d as debuerreotype adds)
# and writes /etc/apt/sources.list.d/debian.sources pointing at that mirror so
# `apt-get update && apt-get install ...` works inside containers.
#
# The caller then imports it, e.g.:
#   tar -C DIR -c . | docker import \
#     --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
#     --change 'CMD ["bash"]' \
#     --change 'LABEL dockerlab.stand-in="true" dockerlab.stand-in.for="debian:bookworm-slim"' \
#     - debian:bookworm-slim
# (the ENV line is optional: it only makes `docker inspect` show the same
# Config.Env as the official image; the engine uses that PATH by default.)
#
# Needs root and debootstrap. Exits non-zero with a message on any failure.
set -Eeuo pipefail

SUITE=bookworm
FALLBACK_MIRROR=http://deb.debian.org/debian

die() { echo "make-rootfs.sh: error: $*" >&2; exit 1; }
trap 'die "command failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

[ $# -eq 1 ] || die "usage: make-rootfs.sh DIR"
DIR=$1
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap needs it)"
command -v debootstrap >/dev/null 2>&1 \
  || die "debootstrap not found (apt-get install -y debootstrap)"
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
  die "target directory $DIR exists and is not empty"
fi

# --- find the mirror apt uses ------------------------------------------------
# Prints "URI<TAB>SUITE" for every deb source configured for apt on this host.
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # one-line format: deb [opts] URI SUITE COMPONENTS...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" \
      | awk '$1 == "deb" && NF >= 3 { printf "%s\t%s\n", $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 format: stanzas separated by blank lines
    awk '
      function flush(   i, j) {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/)
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
            printf "%s\t%s\n", u[i], s[j]
        types = ""; enabled = ""; nu = 0; ns = 0
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"   { $1 = ""; types = $0; next }
      tolower($1) == "enabled:" { $1 = ""; enabled = $0; next }
      tolower($1) == "uris:"    { nu = 0; for (i = 2; i <= NF; i++) u[++nu] = $i; next }
      tolower($1) == "suites:"  { ns = 0; for (i = 2; i <= NF; i++) s[++ns] = $i; next }
      END { flush() }
    ' "$f"
  done
}

# URI serving "$1" exactly (e.g. bookworm or bookworm-security); first wins.
mirror_for() {
  apt_sources 2>/dev/null | awk -F'\t' -v suite="$1" '
    $2 == suite && $1 ~ /^https?:\/\// { u = $1; sub(/\/+$/, "", u); print u; exit }' || true
}

MIRROR=${DEBIAN_MIRROR:-$(mirror_for "$SUITE")}
MIRROR=${MIRROR:-$FALLBACK_MIRROR}
SECURITY_MIRROR=$(mirror_for "$SUITE-security")
if [ -z "$SECURITY_MIRROR" ]; then
  case $MIRROR in
    */debian) SECURITY_MIRROR=${MIRROR}-security ;;
    *)        SECURITY_MIRROR=http://deb.debian.org/debian-security ;;
  esac
fi
echo "make-rootfs.sh: debootstrap $SUITE from $MIRROR into $DIR" >&2

# --- bootstrap -----------------------------------------------------------------
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
if ! debootstrap --variant=minbase "$SUITE" "$DIR" "$MIRROR" >"$DIR.debootstrap.log" 2>&1; then
  tail -n 30 "$DIR.debootstrap.log" >&2 || true
  [ -f "$DIR/debootstrap/debootstrap.log" ] && tail -n 30 "$DIR/debootstrap/debootstrap.log" >&2
  die "debootstrap failed (mirror $MIRROR); full log: $DIR.debootstrap.log"
fi
rm -f "$DIR.debootstrap.log"
if [ ! -x "$DIR/bin/bash" ] || [ ! -x "$DIR/usr/bin/apt-get" ]; then
  die "debootstrap finished but $DIR has no bash/apt-get"
fi

# --- apt sources usable inside containers --------------------------------------
rm -f "$DIR/etc/apt/sources.list"
mkdir -p "$DIR/etc/apt/sources.list.d"
cat >"$DIR/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# --- container tweaks, as the official image has them (debuerreotype) ---------
# services must not be started by package installs during docker build
cat >"$DIR/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# prevent init scripts from running during install/update
exit 101
EOF
chmod 0755 "$DIR/usr/sbin/policy-rc.d"

mkdir -p "$DIR/etc/apt/apt.conf.d" "$DIR/etc/dpkg/dpkg.cfg.d"
cat >"$DIR/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::GzipIndexes "true";' >"$DIR/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"$DIR/etc/apt/apt.conf.d/docker-no-languages"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$DIR/etc/apt/apt.conf.d/docker-autoremove-suggests"
cat >"$DIR/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# keep docs, man pages and translations out of derived images (as in debian:*-slim)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF

# --- trim ------------------------------------------------------------------------
find "$DIR/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$DIR/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$DIR"/usr/share/man/* "$DIR"/usr/share/groff/* "$DIR"/usr/share/info/* \
       "$DIR"/usr/share/lintian/* "$DIR"/usr/share/linda/*
find "$DIR/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias \
  -exec rm -rf {} + 2>/dev/null || true
rm -rf "$DIR"/var/lib/apt/lists/* "$DIR"/var/cache/apt/* "$DIR"/var/cache/debconf/*-old \
       "$DIR"/var/lib/dpkg/*-old "$DIR"/var/log/*.log "$DIR"/var/log/apt/* \
       "$DIR"/debootstrap "$DIR"/tmp/* "$DIR"/var/tmp/*
mkdir -p "$DIR/var/lib/apt/lists/partial"
# the engine provides these at run time
: >"$DIR/etc/resolv.conf"
: >"$DIR/etc/hostname"
rm -f "$DIR/etc/machine-id" && : >"$DIR/etc/machine-id"

echo "make-rootfs.sh: rootfs ready in $DIR ($(du -sh "$DIR" | cut -f1))" >&2
