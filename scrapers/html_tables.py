"""HTML tables (selectolax) as ``MarkdownTable``s, with multi-row headers flattened.

A two-row header such as ``Supervised Fine-Tuning | Direct Preference Optimization`` (colspan 2)
over ``Size | LoRA | Full | LoRA | Full`` becomes ``Size``, ``Supervised Fine-Tuning LoRA``, ...
"""
from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from scrapers.markdown_tables import MarkdownTable


def _text(node: Node) -> str:
    return " ".join(node.text(separator=" ").split())


def _span(node: Node, name: str) -> int:
    try:
        return max(1, int(node.attributes.get(name) or 1))
    except ValueError:
        return 1


def _grid(rows: list[Node]) -> list[list[str]]:
    """Expand colspan/rowspan into a rectangular grid of cell texts."""
    grid: list[list[str | None]] = []
    for r, row in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
        c = 0
        for cell in row.iter():
            if cell.tag not in ("td", "th"):
                continue
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            text = _text(cell)
            for dr in range(_span(cell, "rowspan")):
                while len(grid) <= r + dr:
                    grid.append([])
                line = grid[r + dr]
                for dc in range(_span(cell, "colspan")):
                    while len(line) <= c + dc:
                        line.append(None)
                    line[c + dc] = text
            c += _span(cell, "colspan")
    width = max((len(line) for line in grid), default=0)
    return [[cell or "" for cell in line] + [""] * (width - len(line)) for line in grid]


def _heading_before(table: Node) -> str:
    node = table.prev
    while node is not None:
        if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return _text(node)
        node = node.prev
    parent = table.parent
    return _heading_before(parent) if parent is not None and parent.tag not in ("body", "html") else ""


def find_html_tables(html: str) -> list[MarkdownTable]:
    tables: list[MarkdownTable] = []
    for table in HTMLParser(html).css("table"):
        head_rows = table.css("thead tr")
        body_rows = table.css("tbody tr")
        if not head_rows:  # header = leading rows made of <th> only
            all_rows = table.css("tr")
            head_rows = [r for r in all_rows[:2] if r.css("th") and not r.css("td")] or all_rows[:1]
            body_rows = all_rows[len(head_rows):]
        grid = _grid(head_rows + body_rows)
        n_head = len(head_rows)
        if not grid or n_head == 0:
            continue
        header = []
        for col in range(len(grid[0])):
            parts: list[str] = []
            for r in range(n_head):
                if grid[r][col] and grid[r][col] not in parts:
                    parts.append(grid[r][col])
            header.append(" ".join(parts))
        tables.append(MarkdownTable(header, grid[n_head:], _heading_before(table)))
    return tables
