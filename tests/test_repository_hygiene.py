"""The repository cites no path of a development machine: no absolute home or work folders and no
references to the team's shared folder outside the repository. A file cites the upstream instead
(repository + commit, URL or article title).

The patterns are written with a character class (``[o]``) so that this file does not match itself.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MACHINE_PATH = re.compile(rb"/w[o]rk/|/r[o]ot/|shar[e]d/(seeds|notes|fixtures)|\.\./shar[e]d")

def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name]


def machine_paths(name: str, body: bytes) -> list[str]:
    """``file:line: text`` for every line of ``body`` that cites a machine path."""
    return [f"{name}:{number}: {line.decode(errors='replace').strip()}"
            for number, line in enumerate(body.splitlines(), start=1) if MACHINE_PATH.search(line)]


def findings() -> dict[str, list[str]]:
    found = {}
    for name in tracked_files():
        path = REPO / name
        if path.is_file():  # a tracked file deleted in the working tree is no longer there
            lines = machine_paths(name, path.read_bytes())
            if lines:
                found[name] = lines
    return found


def test_the_pattern_names_file_line_and_text_of_each_machine_path():
    work, shared = "/w" + "ork/", "shar" + "ed/"  # split, so that this file holds no such path
    body = f"ok\nsee /home/u/x\ncopied from {work}{shared}fixtures/gpu/a.json\n../{shared}notes/x.md\n".encode()
    assert machine_paths("a/SOURCES.md", body) == [
        f"a/SOURCES.md:3: copied from {work}{shared}fixtures/gpu/a.json",
        f"a/SOURCES.md:4: ../{shared}notes/x.md",
    ]


def test_no_tracked_file_cites_a_machine_path():
    found = findings()
    offending = [line for _, lines in sorted(found.items()) for line in lines]
    assert offending == [], "cite the upstream (repository + commit, URL or article title) instead:\n" + "\n".join(
        offending)
