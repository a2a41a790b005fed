-- The outbox relay (the graphile-worker task `publish_outbox`) is woken through NOTIFY when a
-- transaction that wrote outbox events commits, so events reach Kafka within milliseconds
-- instead of waiting for the relay's crontab entry. PostgreSQL sends the notification only at
-- commit and folds identical ones of one transaction into one.
--
-- Only worker processes with Kafka configured LISTEN on the channel, and they add the relay's
-- job. So a service without Kafka adds no jobs, and its events wait in the table. A trigger that
-- added the job itself would instead make every transaction with an event update the one row of
-- the relay's job key, serializing those transactions on that row lock.
--
-- The partial index keeps the relay's query for unpublished events, in id order, independent of
-- the number of published rows.
-- Written by hand because Prisma's schema language has no triggers and no partial indexes.

CREATE FUNCTION "notify_outbox_events"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_events', '{"topic":"outbox_events","detail":null}');
    RETURN NULL;
END;
$$;

CREATE TRIGGER "outbox_events_notify"
    AFTER INSERT ON "outbox_events"
    FOR EACH STATEMENT EXECUTE FUNCTION "notify_outbox_events"();

CREATE INDEX "outbox_events_unpublished_idx" ON "outbox_events" ("outbox_id") WHERE "published_at" IS NULL;
