-- Marketplace statistics (Vast.ai's per-model rows, warehouse/market.py) were stored in
-- gpu_observations without becoming their offerings' latest observation, so gpu_prices_latest
-- did not list them. The loader now refreshes gpu_observations_latest for them; this adds the
-- latest observation of every offering the table is missing.
INSERT INTO gpu_observations_latest BY NAME
SELECT h.* FROM gpu_observations h
ANTI JOIN gpu_observations_latest c USING (provider, offering_key)
QUALIFY row_number() OVER (PARTITION BY h.provider, h.offering_key ORDER BY h.observed_at DESC) = 1;
