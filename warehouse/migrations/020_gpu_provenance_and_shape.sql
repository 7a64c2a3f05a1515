-- GPU observations from multi-cloud catalogues: the collector (source) is kept apart from the
-- cloud that rents the GPU (provider); availability and instance shape where the source says.
-- Rows loaded before this migration came from each provider's own collector, named like it.
ALTER TABLE gpu_observations ADD COLUMN source VARCHAR;
UPDATE gpu_observations SET source = provider WHERE source IS NULL;
ALTER TABLE gpu_observations ADD COLUMN catalog VARCHAR;       -- catalogue folder (shadeform, aws, ...)
ALTER TABLE gpu_observations ADD COLUMN available BOOLEAN;     -- rentable now / sold out; NULL = not said
ALTER TABLE gpu_observations ADD COLUMN stock VARCHAR;         -- high | medium | low | none
ALTER TABLE gpu_observations ADD COLUMN available_in VARCHAR;  -- regions / data centres with capacity
ALTER TABLE gpu_observations ADD COLUMN vcpus DOUBLE;
ALTER TABLE gpu_observations ADD COLUMN ram_gb DOUBLE;
ALTER TABLE gpu_observations ADD COLUMN disk_gb DOUBLE;

-- Marketplace offers keep the interruptible floor and the machine's shape.
ALTER TABLE market_offers ADD COLUMN min_bid DOUBLE;           -- USD/h for the whole offer
ALTER TABLE market_offers ADD COLUMN vcpus DOUBLE;
ALTER TABLE market_offers ADD COLUMN ram_gb DOUBLE;
ALTER TABLE market_offers ADD COLUMN disk_gb DOUBLE;
