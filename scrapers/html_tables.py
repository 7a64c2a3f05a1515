"""HTML tables (selectolax) as ``MarkdownTable``s, with multi-row headers flattened.

A two-row header such as ``Supervised Fine-Tuning | Direct Preference Optimization`` (colspan 2)
over ``Size | LoRA | Full | LoRA | Full`` becomes ``Size``, ``Supervised Fine-Tuning LoRA``, ...

Expansion is bounded, whatever the page says: ``colspan`` is clamped to 1000 (the HTML standard's
own limit), ``rowspan`` to the rows the table has, and a page whose tables would expand to more
than ``MAX_CELLS`` grid cells is a ``ParseError`` (``colspan="99999999999"`` used to allocate
gigabytes). The nesting of the page is checked before lexbor builds the tree
(``scrapers.limits.check_html_depth``).
"""
from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from scrapers.errors import ParseError
from scrapers.limits import check_html_depth
from scrapers.markdown_tables import MarkdownTable

MAX_COLSPAN = 1000
MAX_CELLS = 500_000  # expanded grid cells over all tables of one page
MAX_HEADING_STEPS = 500  # siblings and ancestors looked at to find a table's heading


class _Budget:
    def __init__(self, cells: int, source: str, origin: str):
        self.left, self.source, self.origin = cells, source, origin

    def spend(self, cells: int) -> None:
        self.left -= cells
        if self.left < 0:
            raise ParseError(self.source, "table", f"the tables expand to over {MAX_CELLS:,} cells "
                             "(colspan/rowspan out of proportion); not a pricing page", self.origin)


def _text(node: Node) -> str:
    return " ".join(node.text(separator=" ").split())


def _span(node: Node, name: str, limit: int) -> int:
    """The cell's span in [1, limit]; a missing or unreadable value is 1."""
    try:
        value = int((node.attributes.get(name) or "1").strip())
    except ValueError:  # not a number, or more digits than int() takes
        return 1
    return min(max(1, value), max(1, limit))


def _grid(rows: list[Node], budget: _Budget) -> list[list[str]]:
    """Expand colspan/rowspan into a rectangular grid of cell texts."""
    grid: list[list[str | None]] = [[] for _ in rows]
    for r, row in enumerate(rows):
        c = 0
        for cell in row.iter():
            if cell.tag not in ("td", "th"):
                continue
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            text = _text(cell)
            rowspan = _span(cell, "rowspan", len(rows) - r)  # never past the table's last row
            colspan = _span(cell, "colspan", MAX_COLSPAN)
            budget.spend(rowspan * colspan)
            for line in grid[r:r + rowspan]:
                if len(line) < c + colspan:
                    line.extend([None] * (c + colspan - len(line)))
                line[c:c + colspan] = [text] * colspan
            c += colspan
    width = max((len(line) for line in grid), default=0)
    budget.spend(sum(width - len(line) for line in grid))
    return [[cell or "" for cell in line] + [""] * (width - len(line)) for line in grid]


def _heading_before(table: Node) -> str:
    """The nearest h1-h6 among the table's earlier siblings, then its ancestors' (bounded walk)."""
    steps = 0
    container: Node | None = table
    while container is not None and container.tag not in ("body", "html"):
        node = container.prev
        while node is not None and steps < MAX_HEADING_STEPS:
            if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                return _text(node)
            node, steps = node.prev, steps + 1
        if steps >= MAX_HEADING_STEPS:
            return ""
        container = container.parent
    return ""


def find_html_tables(html: str, *, source: str = "html", origin: str = "<payload>") -> list[MarkdownTable]:
    """Every table of the page, header rows flattened. Raises ``ParseError`` (naming ``source``
    and ``origin``) for a page nested or expanding out of bounds."""
    check_html_depth(html, source=source, origin=origin)
    budget = _Budget(MAX_CELLS, source, origin)
    tables: list[MarkdownTable] = []
    for table in HTMLParser(html).css("table"):
        head_rows = table.css("thead tr")
        body_rows = table.css("tbody tr")
        if not head_rows:  # header = leading rows made of <th> only
            all_rows = table.css("tr")
            head_rows = [r for r in all_rows[:2] if r.css("th") and not r.css("td")] or all_rows[:1]
            body_rows = all_rows[len(head_rows):]
        grid = _grid(head_rows + body_rows, budget)
        n_head = len(head_rows)
        if not grid or n_head == 0:
            continue
        header = [" ".join(dict.fromkeys(grid[r][col] for r in range(n_head) if grid[r][col]))
                  for col in range(len(grid[0]))]
        tables.append(MarkdownTable(header, grid[n_head:], _heading_before(table)))
    return tables
