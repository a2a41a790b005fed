import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliverVerdict } from '../src/integrations/moderation/contract.js';
import { createKafkaServices, type KafkaServices } from '../src/kafka/service.js';
import type { TopicSettings } from '../src/kafka/topics.js';
import { createLogger } from '../src/logger.js';
import { VERDICT_SCOPE } from '../src/pipeline/verdict-intake.js';
import type { PipelineWorker } from '../src/worker.js';
import { kafkaSkipReason, testKafkaBrokers, testKafkaClient, TopicReader, uniqueTopics, type ReceivedRecord } from './support/kafka.js';
import { startPipelineHarness, type PipelineHarness } from './support/pipeline-harness.js';
import { insertTestApplication, loadFixtureOffers } from './support/pipeline.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const [passing, failing] = loadFixtureOffers();
const FAILING_VIN = String(failing!.offer.documents.vin).toUpperCase();

let topics: TopicSettings;
let kafka: Kafka;
let harness: PipelineHarness;
let services: KafkaServices;
let worker: PipelineWorker;
let events: TopicReader;
let verdicts: TopicReader;

beforeAll(async () => {
  if (kafkaSkipReason()) {
    return;
  }
  topics = uniqueTopics();
  kafka = testKafkaClient(testKafkaBrokers(), logger);
  // The sandbox is built before the Kafka services, which need the harness's database.
  const deliverVerdict: DeliverVerdict = (verdict) => services.deliverVerdict(verdict);
  harness = await startPipelineHarness({
    deliverVerdict,
    // Every verdict arrives twice with one verdict id, as an at-least-once producer may send it.
    moderation: { repeatVerdicts: 2, failVins: [FAILING_VIN] },
    env: { KAFKA_BROKERS: testKafkaBrokers(), KAFKA_CONSUMER_GROUP: `pipeline-${topics.KAFKA_EVENTS_TOPIC}`, ...topics },
  });
  services = createKafkaServices({ config: harness.config, logger: harness.ctx.logger, db: harness.db, databaseUrl: harness.db.url })!;
  await services.start();
  worker = await harness.startWorker({ tasks: services.tasks });
  events = await TopicReader.start(kafka, topics.KAFKA_EVENTS_TOPIC);
  verdicts = await TopicReader.start(kafka, topics.KAFKA_VERDICTS_TOPIC);
});

afterAll(async () => {
  await events?.stop();
  await verdicts?.stop();
  await worker?.stop();
  await services?.stop();
  await harness?.close();
});

async function publishedEvents(applicationId: bigint): Promise<ReceivedRecord[]> {
  const expected = await harness.db.prisma.outboxEvent.count({ where: { applicationId } });
  const key = applicationId.toString();
  const records = await events.waitFor(`${expected} events of application ${key}`, (all) => all.filter((record) => record.key === key).length >= expected);
  return records.filter((record) => record.key === key);
}

async function outboxEventIds(applicationId: bigint): Promise<string[]> {
  const rows = await harness.db.prisma.outboxEvent.findMany({ where: { applicationId }, orderBy: { id: 'asc' } });
  return rows.map((row) => row.eventId);
}

describe.skipIf(kafkaSkipReason())('pipeline with Kafka', () => {
  it('carries an application to SENT', async () => {
    const created = await insertTestApplication(harness.db, { offer: passing });

    await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'SENT', { timeoutMs: 60_000 });
    const records = await publishedEvents(created.id);
    const types = records.map((record) => record.headers['event-type']);

    expect(records.map((record) => record.headers['event-id'])).toEqual(await outboxEventIds(created.id));
    expect(types[0]).toBe('application.created');
    expect(types.at(-1)).toBe('application.sent_to_auction');
    expect(types.filter((type) => type === 'application.sent_to_auction')).toHaveLength(1);
  });

  it('takes verdicts from the topic once', async () => {
    const created = await insertTestApplication(harness.db, { offer: failing });

    const rejected = await harness.waitForApplication(created.id, (application) => application.status === 'REJECTED', { timeoutMs: 60_000 });
    const delivered = await verdicts.waitFor('two copies of the verdict', (all) => all.filter((record) => record.key === created.id.toString()).length >= 2);
    const copies = delivered.filter((record) => record.key === created.id.toString());
    const verdictId = String(JSON.parse(copies[0]!.value).verdictId);

    expect(rejected.moderationStatus).toBe('FAILED');
    expect(copies.map((record) => record.headers['verdict-id'])).toEqual([verdictId, verdictId]);
    expect(await harness.db.prisma.idempotencyRecord.count({ where: { scope: VERDICT_SCOPE, key: verdictId } })).toBe(1);
    expect((await publishedEvents(created.id)).map((record) => record.headers['event-type'])).toEqual([
      'application.created',
      'application.changed',
      'application.rejected',
    ]);
  });
});
