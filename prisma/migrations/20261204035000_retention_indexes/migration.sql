-- The daily `prune_records` job deletes outbox events published more than OUTBOX_RETENTION_DAYS
-- ago and idempotency records older than IDEMPOTENCY_RETENTION_DAYS, in batches. These indexes
-- let each batch find its rows without reading the whole table.
-- The outbox index is partial, so unpublished events, which the relay reads through its own
-- partial index, are not in it. Written by hand because Prisma's schema language has no partial
-- indexes; the index on idempotency_records is also declared in prisma/schema.prisma.

CREATE INDEX "outbox_events_published_at_idx" ON "outbox_events" ("published_at") WHERE "published_at" IS NOT NULL;

CREATE INDEX "idempotency_records_created_at_idx" ON "idempotency_records" ("created_at");
