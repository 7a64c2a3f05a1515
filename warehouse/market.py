"""Per-model statistics of a marketplace, computed in the warehouse from the offers of one load.

A marketplace (Vast.ai) has no list price, only offers, and its offers arrive in several pages
(payloads) per run: statistics over one page would be wrong, so they are computed once the whole
batch is loaded, in SQL over ``market_offers``, and stored as ``gpu_observations`` rows:

* ``on_demand``: ``usd_per_gpu_hour`` = p10 of the per-GPU prices of every offer of the model
  (``quantile_cont``, linear interpolation), with min, median and the offer count;
* ``interruptible``: the same over ``min_bid / gpu_count`` where the offer quotes a positive bid
  within the plausibility bound.

One row per (provider, model, tier) at the batch time; the model is the canonical name, or the
raw name when unknown. ``offering_key`` is ``"<model>|<tier>"``. Loading the same batch again
adds nothing. Like every GPU load, the rows become their offerings' latest observation
(``gpu_observations_latest``, which ``gpu_prices_latest`` reads) in the same transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from scrapers.records import MAX_PLAUSIBLE_USD_PER_GPU_HOUR
from warehouse.load import refresh_latest

_AGGREGATE = f"""
INSERT INTO gpu_observations (observed_at, provider, offering_key, gpu_model, gpu_raw_name, gpu_count, tier,
                              usd_per_gpu_hour, usd_per_instance_hour, vram_gb, offer_count,
                              usd_per_gpu_hour_min, usd_per_gpu_hour_median, source_fetch_id, source)
WITH offers AS (
    SELECT provider, coalesce(gpu_model, gpu_raw_name) AS model_key, gpu_model, gpu_raw_name, vram_gb,
           source_fetch_id, 'on_demand' AS tier, usd_per_gpu_hour AS usd
    FROM market_offers WHERE observed_at = $at AND provider IN (SELECT unnest($providers))
    UNION ALL
    SELECT provider, coalesce(gpu_model, gpu_raw_name), gpu_model, gpu_raw_name, vram_gb,
           source_fetch_id, 'interruptible', min_bid / gpu_count
    FROM market_offers WHERE observed_at = $at AND provider IN (SELECT unnest($providers))
      AND min_bid > 0 AND min_bid / gpu_count <= {MAX_PLAUSIBLE_USD_PER_GPU_HOUR}
), stats AS (
    SELECT provider, model_key, tier,
           any_value(gpu_model) AS gpu_model,
           string_agg(DISTINCT gpu_raw_name, ' / ' ORDER BY gpu_raw_name) AS gpu_raw_name,
           quantile_cont(usd, 0.1) AS p10, min(usd) AS usd_min, quantile_cont(usd, 0.5) AS usd_median,
           count(*) AS n, median(vram_gb) AS vram_median, min(source_fetch_id) AS fetch_id
    FROM offers GROUP BY provider, model_key, tier
)
SELECT $at, s.provider, s.model_key || '|' || s.tier, s.gpu_model, s.gpu_raw_name, 1, s.tier,
       s.p10, s.p10,
       -- a known model is listed at its nominal size (the name ends in it); else the median measured
       coalesce(TRY_CAST(regexp_extract(s.gpu_model, '(\\d+)GB$', 1) AS DOUBLE), s.vram_median),
       s.n, s.usd_min, s.usd_median, s.fetch_id, s.provider
FROM stats s
WHERE NOT EXISTS (SELECT 1 FROM gpu_observations g
                  WHERE g.provider = s.provider AND g.offering_key = s.model_key || '|' || s.tier
                    AND g.observed_at = $at)
"""


def aggregate_market(con: duckdb.DuckDBPyConnection, observed_at: datetime, providers: list[str]) -> int:
    """Store the per-model statistics of the providers' offers observed at ``observed_at``.
    Returns the number of rows added (0 when they are already there)."""
    if not providers:
        return 0
    params = {"at": observed_at, "providers": sorted(set(providers))}
    row = con.execute(_AGGREGATE, params).fetchone()
    added = int(row[0]) if row else 0
    if added:  # each statistic row carries the first fetch of its model's offers
        fetch_ids = con.execute("SELECT DISTINCT source_fetch_id FROM gpu_observations WHERE observed_at = $at "
                                "AND provider IN (SELECT unnest($providers))", params).fetchall()
        for (fetch_id,) in fetch_ids:
            refresh_latest(con, observed_at, fetch_id)
    return added


def providers_of(offers: Any) -> set[str]:
    """The providers of a batch of market offers (records or a ``pyarrow.Table``)."""
    if isinstance(offers, pa.Table):
        return set(pc.unique(offers["provider"]).to_pylist()) if offers.num_rows else set()
    return {o.provider for o in offers}
