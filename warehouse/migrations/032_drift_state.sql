-- drift/: the evaluation state carried from one alert evaluation to the next (each GPU
-- provider's and token price line's series state, the open alerts, the fetch_id and row counts
-- evaluated so far), so a run reads only the observations loaded since the last one. Written in
-- the same transaction as the alerts it produced. Deleting the row makes the next evaluation a
-- full one (the same alerts, computed from the whole history).
CREATE TABLE drift_state (
    name          VARCHAR PRIMARY KEY,      -- 'alerts'
    evaluated_at  TIMESTAMP NOT NULL,       -- the evaluation's `now`
    state         JSON NOT NULL
);
