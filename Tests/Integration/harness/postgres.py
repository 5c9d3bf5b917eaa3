"""A real, throwaway PostgreSQL 15 server for the token-store tests.

The server runs as the `postgres` user (PostgreSQL refuses to run as root) in a temporary data
directory, listens on a unix socket only (no TCP port to collide with), and trusts every local
connection. Readiness comes from `pg_ctl -w`, which polls the server itself: no sleeps.

    server = PgServer().init()   # initdb into a fresh temporary directory
    server.start()               # pg_ctl -w start
    db = server.create_database()          # a fresh database: PgDatabase(.name, .url, .psql())
    server.psql("SELECT 1", db=db.name)    # -> "1"
    server.stop()                # pg_ctl -m fast -w stop; start() again reuses the data directory
    server.destroy()             # stop and remove everything

    with PgServer() as server:   # init + start, destroy on exit
        ...
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("TRAKT_WIDGET_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"


class PgError(RuntimeError):
    pass


@dataclass
class PgDatabase:
    server: "PgServer"
    name: str

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    def psql(self, sql: str, timeout: float = 30.0) -> str:
        return self.server.psql(sql, db=self.name, timeout=timeout)

    def rows(self, sql: str) -> list[list[str]]:
        return self.server.rows(sql, db=self.name)


class PgServer:
    """One PostgreSQL cluster in a temporary directory, reachable only through `socket_dir`."""

    _names = itertools.count(1)

    def __init__(self, root: Path | None = None) -> None:
        # Unix socket paths are limited to 107 bytes: keep the directory short (/tmp/twpgXXXX/sock).
        self.root = Path(root or tempfile.mkdtemp(prefix="twpg", dir="/tmp"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log_path = self.root / "postgres.log"
        self._initialised = False

    # --- lifecycle -------------------------------------------------------------------------------

    def init(self) -> "PgServer":
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not (PG_BIN / tool).exists():
                raise PgError(f"{PG_BIN / tool} is missing: install postgresql-15 (or set TRAKT_WIDGET_PG_BIN)")
        owner = pwd.getpwnam(PG_USER)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        for path in (self.root, self.socket_dir):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        os.chmod(self.root, 0o755)
        self._as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", PG_USER, "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            timeout=120,
        )
        self._initialised = True
        return self

    def start(self, timeout: float = 30.0) -> "PgServer":
        """Start (or restart) on the same data directory; returns once the server accepts connections."""
        if not self._initialised:
            raise PgError("call init() first")
        if self.running():
            return self
        options = " ".join([
            "-c listen_addresses=''",
            f"-k {self.socket_dir}",
            # A test cluster: speed over crash safety of the cluster itself (clean stops still checkpoint).
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=200",
        ])
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_path), "-w",
             "-t", str(int(timeout)), "-o", options, "start"],
            timeout=timeout + 10,
        )
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown: open client connections are terminated, as when an operator restarts it."""
        if not self.running():
            return
        self._as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", str(int(timeout)), "stop"],
            timeout=timeout + 10,
        )

    def running(self) -> bool:
        if not self._initialised:
            return False
        proc = subprocess.run(
            [RUNUSER, "-u", PG_USER, "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "status"],
            capture_output=True, cwd=self.root, timeout=30,
        )
        return proc.returncode == 0

    def __enter__(self) -> "PgServer":
        try:
            return self.init().start()
        except BaseException:
            self.destroy()
            raise

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    # --- connecting ------------------------------------------------------------------------------

    def url(self, db: str = "postgres") -> str:
        """A libpq URI for DATABASE_URL: socket directory as `host`, trust auth as `postgres`."""
        return f"postgresql:///{db}?host={self.socket_dir}&user={PG_USER}"

    def psql(self, sql: str, db: str = "postgres", timeout: float = 30.0) -> str:
        """Run `sql` (one or more statements); returns unaligned, tuples-only output (`|`-separated)."""
        proc = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", str(self.socket_dir), "-U", PG_USER, "-d", db, "-c", sql],
            capture_output=True, text=True, timeout=timeout, env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        if proc.returncode != 0:
            raise PgError(f"psql failed ({proc.returncode}) for {sql!r}: {proc.stderr.strip()}")
        return proc.stdout.rstrip("\n")

    def rows(self, sql: str, db: str = "postgres") -> list[list[str]]:
        out = self.psql(sql, db=db)
        return [line.split("|") for line in out.splitlines()] if out else []

    def create_database(self, name: str | None = None) -> PgDatabase:
        name = name or f"tw{os.getpid()}_{next(self._names)}"
        self.psql(f'CREATE DATABASE "{name}"')
        return PgDatabase(self, name)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # --- plumbing --------------------------------------------------------------------------------

    def _as_postgres(self, argv: list[str], timeout: float) -> str:
        proc = subprocess.run(
            [RUNUSER, "-u", PG_USER, "--", *argv], capture_output=True, text=True, cwd=self.root,
            stdin=subprocess.DEVNULL, timeout=timeout,
        )
        if proc.returncode != 0:
            raise PgError(
                f"{' '.join(argv[:1])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{self.log_text()[-4000:]}"
            )
        return proc.stdout


class PgProxy:
    """A unix-socket proxy in front of a PgServer that can stop forwarding and resume: a black hole
    (bytes held, nothing refused) for one client while the others reach the server directly.

        proxy = PgProxy(server.socket_dir, some_dir)
        env["DATABASE_URL"] = proxy.url(db.name)
        proxy.forwarding.clear()   # cut off
        proxy.forwarding.set()     # healed
        proxy.close()
    """

    def __init__(self, target: Path, directory: Path) -> None:
        self.target = str(target / ".s.PGSQL.5432")
        self.directory = directory
        self.path = str(directory / ".s.PGSQL.5432")
        self.forwarding = threading.Event()
        self.forwarding.set()
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        os.chmod(self.path, 0o777)
        self._server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, db: str) -> str:
        return f"postgresql:///{db}?host={self.directory}&user=postgres"

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self.forwarding.wait()  # a black hole: bytes are held, nothing is refused
                if self._closing.is_set():
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closing.set()
        self.forwarding.set()
        self._server.close()
        for s in self._sockets:
            s.close()
