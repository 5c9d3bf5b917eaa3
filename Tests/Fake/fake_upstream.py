#!/usr/bin/env python3
"""Loopback fake of the Trakt API, Trakt OAuth and TMDB on one port (Python stdlib only).

    python3 Tests/Fake/fake_upstream.py --port 0 --port-file F [--demo] [--fixtures DIR] [--host 127.0.0.1]

The control API and the scenario model are described in Tests/Fake/README.md.
"""

import sys
from pathlib import Path

# Running the file directly already puts its folder on sys.path; this also covers `python3 -m`/runpy.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakeupstream.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
