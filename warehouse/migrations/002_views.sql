-- Superseded: views and macros now live once in warehouse/semantic/ and are recreated on every
-- write connection (warehouse/semantic.py). Kept so the version stays recorded in order.
SELECT 1;
