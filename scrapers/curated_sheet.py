"""The curated, dated fine-tuning price sheet kept in the repo (``scrapers/data/fine_tuning_prices.csv``).

Transcribed from provider page captures (see snapshots/SOURCES.md, "Token sources"), one row per
price, each with its source URL and the day it was read (``as_of``). It is the offline fallback
for every hosted training price and the initial price history: the loader stores ``as_of`` as
``observed_at``, so re-reading an unchanged sheet adds nothing. Edit the CSV by hand when a
provider page is re-checked: add a row with the new ``as_of``, never overwrite an old one.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from core.clock import utcnow
from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.records import FetchFailure, ParseResult, RawPayload, TokenPrice
from scrapers.token_common import SIZE_BUCKET_RE, check_vocabulary, parse_date
from scrapers.values import TOKEN_PRICE_BOUNDS, ZERO_ALLOWED_KINDS, finite_number, plausible_token_price

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "curated_sheet"
SHEET_PATH = Path(__file__).resolve().parent / "data" / "fine_tuning_prices.csv"
SHEET_URL = "file:scrapers/data/fine_tuning_prices.csv"
REQUIRED_COLUMNS = ("provider", "model", "method", "price_kind", "usd", "as_of", "source_url")
_BUCKET_PROVIDERS = ("together", "fireworks")


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    """Read the sheet from the repo: no network, always status 200 when the file exists."""
    try:
        body = SHEET_PATH.read_bytes()
    except OSError as exc:
        return [FetchFailure(NAME, SHEET_URL, f"{NAME}: cannot read {SHEET_PATH}: {exc}", utcnow())]
    return [RawPayload(NAME, SHEET_URL, 200, body, utcnow(), "csv", "text/csv")]


def _row(cells: dict[str, str], field: str, origin: str) -> TokenPrice:
    provider, model, method, kind = cells["provider"], cells["model"], cells["method"], cells["price_kind"]
    check_vocabulary(NAME, f"{origin} ({field})", provider=provider, method=method, price_kind=kind)
    if not model:
        raise ParseError(NAME, f"{field}: model", "empty model", origin)
    if provider in _BUCKET_PROVIDERS and model[0] in "<>0123456789" and not SIZE_BUCKET_RE.match(model):
        raise ParseError(NAME, f"{field}: model", f"size bucket {model[:80]!r} is not like '<=16B', "
                         "'16.1B-80B' or '>300B'", origin)
    usd = finite_number(cells["usd"], source=NAME, field=f"{field}: usd", origin=origin, accept_text=True)
    if usd < 0:
        raise ParseError(NAME, f"{field}: usd", f"negative price {usd}", origin)
    if not plausible_token_price(usd, kind):
        raise ParseError(NAME, f"{field}: usd", f"{usd} USD is not a plausible {kind} price (bound "
                         f"{TOKEN_PRICE_BOUNDS[kind]:g}; 0 only for {', '.join(ZERO_ALLOWED_KINDS)})", origin)
    as_of = parse_date(cells["as_of"])
    if as_of is None:
        raise ParseError(NAME, f"{field}: as_of", f"not a YYYY-MM-DD date: {cells['as_of'][:40]!r}", origin)
    return TokenPrice(provider, model, method, kind, usd, cells["source_url"] or None, as_of)


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    """Every row must be right: the sheet is edited by hand, so a bad cell is a ParseError naming
    its line (the history keeps the last good sheet), never a skipped row."""
    text = body.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    prices: list[TokenPrice] = []
    line = 1
    try:
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ParseError(NAME, ",".join(missing), f"sheet is missing column(s) {missing}; "
                             f"expected at least {REQUIRED_COLUMNS}", origin)
        for line, row in enumerate(reader, start=2):
            # a short row has None for its missing cells: read them as blank, then complain
            cells = {c: (row.get(c) or "").strip() for c in REQUIRED_COLUMNS}
            prices.append(_row(cells, f"line {line}", origin))
    except csv.Error as exc:  # an oversized field, a NUL byte...
        raise ParseError(NAME, f"line {line + 1}", f"not a readable CSV row: {exc}", origin) from None
    if not prices:
        raise ParseError(NAME, "rows", "the sheet has no price rows", origin)
    return ParseResult(token_prices=prices)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="Curated, dated fine-tuning price sheet in the repo (offline fallback and initial history)",
    fetch=fetch,
    parse=parse,
    network=False,
)
