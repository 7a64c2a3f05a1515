-- The large observation tables lose their primary-key index: the loader (warehouse/load.py) keeps
-- them free of duplicates with a payload check plus an anti-join on the batch's own observation
-- time, which costs the same on any day, while the index made every insert check every key and
-- every checkpoint rewrite the whole index (the file grew ~7x faster; benchmarks/bench_load.py).
-- DuckDB cannot drop a key in place, so each table is rebuilt: same columns (including any a
-- migration added before this one), same NOT NULL rules, rows in observation order.
CREATE TABLE market_offers_rebuilt AS SELECT * FROM market_offers ORDER BY observed_at, provider, offer_id, tier;
DROP TABLE market_offers;
ALTER TABLE market_offers_rebuilt RENAME TO market_offers;
ALTER TABLE market_offers ALTER COLUMN observed_at SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN provider SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN offer_id SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN gpu_raw_name SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN gpu_count SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN tier SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN usd_per_gpu_hour SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN usd_per_instance_hour SET NOT NULL;
ALTER TABLE market_offers ALTER COLUMN source_fetch_id SET NOT NULL;

CREATE TABLE gpu_observations_rebuilt AS SELECT * FROM gpu_observations ORDER BY observed_at, provider, offering_key;
DROP TABLE gpu_observations;
ALTER TABLE gpu_observations_rebuilt RENAME TO gpu_observations;
ALTER TABLE gpu_observations ALTER COLUMN observed_at SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN provider SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN offering_key SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN gpu_raw_name SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN gpu_count SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN tier SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN usd_per_gpu_hour SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN usd_per_instance_hour SET NOT NULL;
ALTER TABLE gpu_observations ALTER COLUMN source_fetch_id SET NOT NULL;
