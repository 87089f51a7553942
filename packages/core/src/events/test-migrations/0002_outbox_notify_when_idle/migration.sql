-- NOTIFY only wakes an idle relay. PostgreSQL serialises the commits of notifying transactions
-- (a cluster-wide lock held through the commit), which capped the outbox at a few hundred
-- writing transactions per second (docs/benchmarks.md, "Event backbone"). A transaction now
-- notifies only if no older event is waiting to be published: then the relay is idle and needs
-- waking. A relay that found events keeps polling every few milliseconds until the outbox has
-- been quiet for a second (packages/core/src/events/outbox-relay.ts), so events written while it
-- is busy are picked up without a notification.

CREATE OR REPLACE FUNCTION "outbox_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    waiting boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.outbox_events WHERE published_at IS NULL AND seq < (SELECT min(seq) FROM inserted))', TG_TABLE_SCHEMA)
        INTO waiting;
    IF NOT waiting THEN
        PERFORM pg_notify('outbox_' || TG_TABLE_SCHEMA, '');
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER "outbox_events_notify" ON "outbox_events";

CREATE TRIGGER "outbox_events_notify" AFTER INSERT ON "outbox_events" REFERENCING NEW TABLE AS "inserted"
    FOR EACH STATEMENT EXECUTE FUNCTION "outbox_events_notify"();
