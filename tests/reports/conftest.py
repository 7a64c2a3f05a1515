"""A small price history for the report tests, loaded through the real warehouse loaders.

SYNTHETIC HISTORY (see tests/reports/SOURCES.md). The price *levels* on the report day come
from real captures: RunPod and Lambda pricing-page scrapes of 2026-02-11 (becloudready/gpu-price
@ 64a1fca6), fine-tuning prices transcribed from the providers' pricing pages, and lifecycle
events from OpenAI's deprecations page (mnfst/modeldeprecations.dev @ b29cefad, 2026-08-20).
The day-to-day moves before that day, the tiers, the scenario costs and the alerts are invented
to exercise the report.
"""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from core.settings import Settings
from scrapers.records import GpuOffer, LifecycleEvent, TokenPrice
from warehouse.db import write_connection
from warehouse.load import (
    FetchLogEntry,
    insert_fetch_log,
    load_gpu_offers,
    load_lifecycle_events,
    load_token_prices,
)

AS_OF = date(2026, 2, 11)
FIRST_DAY = AS_OF - timedelta(days=36)
LAMBDA_MISSING_DAY = date(2026, 2, 1)  # Lambda was not reached that day

# (provider, gpu_model, raw name, tier, count) -> [(from day, USD per GPU-hour), ...]
GPU_PRICES: dict[tuple[str, str | None, str, str, int], list[tuple[date, float]]] = {
    ("runpod", "H100 SXM 80GB", "H100 SXM", "secure", 1): [(FIRST_DAY, 2.99), (date(2026, 1, 25), 2.79), (AS_OF, 2.69)],
    ("runpod", "H100 SXM 80GB", "H100 SXM", "secure_spot", 1): [(FIRST_DAY, 1.75)],
    ("runpod", "A100 SXM 80GB", "A100 SXM", "secure", 1): [(FIRST_DAY, 1.64), (date(2026, 1, 20), 1.49)],
    ("runpod", "L40S 48GB", "L40S", "secure", 1): [(FIRST_DAY, 0.86)],
    ("runpod", "RTX 4090 24GB", "RTX 4090", "community", 1): [(FIRST_DAY, 0.69), (AS_OF, 0.59)],
    ("runpod", None, "Mystery GPU X", "secure", 1): [(FIRST_DAY, 9.99)],  # unknown model: never charted
    ("lambda", "H100 SXM 80GB", "NVIDIA H100 SXM", "on_demand", 8): [(FIRST_DAY, 2.99)],
    ("lambda", "A100 SXM 80GB", "NVIDIA A100 SXM", "on_demand", 8): [(FIRST_DAY, 1.79)],
    ("lambda", "V100 16GB", "NVIDIA Tesla V100", "on_demand", 8): [(FIRST_DAY, 0.55)],
}

# (provider, model, method) -> [(from day, USD per 1M training tokens)]
TOKEN_PRICES = {
    ("openai", "gpt-4.1-2025-04-14", "sft_full"): [(FIRST_DAY, 25.00)],
    ("openai", "gpt-4o-mini-2024-07-18", "sft_full"): [(FIRST_DAY, 3.00)],
    ("together", "<=16B", "sft_lora"): [(FIRST_DAY, 0.50), (date(2026, 1, 20), 0.48)],
}

AGGREGATOR_TRAINING_USD = (24.0, 26.0)  # invented: LiteLLM's (wrong) gpt-4.1 training price, by day parity

LIFECYCLE = [  # (event, first seen)
    (LifecycleEvent("openai", "codex-mini-latest", "inference_shutdown", date(2026, 2, 12),
                    announced_date=date(2025, 11, 17), replacement="gpt-5-codex-mini"), FIRST_DAY),
    (LifecycleEvent("openai", "chatgpt-4o-latest", "inference_shutdown", date(2026, 2, 17),
                    announced_date=date(2025, 11, 18), replacement="gpt-5.1-chat-latest"), FIRST_DAY),
    (LifecycleEvent("openai", "gpt-4-0314", "retired", date(2026, 3, 26),
                    announced_date=date(2025, 9, 26), replacement="gpt-5 or gpt-4.1"), FIRST_DAY),
    (LifecycleEvent("openai", "text-moderation-007", "retired", date(2025, 10, 27),
                    announced_date=date(2025, 4, 28), replacement="omni-moderation"), FIRST_DAY),
    (LifecycleEvent("openai", "dall-e-3", "retired", date(2026, 5, 12),
                    announced_date=date(2025, 11, 14), replacement="gpt-image-1"), AS_OF),
]

# What the cost engine stores in a total row's inputs (cost_engine/pricing.py): the route's status
# and summary (the price charged, its basis and day). GPU routes rent whole instances: Lambda's
# H100 is an 8-GPU instance at 8 x $2.99 = $23.92/h; RunPod's H100 pod is 1 GPU at $2.69/h.
RUNPOD_H100 = {"status": "available", "summary": {"usd_per_hour": 2.69, "gpus_rented": 1, "basis": "provider page",
                                                  "observed_at": "2026-02-11"}}
LAMBDA_H100 = {"status": "available", "summary": {"usd_per_hour": 23.92, "gpus_rented": 8,
                                                  "basis": "provider page", "observed_at": "2026-02-11"}}
TOGETHER = {"status": "available", "summary": {"usd_per_1m_tokens": 0.48, "basis": "provider page",
                                               "observed_at": "2026-02-11"}}
MINI = {"status": "unavailable", "summary": {"usd_per_1m_tokens": 3.0, "basis": "provider page",
                                             "observed_at": "2026-02-11"}}
# priced on a 2025 price, past the freshness limit: cheaper than every usable route, never the cheapest
STALE_A100 = {"status": "stale", "summary": {"usd_per_hour": 1.64, "gpus_rented": 1, "basis": "curated sheet",
                                             "observed_at": "2025-11-30"}}
UNPRICED = {"status": "unpriced", "summary": {}}
LORA, FULL = "sft-lora-8b-10m-tokens", "sft-full-70b-100m-tokens"
H100_RUNPOD, H100_LAMBDA = "gpu:runpod:H100 SXM 80GB:secure", "gpu:lambda:H100 SXM 80GB:on_demand"
TOGETHER_LORA = "api:together:<=16B:sft_lora"
WEEK, MONTH = AS_OF - timedelta(days=7), AS_OF - timedelta(days=30)

SCENARIO_ROWS = [  # (as_of, scenario, route, low, mid, high, available, reason, inputs)
    (AS_OF, LORA, H100_RUNPOD, 5.0, 8.07, 13.0, True, None, RUNPOD_H100),
    (AS_OF, LORA, TOGETHER_LORA, 4.8, 4.8, 4.8, True, None, TOGETHER),
    (AS_OF, LORA, "api:openai:gpt-4o-mini-2024-07-18", None, None, None, False,
     "training unavailable to organisations that have never fine-tuned", MINI),
    (AS_OF, FULL, H100_LAMBDA, 900.0, 1300.0, 2100.0, True, None, LAMBDA_H100),
    (AS_OF, FULL, H100_RUNPOD, 820.0, 1170.0, 1900.0, True, None, RUNPOD_H100),
    (AS_OF, FULL, "gpu:runpod:A100 SXM 80GB:secure", 500.0, 700.0, 1100.0, False,
     "stale price: runpod A100 SXM 80GB $1.64 observed 2025-11-30, older than 30 days", STALE_A100),
    (AS_OF, FULL, "api:together:llama-3.1-70b", None, None, None, False,
     "no training price for together llama-3.1-70b at or before 2026-02-11", UNPRICED),
    (WEEK, LORA, TOGETHER_LORA, 4.8, 4.8, 4.8, True, None, TOGETHER),
    (WEEK, LORA, H100_RUNPOD, 5.6, 8.37, 14.0, True, None, RUNPOD_H100),
    (WEEK, FULL, H100_RUNPOD, 850.0, 1220.0, 2000.0, True, None, RUNPOD_H100),
    (MONTH, LORA, TOGETHER_LORA, 5.0, 5.0, 5.0, True, None, TOGETHER),
    (MONTH, FULL, H100_RUNPOD, 900.0, 1300.0, 2150.0, True, None, RUNPOD_H100),
]

ALERT_ROWS = [  # (id, rule, key, severity, first_seen, last_seen, state, resolved_at, message)
    ("a1", "gpu_price_drop", "runpod|H100 SXM 80GB|secure", "warning", datetime(2026, 2, 11, 6),
     datetime(2026, 2, 11, 6), "open", None, "runpod H100 SXM 80GB secure fell 3.6% to $2.69/GPU-h"),
    ("a2", "lifecycle_soon", "openai|codex-mini-latest", "critical", datetime(2026, 2, 5, 6), datetime(2026, 2, 11, 6),
     "open", None, "codex-mini-latest shuts down on 2026-02-12"),
    ("a3", "source_failing", "lambda", "info", datetime(2026, 2, 1, 6), datetime(2026, 2, 1, 6),
     "resolved", datetime(2026, 2, 2, 6), "lambda unreachable"),
    ("a4", "gpu_price_rise", "lambda|H100 SXM 80GB|on_demand", "info", datetime(2026, 2, 9, 6),
     datetime(2026, 2, 10, 6), "resolved", datetime(2026, 2, 11, 6), "lambda H100 price back to normal"),
]


def price_on(schedule: list[tuple[date, float]], day: date) -> float:
    return [p for start, p in schedule if start <= day][-1]


def observed(day: date) -> datetime:
    return datetime.combine(day, time(6, 0))


def build_history(db_path: Path, days: int = 37) -> None:
    with write_connection(db_path) as con:
        for i in range(days):
            day = FIRST_DAY + timedelta(days=i)
            at = observed(day)
            for provider in ("runpod", "lambda"):
                if provider == "lambda" and day == LAMBDA_MISSING_DAY:
                    insert_fetch_log(con, FetchLogEntry("lambdalabs", "https://lambda.ai/pricing", at, at, "replay",
                                                        "network_error", error="synthetic outage"))
                    continue
                offers = [
                    GpuOffer(provider, f"{raw}|{tier}|{count}", model, raw, count, tier,
                             price_on(schedule, day), price_on(schedule, day) * count)
                    for (prov, model, raw, tier, count), schedule in GPU_PRICES.items() if prov == provider
                ]
                fid = insert_fetch_log(con, FetchLogEntry(provider, f"https://{provider}.example/prices", at, at,
                                                          "replay", "ok", records_parsed=len(offers)))
                load_gpu_offers(con, offers, at, fid)
            for source, provider in (("openai_pricing", "openai"), ("together_pricing", "together")):
                prices = [TokenPrice(p, m, meth, "training_per_1m_tokens", price_on(s, day))
                          for (p, m, meth), s in TOKEN_PRICES.items() if p == provider]
                if provider == "openai":
                    prices.append(TokenPrice("openai", "gpt-4.1-2025-04-14", "inference", "ft_input_per_1m", 3.0))
                fid = insert_fetch_log(con, FetchLogEntry(source, f"https://{provider}.example/pricing", at, at,
                                                          "replay", "ok", records_parsed=len(prices)))
                load_token_prices(con, prices, at, source, fid)
            # The aggregator disagrees on alternate days and prices a line no provider page has:
            # neither may ever show as the price of record.
            aggregated = [TokenPrice("openai", "gpt-4.1-2025-04-14", "sft_full", "training_per_1m_tokens",
                                     AGGREGATOR_TRAINING_USD[i % 2]),
                          TokenPrice("openai", "gpt-4o-2024-08-06", "inference", "ft_output_per_1m", 15.0)]
            fid = insert_fetch_log(con, FetchLogEntry("litellm", "https://litellm.example/prices.json", at, at,
                                                      "replay", "ok", records_parsed=len(aggregated)))
            load_token_prices(con, aggregated, at, "litellm", fid)
            seen = [ev for ev, first in LIFECYCLE if first <= day]
            load_lifecycle_events(con, seen, at, "openai_deprecations", None)
        insert_scenarios(con)
        insert_alerts(con)


def insert_scenarios(con) -> None:
    for as_of, scenario, route, low, mid, high, available, reason, inputs in SCENARIO_ROWS:
        con.execute(
            "INSERT INTO scenario_costs VALUES (?, ?, ?, 'total', ?, ?, ?, ?, ?, ?, ?)",
            [as_of, scenario, route, low, mid, high, available, reason, json.dumps(inputs), observed(as_of)],
        )
        con.execute(  # another layer, which the report must ignore
            "INSERT INTO scenario_costs VALUES (?, ?, ?, 'compute', 0.01, 0.01, 0.01, true, NULL, '{}', ?)",
            [as_of, scenario, route, observed(as_of)],
        )


def insert_alerts(con) -> None:
    for aid, rule, key, sev, first, last, state, resolved, message in ALERT_ROWS:
        con.execute(
            "INSERT INTO alerts (alert_id, rule, key, severity, first_seen_at, last_seen_at, state, resolved_at, "
            "message, evidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)",
            [aid, rule, key, sev, first, last, state, resolved, message, last],
        )


@pytest.fixture(scope="session")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "history.duckdb"
    build_history(path)
    return path


@pytest.fixture
def history(settings: Settings, history_db: Path) -> Settings:
    """``settings`` whose warehouse holds the synthetic 37-day history (a fresh copy per test)."""
    shutil.copy(history_db, settings.db_path)
    return settings


@pytest.fixture
def empty(settings: Settings) -> Settings:
    """``settings`` whose warehouse is migrated but holds nothing."""
    with write_connection(settings.db_path):
        pass
    return settings


@pytest.fixture
def con_history(history_db: Path):
    from warehouse.db import read_connection

    with read_connection(history_db) as con:
        yield con


