"""`make bench`'s parts: settings, pinned servers, /proc readings, wrk, the rig, scenarios, report."""

import sys
from pathlib import Path

# The integration harness (Tests/Integration/harness) starts every process the bench measures.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Integration"))
