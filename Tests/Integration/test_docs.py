"""The documentation stays true to the code: the CLI reference matches the binary, links resolve, and
every test the README or docs/ cite as proof exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from harness.responder import REPO, binary_path

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PYTHON_TEST = re.compile(r"`(test_[a-z0-9_]+)`")
SWIFT_TEST = re.compile(r"`[A-Z]\w*Tests\.(\w+)`")


def test_cli_reference_matches_the_binary() -> None:
    check = subprocess.run([sys.executable, str(REPO / "docs" / "cli_reference.py"), str(binary_path()), "--check"],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, f"{check.stderr}{check.stdout}"


def test_cli_reference_lists_every_subcommand() -> None:
    text = (REPO / "docs" / "cli.md").read_text()
    for sub in ("serve", "last", "check", "auth"):
        assert f"## `trakt-widget help {sub}`" in text, sub


def test_relative_links_in_the_docs_resolve() -> None:
    broken = [f"{doc.relative_to(REPO)}: {target}"
              for doc in DOCS for target in LINK.findall(doc.read_text())
              if "://" not in target and not target.startswith("mailto:")
              and not (doc.parent / target).exists()]
    assert not broken, broken


def test_every_cited_test_exists() -> None:
    python = "\n".join(p.read_text() for p in (REPO / "Tests").rglob("*.py"))
    swift = "\n".join(p.read_text() for p in (REPO / "Tests").rglob("*.swift"))
    missing = []
    for doc in DOCS:
        text = doc.read_text()
        missing += [f"{doc.name}: {name}" for name in PYTHON_TEST.findall(text)
                    if not re.search(rf"^\s*def {name}\(", python, re.M)]
        missing += [f"{doc.name}: {name}" for name in SWIFT_TEST.findall(text)
                    if not re.search(rf"\bfunc {name}\(", swift)]
    assert not missing, missing
