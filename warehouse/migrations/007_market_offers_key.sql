-- market_offers gets the same guarantee as the other observation tables: loading the same
-- offers for the same time twice adds nothing, whatever the fetch_log says.
DELETE FROM market_offers WHERE rowid NOT IN (
    SELECT min(rowid) FROM market_offers GROUP BY provider, offer_id, tier, observed_at);
ALTER TABLE market_offers ADD PRIMARY KEY (provider, offer_id, tier, observed_at);
