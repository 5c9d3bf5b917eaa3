"""The integration harness: one helper per job (see Tests/Integration/README.md).

Modelled on nginx-tests' Test::Nginx: each real part (fake upstream, responder, nginx, PostgreSQL)
is a class that starts as a context manager in a temporary prefix, and the pytest fixtures in
`harness.fixtures` are thin factories over them.
"""

from .fake import FakeError, FakeUpstream
from .fastcgi import FcgiError, fcgi_concurrent, fcgi_request
from .http import fresh_source, http_request, raw_http
from .load import LoadLoops, burst
from .notify import NotifySocket
from .nginx import TEST_ORIGINS, UPSTREAM_LOG_HTTP, Nginx, NginxError, UpstreamLine
from .poll import NotReady, wait_until
from .postgres import PgDatabase, PgError, PgProxy, PgServer
from .process import free_tcp_port, proc_stats, stop_process, tcp_port_accepts
from .responder import (TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_TMDB_API_KEY, TEST_USERNAME, Responder,
                        ResponderError, binary_path, provider_overrides, responder_env, run_cli,
                        socket_activate_path)
from .response import Headers, Response
from .stack import Stack

__all__ = [
    "FakeError", "FakeUpstream", "FcgiError", "fcgi_concurrent", "fcgi_request", "fresh_source", "http_request",
    "raw_http", "TEST_ORIGINS", "UPSTREAM_LOG_HTTP", "Nginx", "NginxError", "UpstreamLine", "NotReady",
    "wait_until", "PgDatabase", "PgError", "PgProxy", "PgServer", "free_tcp_port", "proc_stats", "stop_process",
    "tcp_port_accepts", "TEST_CLIENT_ID", "TEST_CLIENT_SECRET", "TEST_TMDB_API_KEY", "TEST_USERNAME",
    "Responder", "ResponderError", "binary_path", "provider_overrides", "responder_env", "run_cli", "socket_activate_path",
    "Headers", "Response", "Stack", "LoadLoops", "burst", "NotifySocket",
]
