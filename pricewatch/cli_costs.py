"""Cost-engine commands: ``reprice``, ``scenarios``, ``estimate`` (module-level commands over
``cost_engine.service``; inputs checked by ``pricewatch.cli_costs_validate``). The read-only
commands (``scenarios``, ``estimate``) read the published copy (``warehouse.publish.published_reader``,
falling back to the warehouse itself with a note, as ``sql`` does), so they never wait for or
block a running job; the freshness warning, when there is one, is the first line on stderr."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.settings import Settings, settings_for
from pricewatch.cli_common import db_option
from pricewatch.cli_costs_format import (
    DETAIL_TABLE_COLUMNS,
    ESTIMATE_COLUMNS,
    estimate_json,
    estimate_row,
    money,
    pct,
    provenance_text,
    route_detail,
)
from pricewatch.cli_costs_validate import (
    ALLOWANCE,
    DAY,
    EPOCHS,
    EXAMPLES,
    INSTANCE_GB,
    METHOD,
    PARAMS,
    PRICE_AGES,
    PROFILE,
    RUNS,
    SEQ_LEN,
    TOKENS_PER_EXAMPLE,
    CostCommand,
    fail,
)
from pricewatch.output import FORMATS, finite_json, json_text, render

if TYPE_CHECKING:  # pragma: no cover - the engine is imported when a command runs, not at CLI start
    from duckdb import DuckDBPyConnection

    from cost_engine.service import PricingDay
    from warehouse.policy import Policy

NO_PRICES = "the warehouse has no prices yet; run `pricewatch run --offline` first"


def policy_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--customer-profile, --max-price-age, --spot-allowance (defaults: the settings, else
    warehouse/policy.yaml)."""
    command = click.option("--spot-allowance", "spot_allowance", type=ALLOWANCE, default=None,
                           help="Extra GPU-hours on spot/interruptible tiers (default: $PRICEWATCH_SPOT_ALLOWANCE, "
                                "else the policy's 0.15 = 15%).")(command)
    command = click.option("--max-price-age", "max_price_age", type=PRICE_AGES, multiple=True,
                           metavar="KIND=DAYS",
                           help="Maximum price age per source kind, e.g. gpu_provider=14 (repeatable; kinds: "
                                "gpu_marketplace, gpu_provider, token_provider, aggregator, curated; default: "
                                "$PRICEWATCH_MAX_PRICE_AGE, else the policy's).")(command)
    return click.option("--customer-profile", "customer_profile", type=PROFILE, default=None,
                        help="Who is priced: new (never fine-tuned), inactive or active (default: "
                             "$PRICEWATCH_CUSTOMER_PROFILE, else the policy's `new`).")(command)


def _policy(settings: Settings, customer_profile: str | None, max_price_age: tuple[dict[str, int], ...],
            spot_allowance: float | None) -> Policy:
    """The policy file with the settings' overrides, then the command's."""
    from warehouse.policy import load_policy

    ages: dict[str, int] = {}
    for pairs in max_price_age:
        ages.update(pairs)
    return load_policy(settings).with_overrides(max_age=ages or None, customer_profile=customer_profile,
                                                spot_allowance=spot_allowance)


def _warn(message: str | None) -> None:
    if message:
        click.echo(message, err=True)


@contextmanager
def priced_day(settings: Settings, policy: Policy,
               as_of: date | None) -> Iterator[tuple[DuckDBPyConnection, PricingDay]]:
    """The published copy and the day to price (``--as-of``, else the newest observation day),
    after the freshness warning and the copy's note on stderr; exits 2 when there are no prices."""
    from cost_engine.service import freshness_warning, pricing_day
    from warehouse.publish import published_reader

    with published_reader(settings) as (con, source):
        day = pricing_day(con, as_of)
        if day is None:
            fail(NO_PRICES)
        _warn(freshness_warning(con, day, policy))
        _warn(source.note)
        yield con, day


# ---------------------------------------------------------------- reprice


@click.command("reprice", cls=CostCommand)
@click.option("--from", "start", type=DAY, default=None, help="First day to reprice (YYYY-MM-DD).")
@click.option("--to", "end", type=DAY, default=None, help="Last day to reprice (default: --from).")
@policy_options
@db_option
def reprice_cmd(start: date | None, end: date | None, customer_profile: str | None,
                max_price_age: tuple[dict[str, int], ...],
                spot_allowance: float | None, db: Path | None) -> None:
    """Reprice the scenario catalogue into scenario_costs, one as-of day at a time.

    Without --from it reprices the day of the newest observation and any day of the 30 before
    it that has no rows (as the daily run does). --from must not be before the first observation;
    --to stops at the newest one. Each day is replaced in one transaction (re-running is safe),
    with a progress line per day on stderr. The published copy that `scenarios`, `estimate` and
    `sql` read is refreshed at the end.
    """
    from cost_engine.daily import reprice_latest
    from cost_engine.reprice import backfill, clamp_to_observations
    from warehouse.db import write_connection
    from warehouse.publish import publish

    settings = settings_for(db)
    policy = _policy(settings, customer_profile, max_price_age, spot_allowance)
    if start is None:
        if end is not None:
            fail("--to needs --from")
        click.echo(reprice_latest(settings, policy))
        click.echo(publish(settings).summary(), err=True)
        return
    last = end or start
    if last < start:
        fail(f"--to {last} is before --from {start}")
    with write_connection(settings.db_path) as con:
        clamped, warnings = clamp_to_observations(con, start, last)
        for warning in warnings:
            click.echo(warning, err=True)
        if clamped is None:
            return
        summaries = backfill(con, start, clamped, progress=lambda m: click.echo(m, err=True), policy=policy)
    click.echo(publish(settings).summary(), err=True)
    click.echo(render(["as_of", "scenarios", "routes", "available", "rows"],
                      [(s.as_of, s.scenarios, s.routes, s.available, s.rows) for s in summaries]))


# ---------------------------------------------------------------- scenarios


def _scenario_lines(lines: list[dict[str, Any]], fmt: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cols = ["scenario", "cheapest_route", "low", "mid", "high", "routes", "vs_7d", "vs_30d", "$/h", "basis",
            "prices_used"]
    rows = [(o["scenario"], o["cheapest_route"] or o["reason"] or "none available", money(o["usd_low"]),
             money(o["usd_mid"]), money(o["usd_high"]), o["routes_available"], pct(o["change_7d_pct"]),
             pct(o["change_30d_pct"]), money(o["usd_per_hour"]), o["basis"] or "",
             provenance_text(o["provenance"]) if fmt == "table"
             else json.dumps(finite_json(o["provenance"]), default=str))
            for o in lines]
    return cols, rows


@click.command("scenarios", cls=CostCommand)
@click.option("--as-of", "as_of", type=DAY, default=None,
              help="Price day (default: the newest observation day, with lifecycle judged today).")
@click.option("--scenario", "scenario_name", default=None, help="Show every route and layer of one scenario.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@policy_options
@db_option
def scenarios_cmd(as_of: date | None, scenario_name: str | None, fmt: str, customer_profile: str | None,
                  max_price_age: tuple[dict[str, int], ...], spot_allowance: float | None, db: Path | None) -> None:
    """What each standard fine-tuning scenario costs: cheapest usable route, low/mid/high, change vs 7 and 30 days.

    Stored days come from the scenario_cost_trend view; a day priced with another lifecycle day,
    profile or freshness policy than the stored one is priced on the fly (and says so on stderr).
    """
    from cost_engine.catalogue import load_catalogue
    from cost_engine.service import scenario_table

    catalogue = load_catalogue()
    settings = settings_for(db)
    policy = _policy(settings, customer_profile, max_price_age, spot_allowance)
    if scenario_name is not None and scenario_name not in {s.name for s in catalogue.scenarios}:
        fail(f"no scenario {scenario_name!r}; known: {', '.join(s.name for s in catalogue.scenarios)}")
    with priced_day(settings, policy, as_of) as (con, day):
        table = scenario_table(con, catalogue, policy, day)
    _warn(table.note)
    if scenario_name:
        cheapest = next(o["cheapest_route"] for o in table.lines if o["scenario"] == scenario_name)
        out = route_detail(table.routes, scenario_name, cheapest)
        if fmt == "json":
            click.echo(json_text(out))
            return
        cols = DETAIL_TABLE_COLUMNS
        title = f"{scenario_name} as of {day.price_day}"
        click.echo(render(cols, [[o[c] for c in cols] for o in out], fmt, title=title))
        return
    if fmt == "json":
        click.echo(json_text(table.lines))
        return
    cols, rows = _scenario_lines(table.lines, fmt)
    click.echo(render(cols, rows, fmt, title=f"Scenario costs as of {day.price_day} (catalogue v{catalogue.version}, "
                                             f"customer profile {policy.customer_profile})"))


# ---------------------------------------------------------------- estimate


@click.command("estimate", cls=CostCommand)
@click.option("--params", "params", type=PARAMS, required=True, help="Model parameters, e.g. 7e9.")
@click.option("--method", type=METHOD, required=True)
@click.option("--examples", type=EXAMPLES, required=True)
@click.option("--tokens-per-example", "tokens_per_example", type=TOKENS_PER_EXAMPLE, required=True)
@click.option("--epochs", type=EPOCHS, default=3, show_default=True)
@click.option("--runs", type=RUNS, default=1, show_default=True, help="Training runs (iterations).")
@click.option("--seq-len", "seq_len", type=SEQ_LEN, default=2048, show_default=True)
@click.option("--route", "routes", multiple=True, required=True,
              help="all | gpu:any:<n> | gpu:<GPU or alias>:<n>[:<provider>[:<tier>]] | hosted:any | "
                   "hosted:<provider>[:<model>] (repeatable). Aliases: H100, A100-80G, 4090, L40S...")
@click.option("--price-override", "overrides", multiple=True, metavar="ROUTE=USD",
              help="What-if price: gpu:<GPU>[:<provider>]=USD per GPU-hour or hosted:<provider>[:<model>]=USD "
                   "per 1M training tokens, e.g. 'gpu:H100 SXM 80GB=1.80' (repeatable).")
@click.option("--min-ram-gb", "min_ram_gb", type=INSTANCE_GB, default=None,
              help="Instance RAM the job needs (GB): offers with less are skipped, offers whose source does "
                   "not say are used and flagged.")
@click.option("--min-disk-gb", "min_disk_gb", type=INSTANCE_GB, default=None,
              help="Instance disk the job needs (GB), as --min-ram-gb.")
@click.option("--as-of", "as_of", type=DAY, default=None,
              help="Price day (default: the newest observation day, with lifecycle judged today).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@policy_options
@db_option
def estimate_cmd(params: float, method: str, examples: int, tokens_per_example: float, epochs: float, runs: int,
                 seq_len: int, routes: tuple[str, ...], overrides: tuple[str, ...], min_ram_gb: float | None,
                 min_disk_gb: float | None, as_of: date | None, fmt: str,
                 customer_profile: str | None, max_price_age: tuple[dict[str, int], ...], spot_allowance: float | None,
                 db: Path | None) -> None:
    """Price an ad-hoc fine-tune, cheapest usable route first: `--route all` tries every route that fits.

    Per route: status (available, stale, unpriced, unavailable), totals, wall-clock and GPU hours,
    cost per epoch, the hourly price actually charged, provider, tier, spot flag (with the
    interruption allowance), basis and observation date. JSON: a list of route objects.
    """
    from cost_engine.catalogue import load_catalogue
    from cost_engine.service import (
        EstimateRequest,
        estimate,
        parse_override,
        parse_routes,
    )

    parse_routes(list(routes))        # a bad route or override is an error before the warehouse is opened
    for text in overrides:
        parse_override(text)
    catalogue = load_catalogue()
    settings = settings_for(db)
    policy = _policy(settings, customer_profile, max_price_age, spot_allowance)
    request = EstimateRequest(params, method, examples, tokens_per_example, epochs, runs, seq_len, list(routes),
                              list(overrides), min_ram_gb=min_ram_gb, min_disk_gb=min_disk_gb)
    with priced_day(settings, policy, as_of) as (con, day):
        notes: list[str] = []
        estimates = estimate(con, catalogue, policy, day, request, notes)
    for note in notes:
        _warn(note)
    if fmt == "json":
        click.echo(json_text([estimate_json(e, day.price_day.isoformat()) for e in estimates]))
        return
    click.echo(render(ESTIMATE_COLUMNS, [estimate_row(e) for e in estimates], fmt,
                      title=f"Estimate as of {day.price_day}: {params:g} params, {method}, {examples} × "
                            f"{tokens_per_example:g} tokens × {epochs:g} epochs × {runs} run(s), "
                            f"customer profile {policy.customer_profile}"))


def register(group: click.Group) -> None:
    for command in (reprice_cmd, scenarios_cmd, estimate_cmd):
        group.add_command(command)


__all__ = ["register", "reprice_cmd", "scenarios_cmd", "estimate_cmd"]
