-- test/concurrency/setup.sql: a fresh exchange for the concurrency and crash suites.
-- An empty journal (DROP + CREATE EXTENSION), three symbols CC1-KRW..CC3-KRW (tick 0.5, lot
-- 0.01), six trader roles xt_conc_1..xt_conc_6 (the load runs as the cluster's superuser and
-- trades for them with account => ...), and xt_test.poke(), the cancel/amend half of the load.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS xt_test CASCADE;
DROP EXTENSION IF EXISTS xtrader CASCADE;
CREATE EXTENSION xtrader;

DO $$
BEGIN
    FOR i IN 1..6 LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xt_conc_' || i) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE xtrader_trader', 'xt_conc_' || i);
        END IF;
    END LOOP;
END
$$;

SELECT count(*) FROM (
    SELECT xtrader.xt_create_symbol('CC' || i || '-KRW', 0.5, 0.01) FROM generate_series(1, 3) i
) s;

CREATE SCHEMA xt_test;

-- Cancel or amend a random open order among the newest ones. Losing a race (the order filled
-- or was cancelled meanwhile, or the amend is refused) is expected under concurrency and only
-- reported in the result; any other error propagates and aborts the pgbench client.
CREATE FUNCTION xt_test.poke(r int, new_price numeric, new_quantity numeric) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    SELECT order_id INTO id FROM xtrader.orders
     WHERE order_id > (SELECT max(order_id) FROM xtrader.orders) - 400 AND status IN (0, 1)
     ORDER BY random() LIMIT 1;
    IF id IS NULL THEN
        RETURN 'nothing open';
    END IF;
    BEGIN
        IF r <= 60 THEN
            PERFORM xtrader.xt_cancel_order(id);
            RETURN 'cancelled';
        ELSIF r <= 80 THEN
            PERFORM xtrader.xt_amend_order(id, price => new_price);
            RETURN 'amended price';
        ELSE
            PERFORM xtrader.xt_amend_order(id, quantity => new_quantity);
            RETURN 'amended quantity';
        END IF;
    EXCEPTION WHEN object_not_in_prerequisite_state OR invalid_parameter_value THEN
        RETURN 'lost a race: ' || SQLERRM;
    END;
END
$$;
