#!/usr/bin/env python3
"""Writes docs/cli.md from the binary's own help, so the CLI reference cannot drift from the code.

    python3 docs/cli_reference.py BINARY            # rewrite docs/cli.md (what `make docs` runs)
    python3 docs/cli_reference.py BINARY --check    # exit 1 with a diff when docs/cli.md is out of date

Every subcommand listed under SUBCOMMANDS gets its `help` page, nested ones too. COLUMNS and LINES are
fixed because swift-argument-parser wraps help to the terminal's width.
"""

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

CLI_MD = Path(__file__).resolve().parent / "cli.md"
WIDTH = "80"

HEADER = """\
# CLI reference

Generated from `trakt-widget --help` and `trakt-widget help <subcommand>` by `make docs`
(`docs/cli_reference.py`); do not edit by hand. `make test` fails when this page no longer matches the
binary (`test_cli_reference_matches_the_binary` in `Tests/Integration/test_docs.py`).
"""


def help_text(binary: str, args: list[str]) -> str:
    env = {**os.environ, "COLUMNS": WIDTH, "LINES": "25"}
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.rstrip() + "\n"


def subcommands(text: str) -> list[str]:
    """The names in a help page's SUBCOMMANDS section (up to its first blank line), "(default)" dropped."""
    lines = text.splitlines()
    if "SUBCOMMANDS:" not in lines:
        return []
    names = []
    for line in lines[lines.index("SUBCOMMANDS:") + 1:]:
        if not line.strip():
            break
        if match := re.match(r"  (\S+)", line):
            names.append(match.group(1))
    return names


def pages(binary: str, path: list[str]) -> list[tuple[list[str], str]]:
    args = ["help", *path] if path else ["--help"]
    text = help_text(binary, args)
    found = [(args, text)]
    for name in subcommands(text):
        found += pages(binary, [*path, name])
    return found


def render(binary: str) -> str:
    out = [HEADER]
    for args, text in pages(binary, []):
        command = " ".join(["trakt-widget", *args])
        out.append(f"\n## `{command}`\n\n```\n{text}```\n")
    return "".join(out)


def main() -> int:
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--check"):
        print(__doc__, file=sys.stderr)
        return 2
    expected = render(sys.argv[1])
    if len(sys.argv) == 2:
        CLI_MD.write_text(expected)
        return 0
    current = CLI_MD.read_text() if CLI_MD.exists() else ""
    if current == expected:
        return 0
    diff = difflib.unified_diff(current.splitlines(True), expected.splitlines(True), "docs/cli.md", "from the binary")
    sys.stdout.writelines(diff)
    print("docs/cli.md is out of date: run `make docs` and commit it.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
