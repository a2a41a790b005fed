import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopicSettings } from '../src/kafka/topics.js';
import { createLogger } from '../src/logger.js';
import type { TestDatabase } from './support/database.js';
import {
  consumedOrder,
  createApplicationWithEvents,
  createKafkaTestSetup,
  localKafkaSkipReason,
  outboxOrder,
  startTestRelay,
  type TestRelay,
  TopicReader,
} from './support/kafka.js';
import { startLocalKafka, type LocalKafkaBroker } from './support/kafka-broker.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Applications per phase of the test, each with four events, created by this many sellers at once. */
const PHASE_SIZE = 20;
const SELLERS = 4;

let broker: LocalKafkaBroker;
let db: TestDatabase;
let kafka: Kafka;
let topics: TopicSettings;
let relay: TestRelay;

beforeAll(async () => {
  if (localKafkaSkipReason()) {
    return;
  }
  // A broker of this file's own, because the test stops it while other files use the run's broker.
  broker = await startLocalKafka();
  ({ db, kafka, topics } = await createKafkaTestSetup(logger, broker.brokers));
  relay = await startTestRelay({ db, kafka, topic: topics.KAFKA_EVENTS_TOPIC, logger, batchSize: 25 });
}, 300_000);

afterAll(async () => {
  await relay?.stop();
  await db?.drop();
  await broker?.destroy();
});

async function createApplications(count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: SELLERS }, async (_, seller) => {
      for (let index = seller; index < count; index += SELLERS) {
        await createApplicationWithEvents(db);
      }
    }),
  );
}

async function unpublishedCount(): Promise<number> {
  return db.prisma.outboxEvent.count({ where: { publishedAt: null } });
}

async function waitUntilPublished(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await unpublishedCount()) > 0) {
    if (Date.now() > deadline) {
      throw new Error(`${await unpublishedCount()} outbox events were still unpublished ${timeoutMs} ms after the broker came back.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(localKafkaSkipReason())('outbox relay across a broker outage', () => {
  it('loses and reorders no event', async () => {
    // A third of the applications before the outage, a third while the broker is down, and the
    // rest while it starts again.
    await createApplications(PHASE_SIZE);
    await broker.stop();
    await createApplications(PHASE_SIZE);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const waitingDuringOutage = await unpublishedCount();
    await Promise.all([broker.start(), createApplications(PHASE_SIZE)]);
    await waitUntilPublished(120_000);

    const reader = await TopicReader.start(kafka, topics.KAFKA_EVENTS_TOPIC);
    const total = await db.prisma.outboxEvent.count();
    const records = await reader.waitFor(`${total} events`, (all) => new Set(all.map((record) => record.headers['event-id'])).size >= total, 60_000);
    await reader.stop();

    expect(waitingDuringOutage).toBeGreaterThanOrEqual(PHASE_SIZE * 4);
    expect(total).toBe(PHASE_SIZE * 3 * 4);
    expect(consumedOrder(records)).toEqual(await outboxOrder(db));
  });
});
