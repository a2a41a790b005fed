-- Live updates for subscribers in every process: each committed history entry, and each deleted
-- application, sends one NOTIFY on the channel `auction_pubsub`. PostgreSQL delivers it only
-- when the transaction commits, to every connection that ran LISTEN on the channel, so a change
-- made by any API or worker replica reaches the subscribers of all of them.
--
-- The payload is `{"topic": ..., "detail": ...}`, the shape src/pubsub/pg-event-target.ts reads.
-- The topic `application:<id>` is what graphql-yoga's createPubSub builds for
-- `subscribe('application', id)`. The payload stays far below NOTIFY's 8000-byte limit because it
-- carries ids only; subscribers read the row and the history themselves.
-- Written by hand because Prisma's schema language has no triggers.

CREATE FUNCTION "notify_application_history"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(
        'auction_pubsub',
        json_build_object(
            'topic', 'application:' || NEW."application_id",
            'detail', json_build_object(
                'applicationId', NEW."application_id"::text,
                'historyId', NEW."history_id"::text,
                'status', NEW."status"
            )
        )::text
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER "application_history_notify"
    AFTER INSERT ON "application_history"
    FOR EACH ROW EXECUTE FUNCTION "notify_application_history"();

CREATE FUNCTION "notify_application_deleted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(
        'auction_pubsub',
        json_build_object(
            'topic', 'application:' || OLD."application_id",
            'detail', json_build_object(
                'applicationId', OLD."application_id"::text,
                'deleted', true
            )
        )::text
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER "auction_applications_delete_notify"
    AFTER DELETE ON "auction_applications"
    FOR EACH ROW EXECUTE FUNCTION "notify_application_deleted"();
