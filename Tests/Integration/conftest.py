"""pytest entry point for Tests/Integration: the harness's fixtures (harness/fixtures.py lists them)."""

from harness.fixtures import (fake, fake_factory, fake_server, make_stack, nginx, pg, pg_factory,  # noqa: F401
                              pg_server, responder)
