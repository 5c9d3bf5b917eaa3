"""`make run` (`python3 -m harness.localstack` in Tests/Integration): the whole stack on this machine,
on the same harness the tests use.

nginx on 127.0.0.1:8080 with the shipped locations file, the responder with the file store in ./var,
and either the real Trakt/TMDB (when ./.env has credentials) or the fake upstream in demo mode.
Ctrl-C stops everything and leaves no process and no socket behind.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from .fake import FakeUpstream
from .nginx import Nginx
from .process import tcp_port_accepts
from .responder import Responder, binary_path


def port_busy(port: int) -> bool:
    try:
        return tcp_port_accepts("127.0.0.1", port)
    except OSError:
        return False


REPO = Path(__file__).resolve().parents[3]
VAR = REPO / "var"
PORT = int(os.environ.get("TRAKT_WIDGET_PORT", "8080"))
ORIGINS = (f"http://127.0.0.1:{PORT}", f"http://localhost:{PORT}")


def dotenv_has_credentials() -> bool:
    path = REPO / ".env"
    if not path.exists():
        return False
    keys = {line.split("=", 1)[0].strip().removeprefix("export ").strip()
            for line in path.read_text().splitlines() if "=" in line and not line.lstrip().startswith("#")}
    return "TRAKT_CLIENT_ID" in keys


def responder_env(fake: FakeUpstream | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TZ")}
    env["TRAKT_WIDGET_STATE_DIR"] = str(VAR / "state")
    if fake is not None:
        # Demo mode: public mode against the built-in fake, which accepts any client id and username.
        env.update({
            "TRAKT_API_URL": fake.url, "TRAKT_AUTH_URL": fake.url, "TMDB_API_URL": fake.url,
            "TRAKT_CLIENT_ID": "demo", "TRAKT_USERNAME": "demo", "TMDB_API_KEY": "demo",
            "TRAKT_WIDGET_STATE_DIR": str(VAR / "demo-state"),
        })
    return env


def main() -> int:
    if port_busy(PORT):
        print(f"127.0.0.1:{PORT} is already in use (another `make run`?); stop it, or set TRAKT_WIDGET_PORT.",
              file=sys.stderr)
        return 1
    for sub in ("run", "log", "nginx"):
        (VAR / sub).mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    fake = None if dotenv_has_credentials() else FakeUpstream(demo=True, workdir=VAR / "log").start()
    responder = Responder(binary_path(), responder_env(fake), REPO, workers=4, via="listen",
                          sock=str(VAR / "run" / "fcgi.sock"))
    responder.log_path = VAR / "log" / "responder.log"
    nginx = Nginx(VAR / "nginx", responder.sock, origins=ORIGINS)
    try:
        responder.start()
        nginx.start(port=PORT)
        mode = "demo upstream (no .env)" if fake else "real Trakt and TMDB (from .env)"
        print(f"""
trakt-widget is running with the {mode}:

  API          {nginx.base_url}/api/trakt/last
  health       {nginx.base_url}/api/trakt/health
  widget demo  {nginx.base_url}/

Logs in {VAR / 'log'} and {VAR / 'nginx' / 'logs'}. Press Ctrl-C to stop.
""", flush=True)
        while not stop.wait(0.5):
            if not responder.alive():
                print(f"the responder exited; see {responder.log_path}", file=sys.stderr)
                return 1
        print("\nstopping…", flush=True)
        return 0
    finally:
        nginx.stop()
        if responder.alive():
            responder.stop()
        if fake is not None:
            fake.stop()
        Path(responder.sock).unlink(missing_ok=True)
        responder.cleanup()


if __name__ == "__main__":
    sys.exit(main())
