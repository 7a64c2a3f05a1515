"""Pure helpers for the markdown twins of provider docs pages: headings, sections and pipe tables.

Handles what real pages do: escaped pipes inside cells (``\\|``), alignment rows, indentation,
tables under ``####`` sub-headings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_ESCAPED_PIPE = "\x00PIPE\x00"
_ALIGN_CELL = re.compile(r"^:?-+:?$")  # GFM: one hyphen is enough (":-", "-:")
_HEADING_START = re.compile(r"^(#{1,6})\s+(.*)$")
_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")  # no nested brackets: linear on any input


def _heading(line: str) -> tuple[str, str] | None:
    """An ATX heading line: ``## Title ##`` → ("##", "Title"). Written without a backtracking
    regex: ``(.*?)\s*#*\s*$`` took 76 s on a 100 KB line of ``#``."""
    found = _HEADING_START.match(line)
    if found is None:
        return None
    title = found.group(2).strip()
    closed = title.rstrip("#")
    if closed != title and (not closed or closed[-1] in " \t"):  # a closing sequence of #
        title = closed.rstrip()
    return found.group(1), title


@dataclass
class MarkdownTable:
    header: list[str]
    rows: list[list[str]]
    heading: str = ""  # the nearest heading above the table (any level)

    def column(self, *needles: str, exclude: tuple[str, ...] = ()) -> int | None:
        """Index of the first column whose lowercased header contains any needle."""
        for i, name in enumerate(h.lower() for h in self.header):
            if any(n in name for n in needles) and not any(x in name for x in exclude):
                return i
        return None


@dataclass
class Section:
    title: str
    body: str
    tables: list[MarkdownTable] = field(default_factory=list)


def split_cells(line: str) -> list[str]:
    """Cells of one pipe-table row. ``\\|`` inside a cell is kept as a literal ``|``."""
    text = line.strip().replace("\\|", _ESCAPED_PIPE)
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    return [cell.strip().replace(_ESCAPED_PIPE, "|") for cell in text.split("|")]


def _is_table_line(line: str) -> bool:
    return line.strip().startswith("|")


def _is_align_row(cells: list[str]) -> bool:
    return bool(cells) and all(_ALIGN_CELL.match(c.replace(" ", "")) for c in cells if c) and any(cells)


def find_tables(text: str) -> list[MarkdownTable]:
    """Every pipe table (a header row, an alignment row, then body rows) with its nearest heading."""
    lines = text.splitlines()
    tables: list[MarkdownTable] = []
    heading = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if match := _heading(line.strip()):
            heading = match[1]
        if (_is_table_line(line) and i + 1 < len(lines) and _is_table_line(lines[i + 1])
                and _is_align_row(split_cells(lines[i + 1]))):
            header = split_cells(line)
            rows: list[list[str]] = []
            j = i + 2
            while j < len(lines) and _is_table_line(lines[j]):
                cells = split_cells(lines[j])
                cells += [""] * (len(header) - len(cells))
                rows.append(cells[: len(header)])
                j += 1
            tables.append(MarkdownTable(header, rows, heading))
            i = j
            continue
        i += 1
    return tables


def sections(text: str, level: int = 3) -> list[Section]:
    """Split on headings of exactly ``level``; deeper headings stay inside their section."""
    marker = re.compile(rf"^{'#' * level}\s+(.*)$")
    found: list[Section] = []
    title: str | None = None
    body: list[str] = []

    def close() -> None:
        if title is not None:
            chunk = "\n".join(body)
            found.append(Section(title, chunk, find_tables(chunk)))

    for line in text.splitlines():
        match = marker.match(line)
        if match and not line.startswith("#" * (level + 1)):
            close()
            title, body = match.group(1).strip(), []
        elif title is not None:
            # a heading of a higher level ends the section
            head = _heading(line.strip())
            if head and len(head[0]) < level:
                close()
                title, body = None, []
                continue
            body.append(line)
    close()
    return found


def strip_markup(cell: str) -> str:
    """Cell text without backticks, bold/italic markers and markdown links (keeps the link text)."""
    text = _LINK.sub(r"\1", cell)
    text = text.replace("`", "").replace("**", "").replace("__", "")
    return re.sub(r"\s+", " ", text).strip()
