"""Errors raised by collectors. Each names the source, and for parse errors the field and file."""
from __future__ import annotations


class FetchError(Exception):
    """The source could not be reached or answered with an unusable status."""

    def __init__(self, source: str, url: str, reason: str):
        self.source, self.url, self.reason = source, url, reason
        super().__init__(f"{source}: could not fetch {url}: {reason}")


class ParseError(Exception):
    """A payload did not have the shape the parser expects.

    ``field`` names what was missing or wrong (a JSON path, a CSS selector, a table name);
    ``origin`` is the archived file or URL so the payload can be inspected and replayed.
    """

    def __init__(self, source: str, field: str, message: str, origin: str = "<payload>"):
        self.source, self.field, self.message, self.origin = source, field, message, origin
        super().__init__(f"{source}: field '{field}' in {origin}: {message}")

    def at(self, origin: str) -> ParseError:
        """The same error pointing at a concrete file, unless it already names one."""
        if self.origin != "<payload>":
            return self
        return ParseError(self.source, self.field, self.message, origin)


class SourceRetired(ParseError):
    """The endpoint answered that it is retired (gone for good, not down): recorded as its own
    outcome, with what to use instead, not as a parse error."""
