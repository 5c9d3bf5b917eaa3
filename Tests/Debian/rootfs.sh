#!/usr/bin/env bash
# Debian 12 root file systems for `make fresh-check` and `make systemd-check`, built once and reused.
#
#   rootfs.sh image FLAVOUR      print the cached image directory of Tests/Debian/FLAVOUR.packages,
#                                building it first (debootstrap minbase + that list, ~2 min) if missing
#   rootfs.sh mount FLAVOUR DIR  overlay a throw-away copy of that image on DIR/root and print DIR/root
#   rootfs.sh umount DIR         unmount DIR/root and delete DIR (the run's writes go with it)
#
# The image lives outside the repository in $TRAKT_WIDGET_CI_CACHE (/var/cache/trakt-widget-ci), keyed
# by the package list, the suite and the mirror: editing the list builds a new image, and every run
# writes only into its own overlay, so the cached image stays exactly as debootstrap left it.
# Root only (debootstrap, mount).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${TRAKT_WIDGET_CI_CACHE:-/var/cache/trakt-widget-ci}
SUITE=bookworm
# The mirror this machine's apt uses, so the image comes from where the host's packages come from.
MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

die() { echo "rootfs.sh: $*" >&2; exit 1; }

packages() {  # the list without comments and blank lines, comma-separated for --include
  local list=$HERE/$1.packages
  [ -f "$list" ] || die "no package list $list"
  sed 's/#.*//' "$list" | tr -s ' \n' '\n' | sed '/^$/d' | paste -sd, -
}

image_dir() {
  local key
  key=$(printf '%s\n%s\n%s\n' "$SUITE" "$MIRROR" "$(packages "$1")" | sha256sum | cut -c1-16)
  echo "$CACHE/$1-$key"
}

build_image() {
  local flavour=$1 dir tmp
  dir=$(image_dir "$flavour")
  [ -d "$dir" ] && return 0
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  [ -d "$dir" ] && return 0  # built by a concurrent run while we waited
  tmp=$dir.tmp
  rm -rf "$tmp"
  echo "rootfs.sh: building $flavour image from $MIRROR (once; cached in $dir)" >&2
  debootstrap --variant=minbase --include="$(packages "$flavour")" "$SUITE" "$tmp" "$MIRROR" >&2
  # What a Debian 12 machine's apt sees: the release, its point updates and security updates.
  rm -f "$tmp/etc/apt/sources.list"
  cat > "$tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  chroot "$tmp" apt-get -q update >&2
  chroot "$tmp" apt-get clean
  echo "trakt-widget-$flavour" > "$tmp/etc/hostname"
  mv "$tmp" "$dir"
  flock -u 9
}

case ${1:-} in
  image)
    build_image "${2:?flavour}"
    image_dir "$2"
    ;;
  mount)
    flavour=${2:?flavour} run=${3:?run directory}
    build_image "$flavour"
    mkdir -p "$run/upper" "$run/work" "$run/root"
    mount -t overlay "trakt-widget-$flavour" \
      -o "lowerdir=$(image_dir "$flavour"),upperdir=$run/upper,workdir=$run/work" "$run/root"
    echo "$run/root"
    ;;
  umount)
    run=${2:?run directory}
    if mountpoint -q "$run/root"; then umount "$run/root"; fi
    rm -rf "$run"
    ;;
  *)
    sed -n '2,11p' "$0" >&2
    exit 2
    ;;
esac
