"""The semantic layer: every public view and macro, recreated on each write connection.

Tables, sequences and data changes are versioned migrations (``warehouse/migrations``); the
views and macros built on them live once, in ``warehouse/semantic/NN_name.sql`` (applied in name
order, each ``CREATE OR REPLACE``), so a view has one definition in the repository and an
upgrade never leaves an old copy in force. Macros that encode a Python vocabulary are generated
from it here (``source_rank`` and ``catalog_provider`` from ``scrapers.registry``; the freshness
policy's ``max_price_age_days`` and ``gpu_price_kind`` from the bundled ``warehouse/policy.yaml``
through ``warehouse.policy``), so the numbers and names are written once, in Python or YAML.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from scrapers.registry import PROVIDER_ALIASES, source_names, source_rank
from warehouse.policy import GPU_KINDS, SOURCE_KINDS, Policy, default_policy

SEMANTIC_DIR = Path(__file__).parent / "semantic"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def source_rank_macro() -> str:
    """``source_rank(src)`` as SQL, generated from ``scrapers.registry.source_rank``: a source
    not in the registry ranks as a provider page (1), as the Python function does."""
    by_rank: dict[int, list[str]] = {}
    for name in source_names():
        by_rank.setdefault(source_rank(name), []).append(name)
    default = source_rank("\0unregistered")
    arms = " ".join(
        f"WHEN src IN ({', '.join(_sql_literal(n) for n in names)}) THEN {rank}"
        for rank, names in sorted(by_rank.items()) if rank != default
    )
    return f"CREATE OR REPLACE MACRO source_rank(src) AS CASE {arms} ELSE {default} END;"


def catalog_provider_macro() -> str:
    """``catalog_provider(name)``: pricewatch's provider id for a catalogue folder or marketplace
    name, generated from ``scrapers.registry.provider_id`` (``vast`` -> ``vastai``...)."""
    arms = " ".join(f"WHEN {_sql_literal(alias)} THEN {_sql_literal(target)}"
                    for alias, target in sorted(PROVIDER_ALIASES.items()))
    return f"CREATE OR REPLACE MACRO catalog_provider(name) AS CASE lower(name) {arms} ELSE lower(name) END;"


def freshness_macros(policy: Policy | None = None) -> list[str]:
    """The freshness policy as SQL, generated from ``warehouse.policy`` (the bundled policy file:
    the warehouse's views must not depend on who last opened it; the cost engine passes the ages
    in effect to ``gpu_offerings_as_of``):

    * ``max_price_age_days(kind)``: the maximum price age of a source kind, in days;
    * ``gpu_price_kind(provider)``: a GPU price's source kind (``Policy.gpu_kind``).
    """
    policy = policy or default_policy()
    ages = " ".join(f"WHEN {_sql_literal(kind)} THEN {int(policy.max_age_days[kind])}" for kind in SOURCE_KINDS)
    markets = ", ".join(_sql_literal(p) for p in sorted(policy.gpu_marketplaces)) or "NULL"
    marketplace, provider = GPU_KINDS
    return [
        f"CREATE OR REPLACE MACRO max_price_age_days(kind) AS CASE kind {ages} END;",
        f"CREATE OR REPLACE MACRO gpu_price_kind(provider) AS CASE WHEN provider IN ({markets}) "
        f"THEN {_sql_literal(marketplace)} ELSE {_sql_literal(provider)} END;",
    ]


def generated_macros() -> list[str]:
    """Every macro generated from a Python vocabulary, in creation order."""
    return [source_rank_macro(), catalog_provider_macro(), *freshness_macros()]


def semantic_files() -> list[Path]:
    return sorted(SEMANTIC_DIR.glob("*.sql"))


def apply_semantic_layer(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create every macro and view, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        for macro in generated_macros():
            con.execute(macro)
        for path in semantic_files():
            con.execute(path.read_text())
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
