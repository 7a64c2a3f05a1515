-- What each collector lists now, for readers that want every source's view rather than the one
-- believed price (the dbt intermediate models read it: dbt_models/models/staging/_sources.yml).

-- token_prices_listed: the token price lines in each collector's last load; for the dated
-- curated sheet (rows carry their own as-of date) the newest row per price line. A line its
-- collector stopped publishing is not here. One row per (source, provider, model, method,
-- price_kind); the rule is token_prices_as_of's (20_as_of.sql), with no cutoff.
CREATE OR REPLACE VIEW token_prices_listed AS
SELECT * FROM token_prices_as_of(TIMESTAMP '9999-12-31');
