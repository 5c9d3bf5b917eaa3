#!/usr/bin/env python3
"""`make systemd-check`: the .deb on a booted Debian 12 with systemd 252 as PID 1.

A throw-away overlay of the cached "systemd" image (Tests/Debian/rootfs.sh) boots under
`systemd-nspawn -b --private-network`. The package goes in with `apt install ./….deb`, so its
dependencies come from Debian, and is configured as docs/deploy.md tells an operator to: the env file
pointed at the fake upstream (Tests/Fake, run in the container's network namespace, which this script
joins), the client secret, a bootstrap refresh token and the TMDB key in /etc/credstore, the site
enabled with a certificate. Each check below proves one claim of docs/deploy.md; every check runs and
the script exits 1 if any failed.

    python3 Tests/Debian/systemd_check.py .build/trakt-widget_<version>_amd64.deb

Root only. Logs (the container's console, journal, fake) go to .build/systemd-check/.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))

from harness import FakeUpstream, http_request, wait_until  # noqa: E402

ROOTFS = REPO / "Tests" / "Debian" / "rootfs.sh"
LOGS = REPO / ".build" / "systemd-check"
SITE = "trakt.example.com"
# A second server{} on plain HTTP without nginx's cache and rate limit, so load reaches the responder.
LOAD_PORT = 8081
LOAD_SITE = f"""server {{
    listen 127.0.0.1:{LOAD_PORT};
    location /api/ {{
        include fastcgi_params;
        fastcgi_pass trakt_widget_fcgi;
    }}
}}
"""
CLONE_NEWNET = 0x40000000


class Container:
    """Debian 12 booted with systemd as PID 1 in its own network namespace."""

    def __init__(self, root: Path, console: Path) -> None:
        self.root = root
        self._console = open(console, "wb")
        self._nspawn = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "-D", str(root), "-b", "--register=no", "--keep-unit",
             "--private-network"],
            stdin=subprocess.DEVNULL, stdout=self._console, stderr=subprocess.STDOUT)
        try:
            self.pid = wait_until(self._pid1, 60, "the container's PID 1")
            # "offline" until PID 1 has set up its control socket; then --wait blocks until boot is done.
            state = wait_until(lambda: self.run("systemctl", "is-system-running", "--wait", check=False,
                                                timeout=120).stdout.strip() not in ("", "offline") and
                               self.run("systemctl", "is-system-running", check=False).stdout.strip(),
                               60, "systemd in the container")
            if state not in ("running", "degraded"):
                raise RuntimeError(f"container booted to {state!r}")
        except BaseException:
            self.stop()
            raise

    def _pid1(self) -> int | None:
        if self._nspawn.poll() is not None:
            raise RuntimeError(f"systemd-nspawn exited with {self._nspawn.returncode}")
        children = Path(f"/proc/{self._nspawn.pid}/task/{self._nspawn.pid}/children").read_text().split()
        for child in children:
            if Path(f"/proc/{child}/comm").read_text().strip() == "systemd":
                return int(child)
        return None

    def run(self, *argv: str, check: bool = True, timeout: float = 60, host_network: bool = False,
            input: str | None = None) -> subprocess.CompletedProcess:
        """argv inside the container (all its namespaces; host_network keeps this machine's, for apt)."""
        spaces = ["-m", "-u", "-i", "-p", "-C", "-r", "-w"] if host_network else ["-a"]
        result = subprocess.run(["nsenter", "-t", str(self.pid), *spaces, "--", *argv], capture_output=True,
                                text=True, timeout=timeout, input=input,
                                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                                     "DEBIAN_FRONTEND": "noninteractive"})
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} -> {result.returncode}\n{result.stdout}{result.stderr}")
        return result

    def sh(self, script: str, **kwargs) -> str:
        return self.run("/bin/sh", "-ec", script, **kwargs).stdout

    def show(self, unit: str, prop: str) -> str:
        return self.run("systemctl", "show", "-P", prop, unit).stdout.strip()

    def write(self, path: str, text: str, mode: int = 0o644) -> None:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)

    def join_network(self) -> None:
        """Move this process (and what it starts later) into the container's network namespace."""
        libc = ctypes.CDLL(None, use_errno=True)
        with open(f"/proc/{self.pid}/ns/net") as ns:
            if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")

    def stop(self) -> None:
        if self._nspawn.poll() is None:
            self._nspawn.terminate()  # nspawn asks the container's systemd to power off
            try:
                self._nspawn.wait(60)
            except subprocess.TimeoutExpired:
                self._nspawn.kill()
                self._nspawn.wait()
        self._console.close()


class Check:
    """Runs named checks, keeps going after a failure, and reports each one."""

    def __init__(self) -> None:
        self.results: list[tuple[str, str, str]] = []

    def __call__(self, name: str, body: Callable[[], str]) -> None:
        started = time.monotonic()
        try:
            detail = body()
            outcome = "PENDING" if detail.startswith("PENDING") else "PASS"
        except Exception as err:  # a failed assertion, a timeout or a broken step: all are failures
            outcome, detail = "FAIL", f"{type(err).__name__}: {err}"
        line = f"{outcome:7} {name} ({time.monotonic() - started:.1f} s): {detail}"
        print(line, flush=True)
        self.results.append((outcome, name, detail))

    @property
    def failed(self) -> bool:
        return any(outcome == "FAIL" for outcome, _, _ in self.results)


class LoadLoops:
    """Parallel loops of GET /api/trakt/last through nginx; counts answers other than a 200."""

    def __init__(self, url: str, loops: int) -> None:
        self.url, self.total, self.errors = url, 0, []
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(loops)]

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                status = http_request(self.url, timeout=20).status
                error = None if status == 200 else f"HTTP {status}"
            except OSError as err:
                error = f"{type(err).__name__}: {err}"
            with self._lock:
                self.total += 1
                if error:
                    self.errors.append(f"{time.strftime('%H:%M:%S')} {error}")

    def __enter__(self) -> "LoadLoops":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def wait_for(self, total: int, timeout: float = 300) -> None:
        wait_until(lambda: self.total >= total, timeout, f"{total} requests")


def sha256(container: Container, path: str) -> str:
    return hashlib.sha256((container.root / path.lstrip("/")).read_bytes()).hexdigest()


def curl_site(container: Container, path: str, *extra: str) -> tuple[int, str]:
    """The deploy docs' verify step: curl over TLS to the configured site."""
    out = container.run("curl", "-sk", "--max-time", "30", "--resolve", f"{SITE}:443:127.0.0.1",
                        "-w", "\n%{http_code}", *extra, f"https://{SITE}{path}", check=False).stdout
    body, _, status = out.rpartition("\n")
    return int(status or 0), body


def configure(container: Container, fake: FakeUpstream, cert_dir: Path) -> None:
    """The operator's steps from docs/deploy.md, with the fake upstream standing in for Trakt and TMDB."""
    scenario = fake.get_scenario()
    env = container.root / "etc/trakt-widget/env"
    env.write_text(env.read_text().replace("TRAKT_CLIENT_ID=replace-with-your-trakt-client-id",
                                           f"TRAKT_CLIENT_ID={scenario['client_id']}")
                   .replace("TRAKT_USERNAME=your-trakt-username\n", "")
                   + f"TRAKT_API_URL={fake.url}\nTRAKT_AUTH_URL={fake.url}\nTMDB_API_URL={fake.url}\n"
                   + "TRAKT_WIDGET_USER_AGENT=trakt-widget-systemd-check/1.0\n")
    for name, value in (("TRAKT_CLIENT_SECRET", scenario["client_secret"]),
                        ("TRAKT_REFRESH_TOKEN", fake.tokens()["refresh_token"]),
                        ("TMDB_API_KEY", scenario["tmdb_api_key"])):
        container.write(f"/etc/credstore/trakt-widget.{name}", value, 0o600)
    server = container.root / "etc/nginx/trakt-widget/trakt-widget-server.conf"
    server.write_text(server.read_text()
                      .replace(f"/etc/letsencrypt/live/{SITE}/fullchain.pem", "/etc/ssl/trakt-widget/cert.pem")
                      .replace(f"/etc/letsencrypt/live/{SITE}/privkey.pem", "/etc/ssl/trakt-widget/key.pem"))
    shutil.copytree(cert_dir, container.root / "etc/ssl/trakt-widget")
    origins = container.root / "etc/nginx/trakt-widget/trakt-widget-origins.conf"
    origins.write_text(origins.read_text() + '"https://portfolio.example.net" $http_origin;\n')
    container.sh("ln -s /etc/nginx/trakt-widget/trakt-widget-server.conf /etc/nginx/sites-enabled/trakt-widget")
    container.write("/etc/nginx/sites-enabled/trakt-widget-load", LOAD_SITE)
    # Stricter than shipped: a syscall outside SystemCallFilter= kills the service (SIGSYS) instead of
    # failing with EPERM, so one that the responder really makes cannot go unnoticed.
    container.write("/etc/systemd/system/trakt-widget.service.d/kill-on-filtered-syscall.conf",
                    "[Service]\nSystemCallErrorNumber=\n")
    container.run("systemctl", "daemon-reload")
    container.sh("nginx -t -q && systemctl reload nginx")


def self_signed_certificate(directory: Path) -> Path:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={SITE}",
                    "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
                   check=True, capture_output=True)
    return directory


def main() -> int:
    deb = Path(sys.argv[1]).resolve()
    LOGS.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="trakt-widget-systemd.", dir="/var/tmp"))
    check = Check()
    container = None
    started = time.monotonic()
    try:
        root = Path(subprocess.run([str(ROOTFS), "mount", "systemd", str(run_dir)], check=True,
                                   capture_output=True, text=True).stdout.strip())
        print(f"image ready and overlaid in {time.monotonic() - started:.0f} s", flush=True)
        shutil.copy(deb, root / "root" / deb.name)
        container = Container(root, LOGS / "console.log")
        print(f"booted systemd {container.run('systemctl', '--version').stdout.split()[1]} "
              f"in {time.monotonic() - started:.0f} s", flush=True)
        run_checks(check, container, deb, run_dir)
    finally:
        if container is not None:
            journal = container.run("journalctl", "-b", "--no-pager", check=False, timeout=60).stdout
            (LOGS / "journal.log").write_text(journal)
            container.stop()
        subprocess.run([str(ROOTFS), "umount", str(run_dir)], check=False)
    summary = {outcome: sum(1 for o, _, _ in check.results if o == outcome) for outcome in ("PASS", "FAIL", "PENDING")}
    print(f"systemd-check: {summary['PASS']} passed, {summary['FAIL']} failed, {summary['PENDING']} pending "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if check.failed or not check.results else 0


def run_checks(check: Check, container: Container, deb: Path, run_dir: Path) -> None:
    def install() -> str:
        container.run("apt-get", "-q", "update", host_network=True, timeout=300)
        container.run("apt-get", "install", "-y", "-q", f"/root/{deb.name}", host_network=True, timeout=600)
        depends = container.run("dpkg-query", "-W", "-f=${Depends}", "trakt-widget").stdout
        assert container.run("systemctl", "is-enabled", "trakt-widget.socket").stdout.strip() == "enabled"
        assert container.run("systemctl", "is-active", "trakt-widget.socket").stdout.strip() == "active"
        assert container.run("systemctl", "is-active", "nginx").stdout.strip() == "active", "nginx did not start"
        made = container.run("stat", "-c", "%n %a %U", "/etc/credstore", "/var/cache/nginx/trakt-widget").stdout
        assert made.split() == ["/etc/credstore", "700", "root", "/var/cache/nginx/trakt-widget", "700", "www-data"], made
        return f"Depends: {depends}; socket enabled and listening, nginx running, credstore and cache dirs 0700"

    check("apt install ./….deb", install)
    if check.failed:
        return
    container.join_network()
    fake = FakeUpstream(workdir=run_dir).start()
    try:
        configure(container, fake, self_signed_certificate(Path(tempfile.mkdtemp(dir=run_dir))))
        service_checks(check, container, fake, deb)
    finally:
        fake.stop()
        shutil.copy(fake.log_path, LOGS / "fake.log")


def service_checks(check: Check, container: Container, fake: FakeUpstream, deb: Path) -> None:
    service = "trakt-widget.service"
    load_url = f"http://127.0.0.1:{LOAD_PORT}/api/trakt/last"

    def socket_activation() -> str:
        assert container.show(service, "ActiveState") == "inactive", "the service ran before any request"
        status, body = curl_site(container, "/api/trakt/last")
        assert status == 200, f"first request through nginx: {status} {body[:200]}"
        data = json.loads(body)["data"]
        assert container.show(service, "ActiveState") == "active"
        status_text = container.show(service, "StatusText")
        assert status_text.startswith("serving"), f"StatusText={status_text!r}"
        return f"inactive until the first request, then 200 with {data['type']} {data['title']!r}; " \
               f"status {status_text!r}"

    def credentials_and_state() -> str:
        status, body = curl_site(container, "/api/trakt/last")
        poster = json.loads(body)["data"]["poster_url"]
        assert poster, "no poster: the TMDB key credential was not read"
        assert fake.requests(path="/oauth/token"), "no token refresh: the client secret credential was not read"
        state = "/var/lib/private/trakt-widget"
        mode = container.run("stat", "-c", "%a", state).stdout.strip()
        assert mode == "700", f"state directory mode {mode}"
        tokens_before = sha256(container, state + "/tokens.json")
        used_before = len(fake.tokens()["used_refresh_tokens"])
        container.run("systemctl", "restart", service)
        status, body = curl_site(container, "/api/trakt/health")
        assert status == 200, f"health after restart: {status} {body[:300]}"
        status, body = curl_site(container, "/api/trakt/last")
        assert status == 200 and json.loads(body)["data"], f"after restart: {status} {body[:300]}"
        # The bootstrap token is single-use and already spent: had the state directory been lost, the
        # restart would have had to spend it again and failed with invalid_grant.
        assert len(fake.tokens()["used_refresh_tokens"]) == used_before, "the restart refreshed again"
        assert sha256(container, state + "/tokens.json") == tokens_before
        return f"poster from TMDB with the key credential, token refreshed with the secret; {state} is 0700 " \
               "and its token pair was used again after a restart"

    def hardening_score() -> str:
        live = container.run("systemd-analyze", "security", "--no-pager", service).stdout
        offline = container.run("systemd-analyze", "security", "--no-pager", "--offline=true",
                                f"/lib/systemd/system/{service}").stdout
        score = lambda text: text.strip().splitlines()[-1].split("Overall exposure level for ")[1]
        assert score(live).split(":")[1] == score(offline).split(":")[1], f"live {score(live)}, offline {score(offline)}"
        return f"live and offline: {score(live).split(':')[1].strip()}"

    def restart_burst() -> str:
        began = time.monotonic()
        for _ in range(10):
            container.run("systemctl", "restart", service)
        elapsed = time.monotonic() - began
        assert elapsed < 10, f"10 restarts took {elapsed:.1f} s, not a burst within 10 s"
        assert container.show("trakt-widget.socket", "ActiveState") == "active", \
            f"socket {container.show('trakt-widget.socket', 'Result')}"
        status = http_request(load_url).status
        assert status == 200, f"after the burst: {status}"
        return f"10 restarts in {elapsed:.1f} s; socket active, next request 200"

    def restart_under_load() -> str:
        restarts = 16
        with LoadLoops(load_url, 4) as load:
            for n in range(1, restarts + 1):
                load.wait_for(n * 4000 // (restarts + 1))
                container.run("systemctl", "restart", service)
            load.wait_for(4000)
        detail = f"{load.total} requests, 4 loops, {restarts} restarts: {len(load.errors)} errors"
        assert not load.errors, detail + "; " + ", ".join(load.errors[:8])
        return detail

    def stop_with_hanging_call() -> str:
        container.run("systemctl", "stop", service)
        container.run("rm", "-f", "/var/lib/private/trakt-widget/last-result.json")
        fake.fault("hang", prefix="/sync/", seconds=120)
        # Not through the site: nginx's cache would answer without asking the responder.
        cold = threading.Thread(target=lambda: http_request(load_url, timeout=60), daemon=True)
        cold.start()
        wait_until(lambda: any(r["status"] is None for r in fake.requests(prefix="/sync/")), 30,
                   "a Trakt call hanging")
        timeout = float(container.show(service, "TimeoutStopUSec").rstrip("s") or 0)
        began = time.monotonic()
        container.run("systemctl", "stop", service, timeout=120)
        elapsed = time.monotonic() - began
        fake.clear_faults()
        result, code, status = (container.show(service, p) for p in ("Result", "ExecMainCode", "ExecMainStatus"))
        journal = container.run("journalctl", "-u", service, "--no-pager", "-n", "50").stdout
        assert "core" not in journal.lower() or "dumped" not in journal.lower(), "a core was dumped"
        assert result == "success" and code == "1" and status == "0", \
            f"Result={result} ExecMainCode={code} ExecMainStatus={status}"
        assert elapsed < timeout, f"stop took {elapsed:.1f} s, TimeoutStopSec is {timeout} s"
        return f"stopped in {elapsed:.2f} s (TimeoutStopSec {timeout:g} s), exit status 0, no core"

    watchdog_window = [0.0, 0.0]  # the watchdog kills the service on purpose; no_kills skips that

    def watchdog() -> str:
        watchdog_window[0] = time.time()
        watchdog_usec = container.show(service, "WatchdogUSec")
        if watchdog_usec in ("", "0", "infinity"):
            return "PENDING: the unit sets no WatchdogSec= yet (lifecycle's sd_notify work)"
        # The responder's debug aid: its refresh thread stops beating once this file exists.
        trigger = "/run/trakt-widget-check-freeze"
        dropin = container.root / "etc/systemd/system/trakt-widget.service.d/freeze.conf"
        dropin.parent.mkdir(parents=True, exist_ok=True)
        dropin.write_text(f"[Service]\nEnvironment=TRAKT_WIDGET_DEBUG_FREEZE_FILE={trigger}\n")
        try:
            container.run("systemctl", "daemon-reload")
            container.run("systemctl", "restart", service)
            assert http_request(load_url).status == 200
            frozen = container.show(service, "MainPID")
            container.run("touch", trigger)
            wait_until(lambda: "Watchdog timeout" in container.run("journalctl", "-u", service, "--no-pager").stdout,
                       120, "systemd's watchdog to fire")
            container.run("rm", "-f", trigger)
            wait_until(lambda: container.show(service, "MainPID") not in ("0", frozen), 60, "a restarted service")
            assert http_request(load_url).status == 200, "no answer after the watchdog restart"
        finally:
            container.run("rm", "-f", trigger)
            dropin.unlink()
            container.run("systemctl", "daemon-reload")
            container.run("systemctl", "restart", service)
            watchdog_window[1] = time.time()
        return f"watchdog ({watchdog_usec}) fired on a frozen refresh thread; systemd restarted the service"

    def auth_recipe() -> str:
        container.run("systemctl", "stop", service)
        container.run("rm", "-rf", "/var/lib/private/trakt-widget", "/var/lib/trakt-widget")
        fake.set_tokens(auth_codes=["systemd-check-code"])
        recipe = auth_recipe_from_docs()
        out = container.run(*recipe, "--code", "systemd-check-code", timeout=120)
        mode, owner = container.run("stat", "-c", "%a %u", "/var/lib/private/trakt-widget").stdout.split()
        tokens_owner = container.run("stat", "-c", "%u", "/var/lib/private/trakt-widget/tokens.json").stdout.strip()
        assert mode == "700", f"the recipe left the state directory {mode}"
        response = http_request(load_url)
        assert response.status == 200, f"service after auth: {response.status} {response.body[:200]!r}"
        pid = container.show(service, "MainPID")
        service_uid = container.run("awk", "/^Uid:/ {print $2}", f"/proc/{pid}/status").stdout.strip()
        assert owner == tokens_owner == service_uid, f"dir uid {owner}, tokens uid {tokens_owner}, service uid {service_uid}"
        return f"state directory 0700, owned by the service's user (uid {service_uid}); {out.stdout.strip().splitlines()[-1]}"

    def reinstall() -> str:
        edited = ["/etc/trakt-widget/env", "/etc/nginx/trakt-widget/trakt-widget-server.conf",
                  "/etc/nginx/trakt-widget/trakt-widget-origins.conf"]
        before = {path: sha256(container, path) for path in edited}
        with LoadLoops(load_url, 2) as load:
            load.wait_for(100)
            old_pid = container.show(service, "MainPID")
            container.run("apt-get", "install", "-y", "-q", "--reinstall", f"/root/{deb.name}", timeout=300)
            load.wait_for(load.total + 100)
            new_pid = container.show(service, "MainPID")
        assert old_pid != "0" and new_pid not in ("0", old_pid), f"service not restarted: {old_pid} -> {new_pid}"
        changed = [path for path, digest in before.items() if sha256(container, path) != digest]
        assert not changed, f"edited conffiles replaced: {changed}"
        assert not load.errors, f"{len(load.errors)} of {load.total} failed: {load.errors[:8]}"
        return f"edited env, server and origins files kept, service restarted behind the socket; " \
               f"{load.total} requests during the reinstall, 0 errors"

    def no_kills() -> str:
        journal = container.run("journalctl", "-b", "--no-pager", "-o", "short-unix").stdout
        bad = [line for line in journal.splitlines()
               if "trakt-widget" in line and any(word in line for word in
                                                 ("SIGSYS", "seccomp", "MemoryDeny", "status=31", "code=killed",
                                                  "code=dumped", "dumped core"))
               and not watchdog_window[0] <= float(line.split()[0]) <= watchdog_window[1]]
        assert not bad, "\n".join(bad[:5])
        return "this boot's journal has no seccomp, MemoryDenyWriteExecute, SIGSYS, kill or core line for " \
               "trakt-widget (filtered syscalls set to kill)" + (" outside the watchdog check" if watchdog_window[1] else "")

    def purge() -> str:
        container.run("rm", "-f", "/etc/nginx/sites-enabled/trakt-widget-load")
        container.run("apt-get", "purge", "-y", "-q", "trakt-widget", timeout=300)
        left = container.sh("""
            for path in /usr/bin/trakt-widget /lib/systemd/system/trakt-widget.service \
                /lib/systemd/system/trakt-widget.socket /etc/systemd/system/sockets.target.wants/trakt-widget.socket \
                /etc/trakt-widget /etc/nginx/trakt-widget /etc/nginx/conf.d/trakt-widget.conf \
                /etc/nginx/sites-enabled/trakt-widget /usr/share/trakt-widget /var/lib/private/trakt-widget \
                /var/lib/trakt-widget /var/cache/nginx/trakt-widget /run/trakt-widget/fcgi.sock; do
              if [ -e "$path" ] || [ -L "$path" ]; then echo "$path"; fi
            done
            ls /etc/credstore | grep '^trakt-widget' || true""").split()
        assert not left, f"left behind: {left}"
        container.run("nginx", "-t", "-q")
        assert container.run("systemctl", "is-active", "nginx").stdout.strip() == "active"
        return "files, units, state, cache and credentials gone; nginx still valid and running"

    check("socket activation on the first request", socket_activation)
    check("LoadCredential secrets read, state directory persists", credentials_and_state)
    check("systemd-analyze security live = offline", hardening_score)
    check("10 restarts within 10 s leave the socket serving", restart_burst)
    check("restart under load loses nothing", restart_under_load)
    check("stop with a Trakt call hanging", stop_with_hanging_call)
    check("watchdog restarts a frozen refresh thread", watchdog)
    check("auth recipe runs as the service user, state dir 0700", auth_recipe)
    check("reinstall keeps edited conffiles and serves throughout", reinstall)
    check("no seccomp or MemoryDenyWriteExecute kill", no_kills)
    check("purge removes what the package made", purge)


def auth_recipe_from_docs() -> list[str]:
    """The `systemd-run … trakt-widget auth` command exactly as docs/deploy.md prints it."""
    text = (REPO / "docs" / "deploy.md").read_text()
    command = re.search(r"sudo (systemd-run .*?)\n\s*```", text, re.DOTALL).group(1)
    argv = command.replace("\\\n", " ").split()
    # Docs run it interactively (--pty); here nothing types, so the same unit settings with a pipe.
    return ["--pipe" if arg == "--pty" else arg for arg in argv]


if __name__ == "__main__":
    sys.exit(main())
