-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "STATUS" AS ENUM ('NEW', 'WAITING_INSPECTION', 'INSPECTED', 'AUCTION', 'FINISHED', 'REJECTED', 'WITHDRAWN');

-- CreateEnum
CREATE TYPE "APPLICATION_STATUS" AS ENUM ('NEW', 'MODERATED', 'WAITING_DATA', 'READY', 'SENT', 'REJECTED', 'WITHDRAWN');

-- CreateEnum
CREATE TYPE "MODERATION_STATUS" AS ENUM ('PENDING', 'OK', 'FAILED');

-- CreateEnum
CREATE TYPE "DATA_SOURCE" AS ENUM ('MODERATION', 'CARFAX', 'CME');

-- CreateEnum
CREATE TYPE "ACTOR_TYPE" AS ENUM ('SELLER', 'SERVICE', 'SYSTEM');

-- CreateTable
CREATE TABLE "auction_applications" (
    "application_id" BIGSERIAL NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "offer_id" VARCHAR(64) NOT NULL,
    "vin" VARCHAR(17) NOT NULL,
    "offer_body" BYTEA NOT NULL,
    "inspect_time" TIMESTAMPTZ(6) NOT NULL,
    "inspect_place" TEXT NOT NULL,
    "status" "STATUS" NOT NULL DEFAULT 'NEW',
    "application_status" "APPLICATION_STATUS" NOT NULL DEFAULT 'NEW',
    "moderation_status" "MODERATION_STATUS",
    "waiting_data" "DATA_SOURCE"[] DEFAULT ARRAY[]::"DATA_SOURCE"[],
    "pro_auto_request_id" VARCHAR(64),
    "pro_auto_report" TEXT,
    "cme_evaluation_id" INTEGER,
    "cme_evaluation" TEXT,
    "cme_inspection" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(6),

    CONSTRAINT "auction_applications_pkey" PRIMARY KEY ("application_id")
);

-- CreateTable
CREATE TABLE "application_history" (
    "history_id" BIGSERIAL NOT NULL,
    "application_id" BIGINT NOT NULL,
    "action" VARCHAR(64) NOT NULL,
    "actor_type" "ACTOR_TYPE" NOT NULL,
    "actor_id" VARCHAR(128) NOT NULL,
    "status" "STATUS" NOT NULL,
    "changes" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "application_history_pkey" PRIMARY KEY ("history_id")
);

-- CreateTable
CREATE TABLE "outbox_events" (
    "outbox_id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "application_id" BIGINT NOT NULL,
    "event_type" VARCHAR(64) NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(6),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("outbox_id")
);

-- CreateTable
CREATE TABLE "intake_settings" (
    "intake_settings_id" BIGSERIAL NOT NULL,
    "turn_off" BOOLEAN NOT NULL DEFAULT false,
    "global_filter" JSONB NOT NULL DEFAULT '{}',
    "changed_by" VARCHAR(128) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "intake_settings_pkey" PRIMARY KEY ("intake_settings_id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "scope" VARCHAR(64) NOT NULL,
    "key" VARCHAR(256) NOT NULL,
    "request_hash" VARCHAR(64),
    "response" JSONB,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("scope","key")
);

-- CreateIndex
CREATE INDEX "auction_applications_user_id_idx" ON "auction_applications"("user_id");

-- CreateIndex
CREATE INDEX "auction_applications_waiting_data_idx" ON "auction_applications" USING GIN ("waiting_data");

-- CreateIndex
CREATE INDEX "auction_applications_application_status_updated_at_idx" ON "auction_applications"("application_status", "updated_at");

-- CreateIndex
CREATE INDEX "application_history_application_id_history_id_idx" ON "application_history"("application_id", "history_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_event_id_key" ON "outbox_events"("event_id");

-- CreateIndex
CREATE INDEX "outbox_events_application_id_outbox_id_idx" ON "outbox_events"("application_id", "outbox_id");

-- AddForeignKey
ALTER TABLE "application_history" ADD CONSTRAINT "application_history_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "auction_applications"("application_id") ON DELETE CASCADE ON UPDATE CASCADE;


-- One active application per car: two concurrent submissions for one VIN cannot both commit.
-- Written by hand because Prisma's schema language has no partial indexes.
CREATE UNIQUE INDEX "auction_applications_vin_active_key" ON "auction_applications"("vin")
    WHERE "status" NOT IN ('REJECTED', 'WITHDRAWN', 'FINISHED');
