import fs from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/domain/actor.js';
import { changeApplication, deleteApplicationRecord, EVENT_VERSION, type ApplicationChanges } from '../src/domain/changes.js';
import type { TopicSettings } from '../src/kafka/topics.js';
import { createLogger } from '../src/logger.js';
import type { TestDatabase } from './support/database.js';
import { createKafkaTestSetup, kafkaSkipReason, type ReceivedRecord, startTestRelay, type TestRelay, TopicReader } from './support/kafka.js';
import { insertTestApplication } from './support/pipeline.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const seller: Actor = { type: 'SELLER', id: '41872156' };
const pipeline: Actor = { type: 'SYSTEM', id: 'pipeline' };
const lots: Actor = { type: 'SERVICE', id: 'lots' };

let db: TestDatabase;
let kafka: Kafka;
let topics: TopicSettings;
let relay: TestRelay;
let reader: TopicReader;

beforeAll(async () => {
  if (kafkaSkipReason()) {
    return;
  }
  ({ db, kafka, topics } = await createKafkaTestSetup(logger));
  relay = await startTestRelay({ db, kafka, topic: topics.KAFKA_EVENTS_TOPIC, logger });
  reader = await TopicReader.start(kafka, topics.KAFKA_EVENTS_TOPIC);
});

afterAll(async () => {
  await reader?.stop();
  await relay?.stop();
  await db?.drop();
});

async function createApplication(): Promise<bigint> {
  const application = await insertTestApplication(db, { enqueue: false });
  return application.id;
}

async function change(applicationId: bigint, actor: Actor, action: string, set: ApplicationChanges): Promise<void> {
  await db.prisma.$transaction((tx) => changeApplication(tx, { applicationId, actor, action, set }));
}

/** Take an application through every stage of the pipeline up to the end of its auction. */
async function runFullLifecycle(applicationId: bigint): Promise<void> {
  await change(applicationId, pipeline, 'SENT_TO_MODERATION', { moderationStatus: 'PENDING', waitingData: ['MODERATION'] });
  await change(applicationId, pipeline, 'MODERATION_PASSED', { moderationStatus: 'OK', applicationStatus: 'MODERATED', waitingData: [] });
  await change(applicationId, pipeline, 'ENRICHMENT_REQUESTED', { applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData: ['CARFAX', 'CME'] });
  await change(applicationId, pipeline, 'CME_INSPECTION_STORED', { status: 'INSPECTED', cmeInspection: `http://127.0.0.1:1/auction-reports/${applicationId}/cme-inspection` });
  await change(applicationId, pipeline, 'PRO_AUTO_STORED', { waitingData: [], proAutoReport: `http://127.0.0.1:1/auction-reports/${applicationId}/pro-auto` });
  await change(applicationId, pipeline, 'READY', { applicationStatus: 'READY', completedAt: new Date() });
  await change(applicationId, pipeline, 'LOT_HANDED_OFF', { applicationStatus: 'SENT' });
  await change(applicationId, lots, 'STATUS_UPDATED', { status: 'AUCTION' });
  await change(applicationId, lots, 'STATUS_UPDATED', { status: 'FINISHED' });
}

async function outboxEventIds(applicationId: bigint): Promise<string[]> {
  const rows = await db.prisma.outboxEvent.findMany({ where: { applicationId }, orderBy: { id: 'asc' } });
  return rows.map((row) => row.eventId);
}

function recordsOf(records: ReceivedRecord[], applicationId: bigint): ReceivedRecord[] {
  return records.filter((record) => record.key === applicationId.toString());
}

async function waitForAllEvents(): Promise<ReceivedRecord[]> {
  const total = await db.prisma.outboxEvent.count();
  return reader.waitFor(`${total} events`, (records) => records.length >= total);
}

/** Read the JSON examples of docs/events.md, keyed by event type. */
function documentedExamples(): Map<string, Record<string, unknown>> {
  const text = fs.readFileSync(path.resolve(import.meta.dirname, '..', 'docs', 'events.md'), 'utf8');
  const examples = new Map<string, Record<string, unknown>>();
  for (const match of text.matchAll(/```json\n([\s\S]*?)\n```/g)) {
    const example = JSON.parse(match[1]!) as Record<string, unknown>;
    if (typeof example.type === 'string') {
      examples.set(example.type, example);
    }
  }
  return examples;
}

/** List the field names of a payload, nested ones as `parent.child`, without the names inside `changes`. */
function fieldNames(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([name, child]) => {
    const field = `${prefix}${name}`;
    const nested = child && typeof child === 'object' && !Array.isArray(child) && name !== 'changes';
    return nested ? [field, ...fieldNames(child as Record<string, unknown>, `${field}.`)] : [field];
  });
}

describe.skipIf(kafkaSkipReason())('publish_outbox', () => {
  let fullId: bigint;
  let rejectedId: bigint;
  let withdrawnId: bigint;
  let deletedId: bigint;
  let records: ReceivedRecord[];

  beforeAll(async () => {
    fullId = await createApplication();
    rejectedId = await createApplication();
    withdrawnId = await createApplication();
    deletedId = await createApplication();
    await runFullLifecycle(fullId);
    await change(rejectedId, pipeline, 'MODERATION_FAILED', { moderationStatus: 'FAILED', status: 'REJECTED', applicationStatus: 'REJECTED' });
    await change(withdrawnId, seller, 'WITHDRAWN', { status: 'WITHDRAWN', applicationStatus: 'WITHDRAWN' });
    await db.prisma.$transaction((tx) => deleteApplicationRecord(tx, { applicationId: deletedId, actor: { type: 'SERVICE', id: 'operator' } }));
    records = await waitForAllEvents();
  });

  it('publishes a lifecycle in commit order', async () => {
    const types = recordsOf(records, fullId).map((record) => record.headers['event-type']);

    expect(types).toEqual([
      'application.created',
      ...Array.from({ length: 6 }, () => 'application.changed'),
      'application.sent_to_auction',
      'application.changed',
      'application.changed',
    ]);
    expect(recordsOf(records, fullId).map((record) => record.headers['event-id'])).toEqual(await outboxEventIds(fullId));
  });

  it('publishes every event type', async () => {
    expect(recordsOf(records, rejectedId).map((record) => record.headers['event-type'])).toEqual(['application.created', 'application.rejected']);
    expect(recordsOf(records, withdrawnId).map((record) => record.headers['event-type'])).toEqual(['application.created', 'application.withdrawn']);
    expect(recordsOf(records, deletedId).map((record) => record.headers['event-type'])).toEqual(['application.created', 'application.deleted']);
  });

  it('publishes each event once', async () => {
    const eventIds = records.map((record) => record.headers['event-id']);

    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(eventIds.length).toBe(await db.prisma.outboxEvent.count());
  });

  it('keeps an application in one partition', () => {
    for (const applicationId of [fullId, rejectedId, withdrawnId, deletedId]) {
      const partitions = new Set(recordsOf(records, applicationId).map((record) => record.partition));
      expect(partitions.size, `partitions of application ${applicationId}`).toBe(1);
    }
  });

  it('marks published events in the outbox', async () => {
    const unpublished = await db.prisma.outboxEvent.count({ where: { publishedAt: null } });

    expect(unpublished).toBe(0);
  });

  it('sends headers matching the payload', () => {
    for (const record of records) {
      const payload = JSON.parse(record.value) as Record<string, unknown>;
      expect(record.headers['event-id']).toBe(payload.eventId);
      expect(record.headers['event-type']).toBe(payload.type);
      expect(record.headers['event-version']).toBe(String(EVENT_VERSION));
      expect(payload.applicationId).toBe(record.key);
    }
  });

  it('matches the documented payload fields', () => {
    const examples = documentedExamples();
    const seen = new Set<string>();
    for (const record of records) {
      const payload = JSON.parse(record.value) as Record<string, unknown>;
      const example = examples.get(String(payload.type));
      expect(example, `docs/events.md example of ${String(payload.type)}`).toBeDefined();
      expect(fieldNames(payload).sort(), `fields of ${String(payload.type)}`).toEqual(fieldNames(example!).sort());
      expect(payload.version).toBe(example!.version);
      seen.add(String(payload.type));
    }
    expect([...seen].sort()).toEqual([...examples.keys()].sort());
  });

  it('publishes a new event without a timer', async () => {
    const applicationId = await createApplication();

    await reader.waitFor(`the created event of application ${applicationId}`, (all) => recordsOf(all, applicationId).length === 1, 10_000);

    expect(recordsOf(reader.records, applicationId)).toHaveLength(1);
  });
});
