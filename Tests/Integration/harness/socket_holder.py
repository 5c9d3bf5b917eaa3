"""Plays PID 1's part in restart tests, without systemd.

Run as `systemd-socket-activate -l SOCK -E ... python3 socket_holder.py PIDFILE BIN serve ...` (the
harness's `Responder(via="held-socket")` does): the
activator binds SOCK and, on the first connection, execs this script with the listener on fd 3. It holds
that socket for as long as it runs, exactly as systemd does for a socket unit, and runs the responder on
it (LISTEN_FDS=1, LISTEN_PID=the responder's pid). SIGHUP restarts the responder (SIGTERM, wait, start
again); connections that arrive in between wait in the backlog. SIGTERM stops both.

PIDFILE holds the running responder's pid; each exit is printed as "exit PID CODE" on stdout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

LISTENER_FD = 3


def main() -> int:
    pidfile, argv = sys.argv[1], sys.argv[2:]
    if os.environ.get("LISTEN_FDS") != "1":
        print("socketholder: expected one socket from systemd-socket-activate", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k not in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")}
    watched = {signal.SIGHUP, signal.SIGTERM, signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)

    def start() -> subprocess.Popen[bytes]:
        # LISTEN_PID must be the responder's own pid: the shell sets it to $$, then execs in place.
        child = subprocess.Popen(["sh", "-c", 'LISTEN_FDS=1 LISTEN_PID=$$ exec "$@"', "sh", *argv], env=env,
                                 pass_fds=(LISTENER_FD,), preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, []))
        with open(pidfile + ".tmp", "w") as out:
            out.write(str(child.pid))
        os.replace(pidfile + ".tmp", pidfile)
        return child

    def stop(child: subprocess.Popen[bytes]) -> int:
        child.terminate()
        code = child.wait()
        print(f"exit {child.pid} {code}", flush=True)
        return code

    child = start()
    while True:
        received = signal.sigwait(watched)
        if received == signal.SIGHUP:
            stop(child)
            child = start()
        elif received == signal.SIGTERM:
            return 0 if stop(child) == 0 else 1
        elif child.poll() is not None:
            print(f"exit {child.pid} {child.returncode} (unexpected)", flush=True)
            return 1


if __name__ == "__main__":
    sys.exit(main())
