-- Facts about a change beyond its changed fields, such as the reason moderation gave for a
-- rejection, so the seller's timeline can show them. Null on entries without such facts.
ALTER TABLE "application_history" ADD COLUMN "details" JSONB;
