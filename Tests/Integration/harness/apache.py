"""Apache httpd with mod_proxy_fcgi in front of the responder, unprivileged in a temporary prefix: a
second real FastCGI client, which pools backend connections (`enablereuse=on`) and keeps them idle."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .poll import wait_until
from .process import free_tcp_port, stop_process, tcp_port_accepts

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")


class ApacheError(RuntimeError):
    pass


class Apache:
    """`/api/` is proxied to the FastCGI unix socket `sock` over pooled connections (enablereuse=on).
    As root, httpd's children run as nobody: the socket and its directory must let them in."""

    def __init__(self, prefix: Path, sock: str, threads: int = 25) -> None:
        self.prefix = prefix
        self.sock = sock
        self.threads = threads
        self.port: int | None = None
        self.error_log = prefix / "error.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self, port: int) -> Path:
        self.prefix.mkdir(parents=True, exist_ok=True)
        user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
        conf = self.prefix / "httpd.conf"
        conf.write_text(f"""\
ServerRoot {self.prefix}
ServerName localhost
Listen 127.0.0.1:{port}
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule proxy_module {MODULES}/mod_proxy.so
LoadModule proxy_fcgi_module {MODULES}/mod_proxy_fcgi.so
{user}PidFile {self.prefix}/httpd.pid
DefaultRuntimeDir {self.prefix}
Mutex posixsem
ErrorLog {self.error_log}
LogLevel warn
StartServers 1
ServerLimit 1
ThreadsPerChild {self.threads}
MaxRequestWorkers {self.threads}
ProxyPass "/api/" "unix:{self.sock}|fcgi://localhost/api/" enablereuse=on
""")
        return conf

    def start(self, timeout: float = 10.0) -> "Apache":
        self.port = free_tcp_port()
        conf = self.write_config(self.port)
        self._proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening() -> bool:
            if self._proc.poll() is not None:
                raise ApacheError(f"apache2 exited with {self._proc.returncode}:\n{self.error_log_text()}")
            return tcp_port_accepts("127.0.0.1", self.port)

        wait_until(listening, timeout, f"apache2 on port {self.port}")
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        return stop_process(self._proc, timeout)

    def __enter__(self) -> "Apache":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def error_log_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
