import { randomBytes } from 'node:crypto';
import { run, type Runner } from 'graphile-worker';
import type { Consumer, Kafka } from 'kafkajs';
import { inject } from 'vitest';
import { PIPELINE_ACTOR } from '../../src/domain/actor.js';
import { changeApplication, type ApplicationChanges } from '../../src/domain/changes.js';
import { createKafkaClient } from '../../src/kafka/client.js';
import { startOutboxWakeup } from '../../src/kafka/outbox-wakeup.js';
import { createRecordPublisher, type RecordPublisher } from '../../src/kafka/publisher.js';
import { ensureTopics, type TopicSettings } from '../../src/kafka/topics.js';
import type { Logger } from '../../src/logger.js';
import { createGraphileLogger } from '../../src/pipeline/graphile-logger.js';
import { createPublishOutboxTask, PUBLISH_OUTBOX_TASK } from '../../src/tasks/publish_outbox.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { insertTestApplication } from './pipeline.js';

/**
 * Kafka for tests: the run's broker found by the global setup, topics of each test file's own,
 * and a reader that collects what reached a topic. Test files skip their Kafka tests with
 * `describe.skipIf(kafkaSkipReason())`. The global setup has already printed the reason, and in
 * CI it fails the run instead of letting them skip.
 */

/** Return the run's bootstrap servers, or '' when the Kafka tests are skipped. */
export function testKafkaBrokers(): string {
  return inject('kafkaBrokers');
}

/** Why the Kafka tests are skipped, or '' when they run. */
export function kafkaSkipReason(): string {
  return inject('kafkaSkipReason');
}

/** Why tests that stop and restart a broker of their own are skipped, or '' when they run. */
export function localKafkaSkipReason(): string {
  return inject('localKafkaSkipReason');
}

/** Topic names of the file's own, so test files that run at once never read each other's records. */
export function uniqueTopics(): TopicSettings {
  const suffix = randomBytes(4).toString('hex');
  return {
    KAFKA_EVENTS_TOPIC: `test.events.${suffix}`,
    KAFKA_VERDICTS_TOPIC: `test.verdicts.${suffix}`,
    KAFKA_VERDICTS_DLQ_TOPIC: `test.verdicts.dlq.${suffix}`,
  };
}

export function testKafkaClient(brokers: string, logger: Logger): Kafka {
  return createKafkaClient({ KAFKA_BROKERS: brokers, KAFKA_CLIENT_ID: 'auction-applications-tests' }, logger);
}

export async function createTopics(kafka: Kafka, topics: TopicSettings, logger: Logger): Promise<void> {
  await ensureTopics(kafka, Object.values(topics), logger);
}

/** What a Kafka test file starts from: its own database and topics, and a client of the broker. */
export interface KafkaTestSetup {
  db: TestDatabase;
  kafka: Kafka;
  topics: TopicSettings;
}

/**
 * Create a fresh database and the file's own topics on `brokers` (default: the run's broker).
 * When the topics cannot be created, the database is dropped before the error is thrown.
 */
export async function createKafkaTestSetup(logger: Logger, brokers: string = testKafkaBrokers()): Promise<KafkaTestSetup> {
  const db = await createTestDatabase();
  try {
    const topics = uniqueTopics();
    const kafka = testKafkaClient(brokers, logger);
    await createTopics(kafka, topics, logger);
    return { db, kafka, topics };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

export interface ReceivedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/**
 * A consumer in a group of its own that reads a topic from the beginning and keeps every record,
 * in the order of each partition.
 */
export class TopicReader {
  readonly records: ReceivedRecord[] = [];

  private constructor(
    readonly topic: string,
    private readonly consumer: Consumer,
  ) {}

  static async start(kafka: Kafka, topic: string): Promise<TopicReader> {
    const consumer = kafka.consumer({ groupId: `test-reader-${randomBytes(4).toString('hex')}` });
    const reader = new TopicReader(topic, consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        reader.records.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers });
      },
    });
    return reader;
  }

  /** Wait until `done(records)` holds; throw after `timeoutMs`, naming what was expected and what arrived. */
  async waitFor(expected: string, done: (records: ReceivedRecord[]) => boolean, timeoutMs = 30_000): Promise<ReceivedRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.records)) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${expected} on ${this.topic}; ${this.records.length} records arrived.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.records;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/**
 * Wait until consumer group `groupId` has committed the offset of every record on `topic`, so
 * whatever it produces in response (a dead letter, say) has been sent.
 */
export async function waitUntilCaughtUp(kafka: Kafka, groupId: string, topic: string, timeoutMs = 30_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      // A partition without a committed offset (-1) is behind only if it contains records.
      const behind = ends.filter(({ partition, low, high }) => {
        const offset = BigInt(committed?.partitions.find((candidate) => candidate.partition === partition)?.offset ?? '-1');
        return (offset < 0n ? BigInt(low) : offset) < BigInt(high);
      });
      if (behind.length === 0) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`Group ${groupId} has not committed every record on ${topic} within ${timeoutMs} ms; partitions behind: ${behind.map((partition) => partition.partition).join(', ')}.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

export interface TestRelay {
  publisher: RecordPublisher;
  runner: Runner;
  stop(): Promise<void>;
}

/**
 * Run the outbox relay as the service does: graphile-worker with the `publish_outbox` task, woken
 * by NOTIFY on commit. No crontab runs, so events that arrive prove the wake-up works.
 */
export async function startTestRelay(options: { db: TestDatabase; kafka: Kafka; topic: string; logger: Logger; batchSize?: number }): Promise<TestRelay> {
  const { db, kafka, topic, logger } = options;
  const publisher = createRecordPublisher(kafka, logger);
  const runner = await run({
    pgPool: db.pool,
    taskList: { [PUBLISH_OUTBOX_TASK]: createPublishOutboxTask({ pool: db.pool, publisher, topic, logger, batchSize: options.batchSize }) },
    concurrency: 2,
    pollInterval: 200,
    noHandleSignals: true,
    logger: createGraphileLogger(logger),
  });
  const wakeup = await startOutboxWakeup({ connectionString: db.url, pool: db.pool, logger });
  return {
    publisher,
    runner,
    async stop() {
      await wakeup.close();
      await runner.stop();
      await publisher.close();
    },
  };
}

/**
 * Insert an application and take it through moderation into enrichment: four events
 * (created and three changes), each in a transaction of its own, as the pipeline writes them.
 */
export async function createApplicationWithEvents(db: TestDatabase): Promise<bigint> {
  const { id } = await insertTestApplication(db, { enqueue: false });
  const steps: { action: string; set: ApplicationChanges }[] = [
    { action: 'SENT_TO_MODERATION', set: { moderationStatus: 'PENDING', waitingData: ['MODERATION'] } },
    { action: 'MODERATION_PASSED', set: { moderationStatus: 'OK', applicationStatus: 'MODERATED', waitingData: [] } },
    { action: 'ENRICHMENT_REQUESTED', set: { applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData: ['CARFAX', 'CME'] } },
  ];
  for (const step of steps) {
    await db.prisma.$transaction((tx) => changeApplication(tx, { applicationId: id, actor: PIPELINE_ACTOR, ...step }));
  }
  return id;
}

/** Read the outbox's event ids of each application, in outbox id order. */
export async function outboxOrder(db: TestDatabase): Promise<Map<string, string[]>> {
  const rows = await db.prisma.outboxEvent.findMany({ orderBy: { id: 'asc' }, select: { applicationId: true, eventId: true } });
  const order = new Map<string, string[]>();
  for (const row of rows) {
    const key = row.applicationId.toString();
    order.set(key, [...(order.get(key) ?? []), row.eventId]);
  }
  return order;
}

/**
 * List the event ids of each application in the order that a consumer skipping repeated event ids
 * processes them: the first copy of each event, in the order of the application's partition.
 */
export function consumedOrder(records: ReceivedRecord[]): Map<string, string[]> {
  const seen = new Set<string>();
  const order = new Map<string, string[]>();
  for (const record of records) {
    const eventId = record.headers['event-id']!;
    if (seen.has(eventId)) {
      continue;
    }
    seen.add(eventId);
    const key = record.key ?? '';
    order.set(key, [...(order.get(key) ?? []), eventId]);
  }
  return order;
}
