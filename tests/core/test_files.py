"""Atomic writes: readers see the old file or the new one, never a partial one."""
from __future__ import annotations

import os
import stat

import pytest

from core.files import atomic_write_bytes, atomic_write_text, replacing


def test_writes_the_bytes_creating_the_folder(tmp_path):
    target = tmp_path / "a" / "b" / "report.html"
    atomic_write_bytes(target, b"<html>")
    assert target.read_bytes() == b"<html>"


def test_replaces_an_existing_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "latest.md"
    target.write_text("old")
    atomic_write_text(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["latest.md"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    target = tmp_path / "latest.html"
    target.write_bytes(b"old page")
    with pytest.raises(OSError, match="No space left"):
        with replacing(target) as tmp:
            tmp.write_bytes(b"half a pa")
            raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"old page"
    assert [p.name for p in tmp_path.iterdir()] == ["latest.html"]


def test_a_reader_with_the_old_file_open_keeps_reading_it(tmp_path):
    target = tmp_path / "latest.html"
    target.write_bytes(b"old page")
    with open(target, "rb") as reader:
        atomic_write_bytes(target, b"new page")
        assert reader.read() == b"old page"
    assert target.read_bytes() == b"new page"


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    target = atomic_write_bytes(tmp_path / "r.html", b"x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
