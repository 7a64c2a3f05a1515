"""Cost-engine commands: ``reprice``, ``scenarios``, ``estimate``."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from core import money
from core.settings import settings_for
from pricewatch.cli_common import db_option
from pricewatch.output import FORMATS, finite_json, json_text, render

_date = click.DateTime(formats=["%Y-%m-%d"])
NO_PRICES = "error: the warehouse has no prices yet; run `pricewatch run --offline` first"


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _money(v: float | None) -> str:
    return money.usd(v, missing="")


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    now_f, before_f = money.finite(now), money.finite(before)
    if now_f is None or before_f is None:
        return money.NOT_AVAILABLE
    if before_f == 0:
        return "" if now_f == 0 else "new"
    return money.percent((now_f - before_f) / before_f)


def _provenance_text(prov: list[dict[str, Any]]) -> str:
    parts = []
    for p in prov:
        what = (f"{p['provider']} {p.get('gpu_model', '')} {p.get('tier', '')}".strip() if p["kind"] == "gpu"
                else f"{p['provider']} {p['model']} {p['price_kind']}")
        stale = " STALE" if p.get("stale") else ""
        fetch = f" fetch {p['source_fetch_id']}" if p.get("source_fetch_id") is not None else ""
        parts.append(f"{what} {money.usd_price(p['usd'])} @{p['observed_at'][:10]} ({p['source']}{fetch}){stale}")
    return "; ".join(parts)


def _cheapest(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per scenario, the total row the engine marked ``cheapest_in_scenario``."""
    return {r["scenario"]: r for r in rows
            if r["layer"] == "total" and (r.get("inputs") or {}).get("cheapest_in_scenario")}


def register(group: click.Group) -> None:
    # Imported here, not at module level: pricewatch.cli imports this module while it loads.

    @group.command("reprice")
    @click.option("--from", "start", type=_date, default=None, help="First day to reprice (YYYY-MM-DD).")
    @click.option("--to", "end", type=_date, default=None, help="Last day to reprice (default: --from).")
    @db_option
    def reprice_cmd(start: datetime | None, end: datetime | None, db: Path | None) -> None:
        """Reprice the scenario catalogue into scenario_costs, one as-of day at a time.

        Without --from it reprices the day of the newest observation and any day of the 30 before
        it that has no rows (as the daily run does). --to stops at the newest observation. Each day
        is replaced in one transaction, so re-running is safe.
        """
        from cost_engine.daily import reprice_latest
        from cost_engine.reprice import backfill, clamp_to_observations
        from warehouse.db import write_connection

        settings = settings_for(db)
        if start is None:
            if end is not None:
                raise click.UsageError("--to needs --from")
            click.echo(reprice_latest(settings))
            return
        first, last = start.date(), (end or start).date()
        if last < first:
            raise click.UsageError(f"--to {last} is before --from {first}")
        with write_connection(settings.db_path) as con:
            clamped, warnings = clamp_to_observations(con, first, last)
            for warning in warnings:
                click.echo(warning, err=True)
            if clamped is None:
                return
            summaries = backfill(con, first, clamped, progress=lambda m: click.echo(m, err=True))
        click.echo(render(["as_of", "scenarios", "routes", "available", "rows"],
                          [(s.as_of, s.scenarios, s.routes, s.available, s.rows) for s in summaries]))

    @group.command("scenarios")
    @click.option("--as-of", "as_of", type=_date, default=None,
                  help="Day to show (default: the latest repriced day, else the latest observation day).")
    @click.option("--scenario", "scenario_name", default=None, help="Show every route and layer of one scenario.")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
    @db_option
    def scenarios_cmd(as_of: datetime | None, scenario_name: str | None, fmt: str, db: Path | None) -> None:
        """What each standard fine-tuning scenario costs: cheapest route, low/mid/high, change vs 7 and 30 days."""
        from core.clock import utcnow
        from cost_engine.catalogue import load_catalogue
        from cost_engine.loader import latest_repriced_date, load_snapshot, read_scenario_costs
        from cost_engine.pricing import price_catalogue
        from cost_engine.reprice import estimate_rows
        from warehouse.asof import latest_observation_date
        from warehouse.db import read_connection

        catalogue = load_catalogue()
        with read_connection(settings_for(db).db_path) as con:
            day = _day(as_of) or latest_repriced_date(con) or latest_observation_date(con)
            if day is None:
                click.echo(NO_PRICES, err=True)
                sys.exit(2)
            rows = read_scenario_costs(con, day)
            stored = bool(rows)
            if not stored:
                snap = load_snapshot(con, day, catalogue.staleness_days)
                rows = estimate_rows(price_catalogue(catalogue, snap), day, utcnow())
                for r in rows:
                    r["inputs"] = json.loads(json.dumps(r["inputs"], default=str))
            before = {n: _cheapest(read_scenario_costs(con, day - timedelta(days=n), "total")) for n in (7, 30)}
        if not stored:
            click.echo(f"note: no scenario_costs stored for {day}; computed on the fly "
                       f"(run `pricewatch reprice --from {day}` to store it)", err=True)
        if scenario_name:
            _print_scenario_routes(rows, scenario_name, day, fmt)
            return
        best = _cheapest(rows)
        out = []
        for s in catalogue.scenarios:
            totals = [r for r in rows if r["scenario"] == s.name and r["layer"] == "total"]
            b = best.get(s.name)
            prev = {n: before[n].get(s.name) for n in (7, 30)}
            out.append({
                "scenario": s.name, "as_of": day.isoformat(),
                "cheapest_route": b["route"] if b else None,
                "usd_low": b["usd_low"] if b else None, "usd_mid": b["usd_mid"] if b else None,
                "usd_high": b["usd_high"] if b else None,
                "routes_available": f"{sum(r['available'] for r in totals)}/{len(totals)}",
                "change_7d": _change(b["usd_mid"] if b else None, prev[7]["usd_mid"] if prev[7] else None),
                "change_30d": _change(b["usd_mid"] if b else None, prev[30]["usd_mid"] if prev[30] else None),
                "mid_7d_ago": prev[7]["usd_mid"] if prev[7] else None,
                "mid_30d_ago": prev[30]["usd_mid"] if prev[30] else None,
                "provenance": b["inputs"].get("provenance", []) if b else [],
                "reason": b["reason"] if b else "; ".join(sorted({r["reason"] or "" for r in totals})) or None,
            })
        if fmt == "json":
            click.echo(json_text(out))
            return
        cols = ["scenario", "cheapest_route", "low", "mid", "high", "routes", "vs_7d", "vs_30d", "prices_used"]
        table = [(o["scenario"], o["cheapest_route"] or "none available", _money(o["usd_low"]), _money(o["usd_mid"]),
                  _money(o["usd_high"]), o["routes_available"], o["change_7d"], o["change_30d"],
                  _provenance_text(o["provenance"]) if fmt == "table"
                  else json.dumps(finite_json(o["provenance"]), default=str))
                 for o in out]
        click.echo(render(cols, table, fmt, title=f"Scenario costs as of {day} (catalogue v{catalogue.version})"))

    @group.command("estimate")
    @click.option("--params", "params", type=float, required=True, help="Model parameters, e.g. 7e9.")
    @click.option("--method", type=click.Choice(["qlora", "lora", "full"]), required=True)
    @click.option("--examples", type=int, required=True)
    @click.option("--tokens-per-example", "tokens_per_example", type=float, required=True)
    @click.option("--epochs", type=float, default=3, show_default=True)
    @click.option("--runs", type=int, default=1, show_default=True, help="Training runs (iterations).")
    @click.option("--seq-len", "seq_len", type=int, default=2048, show_default=True)
    @click.option("--route", "routes", multiple=True, required=True,
                  help="gpu:<GPU>:<count>[:<provider>[:<tier>]] or hosted:<provider>[:<model>] (repeatable).")
    @click.option("--as-of", "as_of", type=_date, default=None, help="Price day (default: latest observation day).")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
    @db_option
    def estimate_cmd(params: float, method: str, examples: int, tokens_per_example: float, epochs: float, runs: int,
                     seq_len: int, routes: tuple[str, ...], as_of: datetime | None, fmt: str, db: Path | None) -> None:
        """Price an ad-hoc fine-tune on the given routes, with the same breakdown as the catalogue."""
        from cost_engine.catalogue import Catalogue, Scenario, load_catalogue
        from cost_engine.loader import load_snapshot
        from cost_engine.pricing import price_scenario
        from warehouse.asof import latest_observation_date
        from warehouse.db import read_connection

        base = load_catalogue()
        try:
            scenario = Scenario(name="adhoc", params=params, method=method, examples=examples,
                                tokens_per_example=tokens_per_example, epochs=epochs, runs=runs, seq_len=seq_len,
                                routes=list(routes))
        except ValueError as exc:   # CatalogueError, UnknownGpu and pydantic's errors are ValueErrors
            raise click.UsageError(str(exc)) from None
        catalogue = Catalogue(version=base.version, customer_profile=base.customer_profile,
                              staleness_days=base.staleness_days, models=base.models, scenarios=[scenario])
        with read_connection(settings_for(db).db_path) as con:
            day = _day(as_of) or latest_observation_date(con)
            if day is None:
                click.echo(NO_PRICES, err=True)
                sys.exit(2)
            snap = load_snapshot(con, day, catalogue.staleness_days)
        estimates = price_scenario(scenario, catalogue, snap)
        if fmt == "json":
            click.echo(json_text([{
                "route": e.route, "as_of": day.isoformat(), "available": e.available, "cheapest": e.cheapest,
                "reason": e.reason, "provenance": e.provenance,
                "layers": {name: {"usd_low": c.usd.low if c.usd else None, "usd_mid": c.usd.mid if c.usd else None,
                                  "usd_high": c.usd.high if c.usd else None, "inputs": c.inputs}
                           for name, c in e.layers.items()},
            } for e in estimates]))
            return
        table = []
        for e in estimates:
            comp = e.layers["compute"]
            hours = comp.inputs.get("gpu_hours_per_run")
            table.append((e.route, "yes" if e.available else "no", "*" if e.cheapest else "",
                          _money(comp.usd.low if comp.usd else None), _money(comp.usd.mid if comp.usd else None),
                          _money(comp.usd.high if comp.usd else None),
                          "" if hours is None else f"{hours[0]:,.1f}–{hours[2]:,.1f}",
                          _provenance_text(e.provenance), e.reason or ""))
        click.echo(render(["route", "available", "cheapest", "compute_low", "compute_mid", "compute_high",
                           "gpu_hours/run", "prices_used", "reason"], table, fmt,
                          title=f"Estimate as of {day}: {params:g} params, {method}, {examples} × "
                                f"{tokens_per_example:g} tokens × {epochs:g} epochs × {runs} run(s)"))


def _print_scenario_routes(rows: list[dict[str, Any]], name: str, day: date, fmt: str) -> None:
    mine = [r for r in rows if r["scenario"] == name]
    if not mine:
        raise click.UsageError(f"no scenario {name!r} on {day}")
    routes = sorted({r["route"] for r in mine})
    best = _cheapest(mine).get(name)
    out = []
    for route in routes:
        layer = {r["layer"]: r for r in mine if r["route"] == route}
        total = layer["total"]
        out.append({"route": route, "available": total["available"],
                    "cheapest": bool(best and best["route"] == route),
                    **{f"{n}_mid": layer[n]["usd_mid"] if n in layer else None
                       for n in ("compute", "data", "engineering", "serving", "inference")},
                    "total_low": total["usd_low"], "total_mid": total["usd_mid"], "total_high": total["usd_high"],
                    "reason": total["reason"]})
    if fmt == "json":
        click.echo(json_text(out))
        return
    cols = list(out[0].keys())
    click.echo(render(cols, [[o[c] for c in cols] for o in out], fmt, title=f"{name} as of {day}"))
