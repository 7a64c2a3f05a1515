"""Alert URLs without their secrets, for every place a channel is named: ``alert_deliveries``
(label and error), the run summary, logs and the Prefect artifact.

Apprise's own "privacy" URL leaves path tokens (``json://host/hook/<token>``), form webhooks and
header parameters (``+Authorization=Bearer ...``) in clear, so masking is done here, from the URL
itself, with one rule per part:

* user info (``user:password@``, a bot name): ``****@``;
* the host, unless it is a host name (a dot), ``localhost`` or an IP address: services such as
  Slack and Discord put tokens where the host goes;
* every path segment that is not a plain word (lower-case letters, ``-``/``_``, up to 20
  characters, no digits): tokens, ids, signatures;
* every query value except a few harmless apprise options (``overflow``, ``format``, ...);
* the fragment (a channel name such as ``#prices``) is kept.

A URL that cannot even be split keeps only its scheme. ``scrub`` removes the same secret parts
from any text (an error message that quotes the URL).
"""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urlsplit

MASK = "****"
_PLAIN_WORD = re.compile(r"[a-z][a-z_-]{0,19}")
_HARMLESS_PARAMS = {"overflow", "format", "method", "mode", "image", "footer", "timestamp", "tts", "avatar",
                    "batch", "retry", "wait", "optional", "blocks", "priority", "lang", "verify", "cto", "rto"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _is_host_name(host: str) -> bool:
    if host in ("", "localhost") or "." in host:
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _split(url: str) -> tuple[str, str, str, str, str, str, str] | None:
    """(scheme, userinfo, host, port, path, query, fragment), or None when it does not split."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not _SCHEME.match(url):
        return None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host = hostport[: -len(f":{port}")] if port is not None and hostport.endswith(f":{port}") else hostport
    return (parts.scheme, userinfo, host, "" if port is None else f":{port}", parts.path, parts.query,
            parts.fragment)


def _params(query: str) -> list[tuple[str, str]]:
    """Raw (key, value) pairs: apprise's header parameters start with "+", which form decoding
    would turn into a space."""
    return [(key, value) for key, _, value in (pair.partition("=") for pair in query.split("&") if pair)]


def secret_parts(url: str) -> list[str]:
    """The parts of ``url`` that may be secret (see the module doc), longest first."""
    split = _split(url)
    if split is None:
        match = _SCHEME.match(url)
        rest = url[match.end():] if match else url
        return [rest] if rest else []
    _, userinfo, host, _, path, query, _ = split
    found = [p for p in userinfo.split(":") if p]
    if not _is_host_name(host):
        found.append(host)
    found += [seg for seg in path.split("/") if seg and not _PLAIN_WORD.fullmatch(unquote(seg))]
    found += [value for key, value in _params(query) if key.lower() not in _HARMLESS_PARAMS]
    variants = {v for part in found for v in (part, unquote(part), quote(unquote(part), safe=""))}
    return sorted((v for v in variants if v), key=len, reverse=True)


def mask_url(url: str) -> str:
    """``url`` with every secret part replaced by ``****`` (see the module doc)."""
    split = _split(url)
    if split is None:
        match = _SCHEME.match(url)
        return f"{match.group(1)}://{MASK}" if match else MASK
    scheme, userinfo, host, port, path, query, fragment = split
    text = f"{scheme}://"
    if userinfo:
        text += f"{MASK}@"
    text += (host if _is_host_name(host) else MASK) + port
    text += "/".join(seg if not seg or _PLAIN_WORD.fullmatch(unquote(seg)) else MASK for seg in path.split("/"))
    if query:
        text += "?" + "&".join(f"{key}={value if key.lower() in _HARMLESS_PARAMS else MASK}"
                               for key, value in _params(query))
    if fragment:
        text += f"#{fragment}"
    return text


def scrub(text: str, url: str) -> str:
    """``text`` with the URL, and each of its secret parts, masked."""
    text = text.replace(url, mask_url(url))
    for part in secret_parts(url):
        if len(part) >= 3:  # a one- or two-character "secret" would mangle the text
            text = text.replace(part, MASK)
    return text
