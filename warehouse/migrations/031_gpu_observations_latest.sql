-- The latest observation of every GPU offering, maintained by the loader in the same transaction
-- as the observations (warehouse/load.py): the "current" views (gpu_prices_latest) read these
-- few thousand rows instead of the whole history. Same columns as gpu_observations; a column a
-- later migration adds there is added here by the loader (load.sync_latest_columns).
CREATE TABLE gpu_observations_latest AS
SELECT * FROM gpu_observations
QUALIFY row_number() OVER (PARTITION BY provider, offering_key ORDER BY observed_at DESC) = 1;
ALTER TABLE gpu_observations_latest ADD PRIMARY KEY (provider, offering_key);
