"""How the cost commands print: money, changes, the prices used (at the $/h actually charged),
estimate rows and their JSON objects."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - the engine is imported when a command runs, not at CLI start
    from cost_engine.pricing import RouteEstimate


def money(v: float | None) -> str:
    return "" if v is None else f"${v:,.2f}"


def pct(v: float | None) -> str:
    return "" if v is None else f"{v:+.1f}%"


def hours(band: list[float] | None) -> str:
    return "" if not band else f"{band[0]:,.1f}–{band[2]:,.1f}"


def _gpu_price_text(p: dict[str, Any]) -> str:
    rented, needed = p.get("gpus_rented") or p.get("gpu_count"), p.get("gpus_needed") or p.get("gpu_count")
    instance = p.get("instance_usd_per_hour")
    if instance is None:   # rows priced before the pay-for-what-you-rent rule
        return f"{p['provider']} {p.get('gpu_model', '')} {p.get('tier', '')} ${p['usd']:g}/GPU-h"
    size = f"{rented}-GPU instance" + (f" for {needed} GPU(s)" if rented != needed else "")
    return (f"{p['provider']} {p.get('gpu_model', '')} {p.get('tier', '')} {size} ${instance:,.2f}/h "
            f"(${p['usd']:g}/GPU-h listed)")


def provenance_text(prov: list[dict[str, Any]]) -> str:
    """The prices a route is built on, each at the hourly price actually charged, with its basis."""
    parts = []
    for p in prov:
        what = (_gpu_price_text(p) if p["kind"] == "gpu"
                else f"{p['provider']} {p['model']} {p['price_kind']} ${p['usd']:g}")
        stale = " STALE" if p.get("stale") else ""
        fetch = f" fetch {p['source_fetch_id']}" if p.get("source_fetch_id") is not None else ""
        basis = f"{p['basis']}, " if p.get("basis") else ""
        parts.append(f"{what} @{p['observed_at'][:10]} ({basis}{p['source']}{fetch}){stale}")
    return "; ".join(parts)


def _band(c: Any) -> dict[str, float | None]:
    usd = c.usd
    return {"usd_low": usd.low if usd else None, "usd_mid": usd.mid if usd else None,
            "usd_high": usd.high if usd else None}


def estimate_json(e: RouteEstimate, as_of: str) -> dict[str, Any]:
    """One route object (the list of these is the JSON output); new fields beside the old ones."""
    s = e.summary
    return {
        "route": e.route, "as_of": as_of, "available": e.available, "status": e.status, "cheapest": e.cheapest,
        "total": _band(e.layers["total"]),
        "provider": s.get("provider"), "tier": s.get("tier"), "model": s.get("model"), "spot": s.get("spot"),
        "interruption_allowance": s.get("interruption_allowance"),
        "gpus_needed": s.get("gpus_needed"), "gpus_rented": s.get("gpus_rented"), "oversized": s.get("oversized"),
        "usd_per_hour": s.get("usd_per_hour"), "effective_usd_per_gpu_hour": s.get("effective_usd_per_gpu_hour"),
        "wall_hours_per_run": s.get("wall_hours_per_run"), "gpu_hours_per_run": s.get("gpu_hours_per_run"),
        "cost_per_epoch": s.get("cost_per_epoch"), "basis": s.get("basis"), "observed_at": s.get("observed_at"),
        "reason": e.reason, "provenance": e.provenance,
        "layers": {name: {**_band(c), "inputs": c.inputs} for name, c in e.layers.items()},
    }


ESTIMATE_COLUMNS = ["route", "status", "cheapest", "total_mid", "compute_mid", "wall_h/run", "gpu_h/run", "$/epoch",
                    "$/h", "rented/needed", "provider", "tier", "spot", "basis", "observed", "reason"]


def estimate_row(e: RouteEstimate) -> tuple[Any, ...]:
    s = e.summary
    compute = e.layers["compute"].usd
    epoch = s.get("cost_per_epoch")
    epoch_mid = epoch[1] if isinstance(epoch, list) else epoch
    gpus = f"{s['gpus_rented']}/{s['gpus_needed']}" if s.get("gpus_rented") else ""
    spot = f"yes (+{s['interruption_allowance']:.0%} h)" if s.get("spot") else ""
    return (e.route, e.status, "*" if e.cheapest else "", money(e.total.mid if e.total else None),
            money(compute.mid if compute else None), hours(s.get("wall_hours_per_run")),
            hours(s.get("gpu_hours_per_run")), money(epoch_mid), money(s.get("usd_per_hour")), gpus,
            s.get("provider") or "", s.get("tier") or "", spot, s.get("basis") or "", s.get("observed_at") or "",
            e.reason or "")


def route_detail(rows: list[dict[str, Any]], name: str, cheapest: str | None) -> list[dict[str, Any]]:
    """Every route of one scenario with its layers (``scenarios --scenario NAME``)."""
    routes = sorted({r["route"] for r in rows if r["scenario"] == name})
    out = []
    for route in routes:
        layer = {r["layer"]: r for r in rows if r["scenario"] == name and r["route"] == route}
        total = layer["total"]
        status = (total["inputs"] or {}).get("status") or ("available" if total["available"] else "unavailable")
        summary = (total["inputs"] or {}).get("summary") or {}
        out.append({"route": route, "status": status, "available": total["available"], "cheapest": route == cheapest,
                    **{f"{n}_mid": layer[n]["usd_mid"] if n in layer else None
                       for n in ("compute", "data", "engineering", "serving", "inference")},
                    "total_low": total["usd_low"], "total_mid": total["usd_mid"], "total_high": total["usd_high"],
                    "usd_per_hour": summary.get("usd_per_hour"), "basis": summary.get("basis"),
                    "reason": total["reason"]})
    best = next((o for o in out if o["cheapest"]), None)
    for o in out:
        if o["status"] == "unavailable" and best is not None and best["total_mid"] is not None:
            o["reason"] = f"{o['reason']}; cheapest open route: {best['route']} (${best['total_mid']:,.2f})"
    order = {"available": 0, "stale": 1, "unpriced": 2, "unavailable": 3}
    return sorted(out, key=lambda o: (order.get(o["status"], 9), o["total_mid"] is None, o["total_mid"] or 0,
                                      o["route"]))


DETAIL_TABLE_COLUMNS = ["route", "status", "cheapest", "compute_mid", "serving_mid", "inference_mid", "total_mid",
                        "usd_per_hour", "basis", "reason"]
