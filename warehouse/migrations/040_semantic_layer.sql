-- The fingerprint of the semantic layer (warehouse/semantic/*.sql and the generated macros) that
-- the last writer created, so a reader can tell views made by another pricewatch version and say
-- "run `pricewatch migrate`". One row; rewritten by warehouse.db.record_semantic_fingerprint.
CREATE TABLE semantic_layer (
    fingerprint  VARCHAR NOT NULL,
    applied_at   TIMESTAMP NOT NULL
);
