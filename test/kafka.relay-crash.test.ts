import { fork } from 'node:child_process';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishOutbox } from '../src/kafka/outbox-relay.js';
import { createRecordPublisher } from '../src/kafka/publisher.js';
import type { TopicSettings } from '../src/kafka/topics.js';
import { createLogger } from '../src/logger.js';
import type { TestDatabase } from './support/database.js';
import {
  consumedOrder,
  createApplicationWithEvents,
  createKafkaTestSetup,
  kafkaSkipReason,
  outboxOrder,
  testKafkaBrokers,
  TopicReader,
} from './support/kafka.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const BATCH_SIZE = 10;

let db: TestDatabase;
let kafka: Kafka;
let topics: TopicSettings;

beforeAll(async () => {
  if (kafkaSkipReason()) {
    return;
  }
  ({ db, kafka, topics } = await createKafkaTestSetup(logger));
});

afterAll(async () => {
  await db?.drop();
});

/**
 * Run the relay in a child process and SIGKILL it once the broker acknowledged its first batch,
 * before the batch is marked published. Return the event ids of that batch.
 */
async function killRelayAfterFirstSend(): Promise<string[]> {
  const child = fork(path.join(import.meta.dirname, 'support', 'relay-child.ts'), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: testKafkaBrokers(),
      KAFKA_EVENTS_TOPIC: topics.KAFKA_EVENTS_TOPIC,
      BATCH_SIZE: String(BATCH_SIZE),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const sent = await new Promise<string[]>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { sent: string[] }).sent));
    child.once('exit', (code, signal) => reject(new Error(`The relay child exited (${signal ?? code}) before its first send.`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return sent;
}

describe.skipIf(kafkaSkipReason())('outbox relay killed after a send', () => {
  it('republishes the batch with its event ids', async () => {
    for (let index = 0; index < 6; index += 1) {
      await createApplicationWithEvents(db);
    }
    const total = await db.prisma.outboxEvent.count();

    const killedBatch = await killRelayAfterFirstSend();
    const unmarked = await db.prisma.outboxEvent.count({ where: { eventId: { in: killedBatch }, publishedAt: null } });

    // The killed relay's transaction ends when PostgreSQL notices the closed connection, so the
    // next relay may find the lock still taken for a moment, as the task's busy retry would.
    const publisher = createRecordPublisher(kafka, logger);
    let result = await publishOutbox({ pool: db.pool, publisher, topic: topics.KAFKA_EVENTS_TOPIC, logger, batchSize: BATCH_SIZE });
    for (let attempt = 0; result.outcome === 'busy' && attempt < 50; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await publishOutbox({ pool: db.pool, publisher, topic: topics.KAFKA_EVENTS_TOPIC, logger, batchSize: BATCH_SIZE });
    }
    await publisher.close();

    const reader = await TopicReader.start(kafka, topics.KAFKA_EVENTS_TOPIC);
    const records = await reader.waitFor(`${total + killedBatch.length} records`, (all) => all.length >= total + killedBatch.length);
    await reader.stop();
    const copies = (eventId: string) => records.filter((record) => record.headers['event-id'] === eventId);

    expect(killedBatch).toHaveLength(BATCH_SIZE);
    expect(unmarked).toBe(BATCH_SIZE);
    expect(result).toEqual({ outcome: 'done', published: total });
    for (const eventId of killedBatch) {
      const [first, second] = copies(eventId);
      expect(copies(eventId), `copies of event ${eventId}`).toHaveLength(2);
      expect(second!.value, `payload of the repeated event ${eventId}`).toBe(first!.value);
    }
    expect(records).toHaveLength(total + killedBatch.length);
    expect(consumedOrder(records)).toEqual(await outboxOrder(db));
    expect(await db.prisma.outboxEvent.count({ where: { publishedAt: null } })).toBe(0);
  });
});
