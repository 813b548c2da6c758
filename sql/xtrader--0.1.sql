-- xtrader--0.1.sql: schema xtrader, roles, the symbol registry.
\echo Use "CREATE EXTENSION xtrader" to load this file. \quit

-- Roles are cluster-wide and outlive the extension; create them only if missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xtrader_admin') THEN
        CREATE ROLE xtrader_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xtrader_trader') THEN
        CREATE ROLE xtrader_trader NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA xtrader FROM PUBLIC;
GRANT USAGE ON SCHEMA xtrader TO xtrader_admin, xtrader_trader;

-- The symbol registry. Values are stored trimmed (0.0010 is kept as 0.001).
CREATE TABLE xtrader.symbols (
    symbol_id    integer     PRIMARY KEY CHECK (symbol_id >= 0),
    symbol       text        NOT NULL UNIQUE
                             CHECK (symbol ~ '^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$'),
    tick_size    numeric     NOT NULL CHECK (tick_size > 0 AND min_scale(tick_size) <= 8),
    lot_size     numeric     NOT NULL CHECK (lot_size > 0 AND min_scale(lot_size) <= 8),
    min_quantity numeric     CHECK (min_quantity > 0 AND mod(min_quantity, lot_size) = 0),
    max_quantity numeric     CHECK (max_quantity > 0 AND mod(max_quantity, lot_size) = 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (min_quantity IS NULL OR max_quantity IS NULL OR min_quantity <= max_quantity)
);
COMMENT ON TABLE xtrader.symbols IS 'Listed symbols: the tick and lot grid of each order book.';
SELECT pg_catalog.pg_extension_config_dump('xtrader.symbols', '');

REVOKE ALL ON xtrader.symbols FROM PUBLIC;
GRANT SELECT ON xtrader.symbols TO xtrader_admin, xtrader_trader;

CREATE FUNCTION xtrader.xt_create_symbol(
    symbol       text,
    tick_size    numeric,
    lot_size     numeric,
    min_quantity numeric DEFAULT NULL,
    max_quantity numeric DEFAULT NULL)
RETURNS xtrader.symbols
AS 'MODULE_PATHNAME', 'xt_create_symbol'
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_create_symbol(text, numeric, numeric, numeric, numeric)
    IS 'List a symbol with its tick size, lot size and optional quantity bounds.';

CREATE FUNCTION xtrader.xt_symbols()
RETURNS SETOF xtrader.symbols
AS $$ SELECT * FROM xtrader.symbols ORDER BY symbol_id $$
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_symbols() IS 'Every listed symbol, in id order.';

REVOKE ALL ON FUNCTION xtrader.xt_create_symbol(text, numeric, numeric, numeric, numeric) FROM PUBLIC;
REVOKE ALL ON FUNCTION xtrader.xt_symbols() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_create_symbol(text, numeric, numeric, numeric, numeric) TO xtrader_admin;
GRANT EXECUTE ON FUNCTION xtrader.xt_symbols() TO xtrader_admin, xtrader_trader;

-- ---------------------------------------------------------------------------------------------
-- Trading state. Written only by the persister background worker (one transaction per group of
-- commands); readers go through the functions below. Prices are stored as integer ticks and
-- quantities as integer lots of the symbol; the functions turn them back into exact numerics.

-- The durable journal: every sequenced command, in order, encoded by src/engine/codec. The books
-- are rebuilt from it after a crash; nothing else is needed.
CREATE TABLE xtrader.journal (
    seq        bigint      PRIMARY KEY,
    type       smallint    NOT NULL,     -- 1 new order, 2 cancel, 3 amend, 4 add symbol
    command    bytea       NOT NULL,
    outcome    smallint    NOT NULL,     -- 1 accepted, 2 rejected, 3 duplicate
    reason     smallint    NOT NULL,     -- engine reason code when rejected
    result_id  bigint,                   -- the order it acted on (the original for a duplicate)
    applied_at timestamptz NOT NULL
);
COMMENT ON TABLE xtrader.journal IS 'Every sequenced command, in sequence order (the recovery log).';

-- Snapshots of every book (src/engine snapshot format) as of a durable seq: recovery restores the
-- newest and replays only the journal after it.
CREATE TABLE xtrader.snapshots (
    seq        bigint      PRIMARY KEY,   -- the last command the snapshot includes
    taken_at   timestamptz NOT NULL,
    data       bytea       NOT NULL
);
ALTER TABLE xtrader.snapshots ALTER COLUMN data SET STORAGE EXTERNAL;  -- already compact
COMMENT ON TABLE xtrader.snapshots IS 'Engine snapshots: recovery starts from the newest.';

CREATE TABLE xtrader.orders (
    order_id        bigint      PRIMARY KEY,  -- = the sequence number of its NEW_ORDER command
    symbol_id       integer     NOT NULL,
    account         oid         NOT NULL,     -- the role that owns the order
    side            smallint    NOT NULL,     -- 0 buy, 1 sell
    order_type      smallint    NOT NULL,     -- 0 limit, 1 market
    time_in_force   smallint    NOT NULL,     -- 0 GTC, 1 IOC, 2 FOK
    post_only       boolean     NOT NULL,
    stp             smallint    NOT NULL,
    client_order_id text,
    price           bigint,                   -- ticks; NULL for a market order
    quantity        bigint      NOT NULL,     -- lots, as last amended
    remaining       bigint      NOT NULL,     -- lots still open (or left when it ended)
    status          smallint    NOT NULL,     -- 0 Pending .. 5 Rejected (engine.h xt_status)
    reason          smallint    NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX orders_account_idx ON xtrader.orders (account, order_id);
COMMENT ON TABLE xtrader.orders IS 'Current state of every order (written by the persister).';

CREATE TABLE xtrader.executions (
    execution_id    bigint      PRIMARY KEY,  -- engine trade id: 1, 2, 3, ...
    seq             bigint      NOT NULL,     -- the command that traded
    symbol_id       integer     NOT NULL,
    price           bigint      NOT NULL,     -- ticks (the maker's price)
    quantity        bigint      NOT NULL,     -- lots
    taker_order_id  bigint      NOT NULL,
    maker_order_id  bigint      NOT NULL,
    taker_side      smallint    NOT NULL,
    taker_account   oid         NOT NULL,
    maker_account   oid         NOT NULL,
    taker_remaining bigint      NOT NULL,
    maker_remaining bigint      NOT NULL,
    executed_at     timestamptz NOT NULL
);
CREATE INDEX executions_symbol_idx ON xtrader.executions (symbol_id, execution_id);
COMMENT ON TABLE xtrader.executions IS 'Every trade (written by the persister).';

REVOKE ALL ON xtrader.journal, xtrader.snapshots, xtrader.orders, xtrader.executions FROM PUBLIC;
GRANT SELECT ON xtrader.journal, xtrader.orders, xtrader.executions TO xtrader_admin;
GRANT SELECT (seq, taken_at) ON xtrader.snapshots TO xtrader_admin;
GRANT SELECT ON xtrader.orders TO xtrader_trader;

-- A trader sees only its own orders, whatever query it writes.
ALTER TABLE xtrader.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_admin ON xtrader.orders FOR SELECT TO xtrader_admin USING (true);
CREATE POLICY orders_own ON xtrader.orders FOR SELECT TO xtrader_trader
    USING (account = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user));

-- Names of the engine's codes, for readers.
CREATE FUNCTION xtrader.xt_status_name(s smallint) RETURNS text
AS $$ SELECT (ARRAY['Pending', 'PartiallyFilled', 'Filled', 'Cancelled', 'Expired', 'Rejected'])[s + 1] $$
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp;

-- ---------------------------------------------------------------------------------------------
-- Trading functions (C, SECURITY INVOKER: they act with the caller's rights and the RLS above).

CREATE FUNCTION xtrader.xt_submit_order(
    symbol          text,
    side            text,
    order_type      text,
    price           numeric,
    quantity        numeric,
    time_in_force   text    DEFAULT 'GTC',
    client_order_id text    DEFAULT NULL,
    post_only       boolean DEFAULT false,
    account         text    DEFAULT current_user)
RETURNS TABLE (order_id bigint, status text, message text)
AS 'MODULE_PATHNAME', 'xt_submit_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_submit_order(text, text, text, numeric, numeric, text, text, boolean, text)
    IS 'Submit an order; returns once it is sequenced, matched and durable.';

CREATE FUNCTION xtrader.xt_submit_orders(orders jsonb)
RETURNS TABLE (order_id bigint, status text, message text)
AS 'MODULE_PATHNAME', 'xt_submit_orders'
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_submit_orders(jsonb)
    IS 'Submit a JSON array of orders in one call: all validated, then sequenced and made durable together.';

CREATE FUNCTION xtrader.xt_order(order_id bigint)
RETURNS TABLE (order_id bigint, symbol text, side text, order_type text, time_in_force text,
               price numeric, quantity numeric, filled_quantity numeric,
               remaining_quantity numeric, status text, account text, client_order_id text,
               created_at timestamptz, updated_at timestamptz)
AS $$
    SELECT o.order_id, s.symbol,
           CASE o.side WHEN 0 THEN 'Buy' ELSE 'Sell' END,
           CASE o.order_type WHEN 0 THEN 'Limit' ELSE 'Market' END,
           (ARRAY['GTC', 'IOC', 'FOK'])[o.time_in_force + 1],
           trim_scale(o.price * s.tick_size), trim_scale(o.quantity * s.lot_size),
           trim_scale((o.quantity - o.remaining) * s.lot_size),
           trim_scale(CASE WHEN o.status IN (0, 1) THEN o.remaining ELSE 0 END * s.lot_size),
           xtrader.xt_status_name(o.status),
           coalesce((SELECT rolname::text FROM pg_catalog.pg_roles r WHERE r.oid = o.account),
                    o.account::text),
           o.client_order_id, o.created_at, o.updated_at
      FROM xtrader.orders o JOIN xtrader.symbols s USING (symbol_id)
     WHERE o.order_id = $1
$$ LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_order(bigint) IS 'One order as it stands (traders see their own only).';

CREATE FUNCTION xtrader.xt_cancel_order(order_id bigint)
RETURNS TABLE (order_id bigint, symbol text, side text, order_type text, time_in_force text,
               price numeric, quantity numeric, filled_quantity numeric,
               remaining_quantity numeric, status text, account text, client_order_id text,
               created_at timestamptz, updated_at timestamptz)
AS 'MODULE_PATHNAME', 'xt_cancel_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION xtrader.xt_amend_order(order_id bigint, price numeric DEFAULT NULL,
                                       quantity numeric DEFAULT NULL)
RETURNS TABLE (order_id bigint, symbol text, side text, order_type text, time_in_force text,
               price numeric, quantity numeric, filled_quantity numeric,
               remaining_quantity numeric, status text, account text, client_order_id text,
               created_at timestamptz, updated_at timestamptz)
AS 'MODULE_PATHNAME', 'xt_amend_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION xtrader.xt_order_book(symbol text, depth integer DEFAULT 10)
RETURNS TABLE (side text, price numeric, quantity numeric, orders integer)
AS 'MODULE_PATHNAME', 'xt_order_book'
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_order_book(text, integer)
    IS 'The live book from shared memory: bids best first, then asks best first.';

CREATE FUNCTION xtrader.xt_executions(symbol text DEFAULT NULL, after_id bigint DEFAULT 0,
                                      max_rows integer DEFAULT 100)
RETURNS TABLE (execution_id bigint, symbol text, price numeric, quantity numeric,
               taker_order_id bigint, maker_order_id bigint, taker_side text, seq bigint,
               executed_at timestamptz)
AS $$
    SELECT e.execution_id, s.symbol, trim_scale(e.price * s.tick_size),
           trim_scale(e.quantity * s.lot_size),
           e.taker_order_id, e.maker_order_id,
           CASE e.taker_side WHEN 0 THEN 'Buy' ELSE 'Sell' END, e.seq, e.executed_at
      FROM xtrader.executions e JOIN xtrader.symbols s USING (symbol_id)
     WHERE e.execution_id > coalesce($2, 0)
       AND ($1 IS NULL OR s.symbol = $1)
     ORDER BY e.execution_id
     LIMIT least(greatest(coalesce($3, 100), 0), 100000)
$$ LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_executions(text, bigint, integer)
    IS 'The public tape: trades after an execution id, oldest first (no accounts).';

CREATE FUNCTION xtrader.xt_stats()
RETURNS TABLE (state text, last_seq bigint, applied_seq bigint, durable_seq bigint,
               resting_orders bigint, commands bigint, trades bigint, persist_batches bigint,
               sequencer_fill real, event_ring_fill real, journal_lag bigint,
               last_recovery_ms bigint, last_recovery_commands bigint, state_hash text)
AS 'MODULE_PATHNAME', 'xt_stats'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION xtrader.xt_snapshot()
RETURNS TABLE (seq bigint, bytes bigint, resting_orders integer)
AS 'MODULE_PATHNAME', 'xt_snapshot'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_snapshot()
    IS 'Store a snapshot of every book as of the last durable command (recovery starts there).';
REVOKE ALL ON FUNCTION xtrader.xt_snapshot() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_snapshot() TO xtrader_admin;

-- The engine worker rebuilds its books from this database's journal once this transaction
-- commits (an extension created again starts from an empty book).
CREATE FUNCTION xtrader._engine_reset() RETURNS void
AS 'MODULE_PATHNAME', 'xt_engine_reset'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION xtrader._engine_reset() FROM PUBLIC;
SELECT xtrader._engine_reset();

REVOKE ALL ON FUNCTION xtrader.xt_status_name(smallint),
    xtrader.xt_submit_order(text, text, text, numeric, numeric, text, text, boolean, text),
    xtrader.xt_submit_orders(jsonb), xtrader.xt_order(bigint), xtrader.xt_cancel_order(bigint),
    xtrader.xt_amend_order(bigint, numeric, numeric), xtrader.xt_order_book(text, integer),
    xtrader.xt_executions(text, bigint, integer), xtrader.xt_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_status_name(smallint),
    xtrader.xt_submit_order(text, text, text, numeric, numeric, text, text, boolean, text),
    xtrader.xt_submit_orders(jsonb), xtrader.xt_order(bigint), xtrader.xt_cancel_order(bigint),
    xtrader.xt_amend_order(bigint, numeric, numeric), xtrader.xt_order_book(text, integer),
    xtrader.xt_executions(text, bigint, integer), xtrader.xt_stats()
    TO xtrader_admin, xtrader_trader;

-- ---- API keys of the REST and WebSocket APIs ---------------------------------------------------
-- The network worker (a superuser background worker) reads this table; nobody else can read a
-- secret back: it is shown once, by xt_create_api_key.
CREATE TABLE xtrader.api_keys (
    api_key               text        PRIMARY KEY CHECK (api_key ~ '^[A-Za-z0-9_-]{1,64}$'),
    secret                text        NOT NULL CHECK (length(secret) BETWEEN 16 AND 128),
    account               oid         NOT NULL,   -- the role that trades with this key
    rate_limit_per_minute integer     CHECK (rate_limit_per_minute BETWEEN 1 AND 60000000),
    rate_limit_burst      integer     CHECK (rate_limit_burst BETWEEN 1 AND 1000000),
    created_at            timestamptz NOT NULL DEFAULT now(),
    revoked_at            timestamptz
);
COMMENT ON TABLE xtrader.api_keys IS 'REST/WebSocket API keys; NULL limits use xtrader.rate_limit_*.';
SELECT pg_catalog.pg_extension_config_dump('xtrader.api_keys', '');
REVOKE ALL ON xtrader.api_keys FROM PUBLIC;
GRANT SELECT (api_key, account, rate_limit_per_minute, rate_limit_burst, created_at, revoked_at)
    ON xtrader.api_keys TO xtrader_admin;

-- Tells the network worker to reload the keys (it also reloads every second, which covers a
-- transaction that commits after this call).
CREATE FUNCTION xtrader._api_keys_changed() RETURNS void
AS 'MODULE_PATHNAME', 'xt_api_keys_changed'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION xtrader._api_keys_changed() FROM PUBLIC;

CREATE FUNCTION xtrader.xt_create_api_key(
    account               text,
    rate_limit_per_minute integer DEFAULT NULL,
    rate_limit_burst      integer DEFAULT NULL)
RETURNS TABLE (api_key text, secret text)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    role_oid oid;
    new_key  text;
    new_secret text;
BEGIN
    IF xt_create_api_key.account IS NULL THEN
        RAISE EXCEPTION 'account must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT r.oid INTO role_oid FROM pg_catalog.pg_roles r WHERE r.rolname = xt_create_api_key.account;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', xt_create_api_key.account
            USING ERRCODE = '42704', HINT = 'The account of an API key is a role: CREATE ROLE it first.';
    END IF;
    IF xt_create_api_key.rate_limit_per_minute IS NOT NULL
       AND xt_create_api_key.rate_limit_per_minute NOT BETWEEN 1 AND 60000000 THEN
        RAISE EXCEPTION 'rate_limit_per_minute % is out of range', xt_create_api_key.rate_limit_per_minute
            USING ERRCODE = '22003', HINT = 'Use 1 to 60000000, or NULL for xtrader.rate_limit_per_minute.';
    END IF;
    IF xt_create_api_key.rate_limit_burst IS NOT NULL
       AND xt_create_api_key.rate_limit_burst NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION 'rate_limit_burst % is out of range', xt_create_api_key.rate_limit_burst
            USING ERRCODE = '22003', HINT = 'Use 1 to 1000000, or NULL for xtrader.rate_limit_burst.';
    END IF;
    -- gen_random_uuid() draws from pg_strong_random(): 122 random bits per UUID
    new_key := 'xtk_' || replace(gen_random_uuid()::text, '-', '');
    new_secret := replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
    INSERT INTO xtrader.api_keys (api_key, secret, account, rate_limit_per_minute, rate_limit_burst)
    VALUES (new_key, new_secret, role_oid, xt_create_api_key.rate_limit_per_minute,
            xt_create_api_key.rate_limit_burst);
    PERFORM xtrader._api_keys_changed();
    api_key := new_key;
    secret := new_secret;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION xtrader.xt_create_api_key(text, integer, integer)
    IS 'A new API key and its secret for an account (a role); the secret is shown only here.';

CREATE FUNCTION xtrader.xt_revoke_api_key(api_key text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE xtrader.api_keys k SET revoked_at = now()
     WHERE k.api_key = xt_revoke_api_key.api_key AND k.revoked_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM xtrader._api_keys_changed();
    RETURN true;
END
$$;
COMMENT ON FUNCTION xtrader.xt_revoke_api_key(text)
    IS 'Revoke an API key (effective within a second); false if it was unknown or already revoked.';

REVOKE ALL ON FUNCTION xtrader.xt_create_api_key(text, integer, integer),
    xtrader.xt_revoke_api_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_create_api_key(text, integer, integer),
    xtrader.xt_revoke_api_key(text) TO xtrader_admin;

-- ---- broker publishing ---------------------------------------------------------------------------
-- Each broker worker's position: the last message id its broker confirmed, per stream.
-- Executions: 2 * execution_id + role (0 taker, 1 maker). Market data (Kafka, RabbitMQ):
-- 2 * seq for the order book after journal command seq, 2 * seq + 1 for its ticker. 1 means
-- "nothing published yet".
CREATE TABLE xtrader.broker_cursors (
    broker     text        PRIMARY KEY CHECK (broker IN ('redis', 'kafka', 'amqp')),
    last_id    bigint      NOT NULL DEFAULT 1 CHECK (last_id >= 1),
    market_id  bigint      NOT NULL DEFAULT 1 CHECK (market_id >= 1),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE xtrader.broker_cursors
    IS 'Per broker: the last execution message id (2 * execution_id + role) and market data message id (2 * seq + kind) the broker confirmed.';
REVOKE ALL ON xtrader.broker_cursors FROM PUBLIC;
GRANT SELECT ON xtrader.broker_cursors TO xtrader_admin;
SELECT pg_catalog.pg_extension_config_dump('xtrader.broker_cursors', '');

CREATE FUNCTION xtrader._broker_state()
RETURNS TABLE (broker text, state text, cursor bigint, market_cursor bigint, messages_sent bigint,
               messages_confirmed bigint, errors bigint, reconnects bigint, last_error text,
               last_success timestamptz)
AS 'MODULE_PATHNAME', 'xt_broker_state'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION xtrader._broker_state() FROM PUBLIC;

CREATE FUNCTION xtrader.xt_broker_status()
RETURNS TABLE (broker text, state text, cursor bigint, lag_messages bigint,
               lag_seconds double precision, market_cursor bigint, market_lag_commands bigint,
               messages_sent bigint, messages_confirmed bigint,
               errors bigint, reconnects bigint, last_error text, last_success timestamptz)
AS $$
    SELECT b.broker, b.state, coalesce(b.cursor, c.last_id),
           -- messages 2 .. 2 * max(execution_id) + 1 exist; those above the cursor wait
           CASE WHEN t.top = 0 THEN 0
                ELSE greatest(0, 2 * t.top + 1 - coalesce(b.cursor, c.last_id, 1)) END,
           coalesce(extract(epoch FROM now() - (
               SELECT x.executed_at FROM xtrader.executions x
                WHERE x.execution_id > (coalesce(b.cursor, c.last_id, 1) - 1) / 2
                ORDER BY x.execution_id LIMIT 1)), 0)::double precision,
           -- market data (not Redis): commands after the last one whose messages all went
           CASE WHEN b.broker <> 'redis' THEN coalesce(nullif(b.market_cursor, 0), c.market_id, 1) END,
           CASE WHEN b.broker <> 'redis' THEN greatest(0, j.top
                - (coalesce(nullif(b.market_cursor, 0), c.market_id, 1) - 1) / 2) END,
           b.messages_sent, b.messages_confirmed, b.errors, b.reconnects, b.last_error,
           b.last_success
      FROM xtrader._broker_state() b
      LEFT JOIN xtrader.broker_cursors c USING (broker)
     CROSS JOIN (SELECT coalesce(max(execution_id), 0) AS top FROM xtrader.executions) t
     CROSS JOIN (SELECT coalesce(max(seq), 0) AS top FROM xtrader.journal) j
$$ LANGUAGE sql VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION xtrader.xt_broker_status()
    IS 'Each configured broker: state, cursor, how far behind it is, counters, last error.';
REVOKE ALL ON FUNCTION xtrader.xt_broker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_broker_status() TO xtrader_admin;

-- ---- the Redis consumer group "execution_processors" ----------------------------------------------
-- Its members (background workers "xtrader consumer N", or xtrader-consumer on another host) move
-- the executions stream into this table, idempotently on the message id: a message delivered
-- twice (a member died between its commit and its XACK) is stored once. A message that cannot be
-- stored (not JSON, a field missing, a number that does not parse) goes to
-- execution_dead_letters instead, and the group goes on.
CREATE TABLE xtrader.execution_history (
    message_id   bigint      PRIMARY KEY,      -- 2 * execution_id + role (0 taker, 1 maker)
    execution_id bigint      NOT NULL,
    role         text        NOT NULL CHECK (role IN ('taker', 'maker')),
    order_id     bigint      NOT NULL,
    symbol       text        NOT NULL,
    side         text        NOT NULL,
    price        numeric     NOT NULL,
    quantity     numeric     NOT NULL,
    order_status text        NOT NULL,
    body         json        NOT NULL,         -- the message as received (json: its exact text,
                                               -- checked, not rebuilt: a third of the store's CPU)
    consumer     text        NOT NULL,         -- the group member that stored it
    received_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE xtrader.execution_history
    IS 'Executions as received from the Redis stream by the consumer group (one row per message id).';
REVOKE ALL ON xtrader.execution_history FROM PUBLIC;
GRANT SELECT ON xtrader.execution_history TO xtrader_admin;

-- The members' store: the fields already taken out of each message by the member (C), one
-- array per column, the bodies as received (checked as JSON by the cast). One row per message id.
CREATE FUNCTION xtrader.xt_store_executions(ids bigint[], execution_ids bigint[], roles text[],
                                            order_ids bigint[], symbols text[], sides text[],
                                            prices numeric[], quantities numeric[],
                                            order_statuses text[], bodies text[], consumer text)
RETURNS integer
LANGUAGE sql VOLATILE STRICT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH ins AS (
        INSERT INTO xtrader.execution_history (message_id, execution_id, role, order_id, symbol,
                                               side, price, quantity, order_status, body, consumer)
        SELECT u.*, xt_store_executions.consumer
          FROM unnest(ids, execution_ids, roles, order_ids, symbols, sides, prices, quantities,
                      order_statuses, bodies::json[]) AS u
        ON CONFLICT (message_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM ins
$$;
COMMENT ON FUNCTION xtrader.xt_store_executions(bigint[], bigint[], text[], bigint[], text[], text[],
                                                numeric[], numeric[], text[], text[], text)
    IS 'Store execution messages (fields parsed by the consumer group member) once each.';
REVOKE ALL ON FUNCTION xtrader.xt_store_executions(bigint[], bigint[], text[], bigint[], text[],
    text[], numeric[], numeric[], text[], text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_store_executions(bigint[], bigint[], text[], bigint[], text[],
    text[], numeric[], numeric[], text[], text[], text) TO xtrader_admin;

-- The same from the bodies alone (for a producer that does not parse): each body is parsed once.
CREATE FUNCTION xtrader.xt_store_execution_messages(ids bigint[], bodies text[], consumer text)
RETURNS integer
LANGUAGE sql VOLATILE STRICT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    -- MATERIALIZED: parse each body once (inlined, every m.b below would parse it again)
    WITH m AS MATERIALIZED (
        SELECT u.n, u.id, u.body, u.body::jsonb AS b
          FROM unnest(ids, bodies) WITH ORDINALITY AS u(id, body, n)
    )
    SELECT coalesce(xtrader.xt_store_executions(
               array_agg(m.id ORDER BY m.n),
               array_agg((m.b #>> '{execution_report,execution_id}')::bigint ORDER BY m.n),
               array_agg(m.b #>> '{execution_report,role}' ORDER BY m.n),
               array_agg((m.b #>> '{execution_report,order_id}')::bigint ORDER BY m.n),
               array_agg(m.b #>> '{execution_report,symbol}' ORDER BY m.n),
               array_agg(m.b #>> '{execution_report,side}' ORDER BY m.n),
               array_agg((m.b #>> '{execution_report,price}')::numeric ORDER BY m.n),
               array_agg((m.b #>> '{execution_report,quantity}')::numeric ORDER BY m.n),
               array_agg(m.b ->> 'order_status' ORDER BY m.n),
               array_agg(m.body ORDER BY m.n),
               xt_store_execution_messages.consumer), 0)
      FROM m
$$;
COMMENT ON FUNCTION xtrader.xt_store_execution_messages(bigint[], text[], text)
    IS 'Store execution messages from the Redis stream once each, parsing the bodies in SQL.';
REVOKE ALL ON FUNCTION xtrader.xt_store_execution_messages(bigint[], text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_store_execution_messages(bigint[], text[], text) TO xtrader_admin;

-- Messages the group could not store, each once, with the reason; they are acknowledged in Redis
-- once they are here, so one bad message never holds the group up and none is lost silently.
CREATE TABLE xtrader.execution_dead_letters (
    stream      text        NOT NULL,          -- the Redis stream it came from
    entry_id    text        NOT NULL,          -- its stream entry id ("<message id>-0")
    message_id  bigint,                        -- from the entry id; NULL if that is not <id>-0
    body        text        NOT NULL,          -- as received ('' if the entry had no such field;
                                               -- bytes that are not UTF-8, and NUL, as \xNN)
    error       text        NOT NULL,          -- why it could not be stored
    consumer    text        NOT NULL,          -- the group member that put it here
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, entry_id)
);
COMMENT ON TABLE xtrader.execution_dead_letters
    IS 'Stream entries the consumer group could not store in execution_history, with the reason (one row per entry).';
REVOKE ALL ON xtrader.execution_dead_letters FROM PUBLIC;
GRANT SELECT ON xtrader.execution_dead_letters TO xtrader_admin;

CREATE FUNCTION xtrader.xt_store_dead_letters(stream text, entry_ids text[], message_ids bigint[],
                                              bodies text[], errors text[], consumer text)
RETURNS integer
LANGUAGE sql VOLATILE STRICT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH ins AS (
        INSERT INTO xtrader.execution_dead_letters (stream, entry_id, message_id, body, error,
                                                    consumer)
        SELECT xt_store_dead_letters.stream, u.entry_id, u.message_id, u.body, u.error,
               xt_store_dead_letters.consumer
          FROM unnest(entry_ids, message_ids, bodies, errors) AS u(entry_id, message_id, body, error)
        ON CONFLICT (stream, entry_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM ins
$$;
COMMENT ON FUNCTION xtrader.xt_store_dead_letters(text, text[], bigint[], text[], text[], text)
    IS 'Store stream entries the consumer group could not store, once each, with the reason.';
REVOKE ALL ON FUNCTION xtrader.xt_store_dead_letters(text, text[], bigint[], text[], text[], text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xtrader.xt_store_dead_letters(text, text[], bigint[], text[], text[], text)
    TO xtrader_admin;
