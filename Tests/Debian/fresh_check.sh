#!/usr/bin/env bash
# `make fresh-check`: the README's two commands on a fresh Debian 12 machine.
#
# A throw-away overlay of the cached "fresh" image (Tests/Debian/fresh.packages: minbase, git, make,
# python3 and the Swift toolchain's own run-time needs), the Swift toolchain /opt/swift and the Swift
# package mirror /opt/swift-packages bind-mounted read-only, git redirected to that mirror as on this
# machine, and a clean clone of the committed HEAD. Then, as the README says:
#   1. `make test` alone (it installs its own packages from Debian) must pass;
#   2. `make run` must answer GET /api/trakt/last on 127.0.0.1:8080. It runs in a private network
#      namespace, so that port is the container's own and never this machine's.
# Logs: .build/fresh-check/. Root only (overlay mount, systemd-nspawn).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LOGS=$REPO/.build/fresh-check
mkdir -p "$LOGS"
RUN=$(mktemp -d /var/tmp/trakt-widget-fresh.XXXXXX)
trap '"$HERE/rootfs.sh" umount "$RUN"' EXIT
ROOT=$("$HERE/rootfs.sh" mount fresh "$RUN")

git clone -q --no-hardlinks "$REPO" "$ROOT/root/trakt-widget"
echo "fresh-check: clean clone of $(git -C "$ROOT/root/trakt-widget" log -1 --format='%h %s')"
mkdir -p "$ROOT/opt/swift" "$ROOT/opt/swift-packages"
# The same url.*.insteadOf rules this machine's git has, so SwiftPM resolves from the mirror.
git config --system --get-regexp '^url\..*\.insteadof$' | while read -r key value; do
  git config --file "$ROOT/etc/gitconfig" --add "$key" "$value"
done

in_root() {
  systemd-nspawn --quiet --register=no --keep-unit -D "$ROOT" \
    --bind-ro=/opt/swift --bind-ro=/opt/swift-packages \
    --setenv=PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --chdir=/root/trakt-widget "$@"
}

started=$(date +%s)
if ! in_root make test > "$LOGS/make-test.log" 2>&1; then
  tail -n 40 "$LOGS/make-test.log"
  echo "fresh-check: FAIL: make test in a fresh Debian 12 root ($(($(date +%s) - started)) s; log: $LOGS/make-test.log)"
  exit 1
fi
test_seconds=$(($(date +%s) - started))
plain() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$LOGS/make-test.log"; }  # without colours and line erases
swift_summary=$(plain | grep -Eo 'Test run with [0-9]+ tests? in [0-9]+ suites? passed' | tail -n1 || true)
pytest_summary=$(plain | grep -E '^[0-9]+ passed' | tail -n1 || true)
echo "fresh-check: make test passed in ${test_seconds} s (swift: ${swift_summary:-?}; pytest: ${pytest_summary:-?})"

# `make run` in the background; the endpoint is polled until it answers or make run exits.
started=$(date +%s)
if ! in_root --private-network /bin/bash -c '
    make run > /root/make-run.log 2>&1 &
    run=$!
    python3 - "$run" <<"EOF"
import json, sys, time, urllib.request
run, deadline = int(sys.argv[1]), time.monotonic() + 1200
def running():  # make is a child of the shell: once it exits it is gone or a zombie
    try:
        with open(f"/proc/{run}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
while time.monotonic() < deadline:
    if not running():
        sys.exit("make run exited before answering")
    try:
        with urllib.request.urlopen("http://127.0.0.1:8080/api/trakt/last", timeout=5) as response:
            ok = json.load(response).get("ok")
            print(f"GET /api/trakt/last -> {response.status}, ok={ok}")
            sys.exit(0 if response.status == 200 and ok is True else 1)
    except OSError:
        time.sleep(0.5)
sys.exit("no answer on 127.0.0.1:8080 within 20 min")
EOF
  '; then
  cp "$ROOT/root/make-run.log" "$LOGS/make-run.log" 2>/dev/null || true
  tail -n 40 "$LOGS/make-run.log" 2>/dev/null || true
  echo "fresh-check: FAIL: make run did not answer ($(($(date +%s) - started)) s; log: $LOGS/make-run.log)"
  exit 1
fi
cp "$ROOT/root/make-run.log" "$LOGS/make-run.log"
echo "fresh-check: make run answered in $(($(date +%s) - started)) s"
echo "fresh-check: PASS"
