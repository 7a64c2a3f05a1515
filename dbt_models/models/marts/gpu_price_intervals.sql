-- SCD2 GPU price history: one row per offering per unchanged price (valid_to NULL while current).
{{ price_intervals(ref('stg_gpu_observations'), 'usd_per_gpu_hour', 'provider',
                   ['offering_key', 'gpu_model', 'tier', 'gpu_count', 'region']) }}
