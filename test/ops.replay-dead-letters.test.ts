import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordPublisher, type RecordPublisher } from '../src/kafka/publisher.js';
import type { TopicSettings } from '../src/kafka/topics.js';
import { DEAD_LETTER_HEADERS, startVerdictConsumer, type VerdictConsumer } from '../src/kafka/verdict-consumer.js';
import { createLogger } from '../src/logger.js';
import { REPLAYED_FROM_HEADER, replayDeadLetters } from '../src/ops/replay-dead-letters.js';
import type { TestDatabase } from './support/database.js';
import { createKafkaTestSetup, kafkaSkipReason, TopicReader, waitUntilCaughtUp } from './support/kafka.js';
import { insertTestApplication, nextVin, pendingJobs } from './support/pipeline.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let db: TestDatabase;
let kafka: Kafka;
let topics: TopicSettings;
let producer: RecordPublisher;
let consumer: VerdictConsumer;
let deadLetters: TopicReader;
const verdictGroupId = `test-verdicts-${randomUUID()}`;

function verdict(applicationId: string) {
  return JSON.stringify({ verdictId: randomUUID(), applicationId, verdict: 'OK', decidedAt: new Date().toISOString() });
}

function replay(options: { groupId: string; limit?: number; dryRun?: boolean }) {
  return replayDeadLetters({ kafka, logger, fromTopic: topics.KAFKA_VERDICTS_DLQ_TOPIC, toTopic: topics.KAFKA_VERDICTS_TOPIC, idleTimeoutMs: 15_000, ...options });
}

beforeAll(async () => {
  if (kafkaSkipReason()) {
    return;
  }
  ({ db, kafka, topics } = await createKafkaTestSetup(logger));
  producer = createRecordPublisher(kafka, logger);
  deadLetters = await TopicReader.start(kafka, topics.KAFKA_VERDICTS_DLQ_TOPIC);
  consumer = startVerdictConsumer({
    kafka,
    db,
    logger,
    topic: topics.KAFKA_VERDICTS_TOPIC,
    deadLetterTopic: topics.KAFKA_VERDICTS_DLQ_TOPIC,
    groupId: verdictGroupId,
    restartDelayMs: 200,
    maxWaitTimeMs: 200,
  });
  await consumer.joined;
}, 120_000);

afterAll(async () => {
  await consumer?.stop();
  await deadLetters?.stop();
  await producer?.close();
  await db?.drop();
});

describe.skipIf(kafkaSkipReason())('replayDeadLetters', () => {
  it('applies a verdict that came too early', async () => {
    // The test database is fresh, so the first application gets id 1 once it is inserted.
    await producer.send(topics.KAFKA_VERDICTS_TOPIC, [{ key: '1', value: verdict('1'), headers: {} }]);
    await deadLetters.waitFor('the dead-lettered verdict', (records) => records.length === 1);
    const application = await insertTestApplication(db, { vin: nextVin(), enqueue: false });
    expect(application.id).toBe(1n);

    const report = await replay({ groupId: `replay-${randomUUID()}` });

    expect(report.records).toHaveLength(1);
    expect(report.records[0]!.reason).toBe('unknown_application');
    expect(report.remaining).toBe(0);
    await expect.poll(async () => (await pendingJobs(db, 'apply_moderation_verdict')).length, { timeout: 20_000 }).toBe(1);
  });

  it('resumes where the last replay stopped', async () => {
    const groupId = `replay-${randomUUID()}`;
    await replay({ groupId });
    await producer.send(topics.KAFKA_VERDICTS_TOPIC, [{ key: '999', value: verdict('999'), headers: {} }]);
    await deadLetters.waitFor('the second dead letter', (records) => records.length === 2);
    const verdicts = await TopicReader.start(kafka, topics.KAFKA_VERDICTS_TOPIC);

    const report = await replay({ groupId });
    const again = await replay({ groupId });
    const replayed = await verdicts.waitFor('the replayed verdict', (records) => records.some((record) => record.headers[REPLAYED_FROM_HEADER]?.endsWith('@1')));
    await verdicts.stop();

    expect(report.records.map((record) => record.offset)).toEqual(['1']);
    // The replayed verdict still names no application, so the consumer dead-letters it again at
    // a later offset. The second replay must not send offset 1 once more.
    expect(again.records.map((record) => record.offset)).not.toContain('1');
    const copy = replayed.find((record) => record.headers[REPLAYED_FROM_HEADER]?.endsWith('@1'))!;
    expect(copy.key).toBe('999');
    expect(copy.headers[DEAD_LETTER_HEADERS.reason]).toBeUndefined();
    expect(copy.headers[REPLAYED_FROM_HEADER]).toBe(`${topics.KAFKA_VERDICTS_DLQ_TOPIC}/0@1`);
  });

  it('changes nothing in a dry run', async () => {
    const groupId = `replay-${randomUUID()}`;
    // The verdicts that the tests above replayed return to the dead-letter topic as the consumer
    // reads them. One that arrived between the two replays below would change what is left.
    await waitUntilCaughtUp(kafka, verdictGroupId, topics.KAFKA_VERDICTS_TOPIC);

    const dry = await replay({ groupId, dryRun: true });
    const real = await replay({ groupId, limit: 1 });

    expect(dry.dryRun).toBe(true);
    expect(dry.records.length).toBeGreaterThanOrEqual(2);
    expect(real.records.map((record) => record.offset)).toEqual([dry.records[0]!.offset]);
    expect(real.remaining).toBe(dry.records.length - 1);
  });
});
