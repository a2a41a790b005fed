import { randomUUID } from 'node:crypto';
import { KafkaJSNonRetriableError, type Admin, type Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRecordPublisher, type RecordPublisher } from '../src/kafka/publisher.js';
import type { TopicSettings } from '../src/kafka/topics.js';
import { DEAD_LETTER_HEADERS, startVerdictConsumer, type VerdictConsumer, type VerdictIntake } from '../src/kafka/verdict-consumer.js';
import { createLogger } from '../src/logger.js';
import { acceptModerationVerdict, VERDICT_SCOPE } from '../src/pipeline/verdict-intake.js';
import { createKafkaVerdictDelivery } from '../src/integrations/moderation/kafka-delivery.js';
import type { TestDatabase } from './support/database.js';
import { createKafkaTestSetup, kafkaSkipReason, TopicReader } from './support/kafka.js';
import { insertTestApplication, pendingJobs } from './support/pipeline.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let db: TestDatabase;
let kafka: Kafka;
let admin: Admin;
let topics: TopicSettings;
let producer: RecordPublisher;
let deadLetters: TopicReader;
const consumers: VerdictConsumer[] = [];

beforeAll(async () => {
  if (kafkaSkipReason()) {
    return;
  }
  ({ db, kafka, topics } = await createKafkaTestSetup(logger));
  admin = kafka.admin();
  await admin.connect();
  producer = createRecordPublisher(kafka, logger);
  deadLetters = await TopicReader.start(kafka, topics.KAFKA_VERDICTS_DLQ_TOPIC);
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
});

afterAll(async () => {
  await deadLetters?.stop();
  await producer?.close();
  await admin?.disconnect();
  await db?.drop();
});

/** Start a consumer in a group of the test's own, so each test reads only the verdicts it sends. */
async function startConsumer(groupId: string, intake?: VerdictIntake): Promise<VerdictConsumer> {
  const consumer = startVerdictConsumer({
    kafka,
    db,
    logger,
    topic: topics.KAFKA_VERDICTS_TOPIC,
    deadLetterTopic: topics.KAFKA_VERDICTS_DLQ_TOPIC,
    groupId,
    intake,
    restartDelayMs: 200,
    maxWaitTimeMs: 200,
  });
  consumers.push(consumer);
  await consumer.joined;
  return consumer;
}

function verdictFor(applicationId: bigint | string, verdict: 'OK' | 'FAILED' = 'OK') {
  return { verdictId: `verdict-${randomUUID()}`, applicationId: applicationId.toString(), verdict, decidedAt: '2026-12-04T10:00:00Z' };
}

async function send(value: string, key: string | null = null): Promise<void> {
  await producer.send(topics.KAFKA_VERDICTS_TOPIC, [{ key, value, headers: { origin: 'test' } }]);
}

/** The group's committed offsets and the topic's end offsets, summed over the partitions. */
async function progress(groupId: string): Promise<{ committed: number; end: number }> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.KAFKA_VERDICTS_TOPIC] });
  const end = await admin.fetchTopicOffsets(topics.KAFKA_VERDICTS_TOPIC);
  return {
    committed: (committed?.partitions ?? []).reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0),
    end: end.reduce((sum, partition) => sum + Number(partition.high), 0),
  };
}

/** Wait until the group committed the offset of every record on the topic. */
async function waitUntilCaughtUp(groupId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await progress(groupId);
  while (last.committed < last.end) {
    if (Date.now() > deadline) {
      throw new Error(`Group ${groupId} committed ${last.committed} of ${last.end} records within ${timeoutMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await progress(groupId);
  }
}

async function verdictRecords(verdictId: string): Promise<number> {
  return db.prisma.idempotencyRecord.count({ where: { scope: VERDICT_SCOPE, key: verdictId } });
}

async function applyJobs(applicationId: bigint): Promise<number> {
  const jobs = await pendingJobs(db, 'apply_moderation_verdict');
  return jobs.filter((job) => job.payload.applicationId === applicationId.toString()).length;
}

describe.skipIf(kafkaSkipReason())('verdict consumer', () => {
  it('accepts a verdict from the topic', async () => {
    const groupId = `group-${randomUUID()}`;
    const application = await insertTestApplication(db, { enqueue: false });
    const verdict = verdictFor(application.id);
    await send(JSON.stringify(verdict), verdict.applicationId);

    await startConsumer(groupId);
    await waitUntilCaughtUp(groupId);

    expect(await verdictRecords(verdict.verdictId)).toBe(1);
    expect(await applyJobs(application.id)).toBe(1);
  });

  it('applies a duplicate verdict once', async () => {
    const groupId = `group-${randomUUID()}`;
    await startConsumer(groupId);
    const application = await insertTestApplication(db, { enqueue: false });
    const verdict = verdictFor(application.id);

    await send(JSON.stringify(verdict), verdict.applicationId);
    await send(JSON.stringify(verdict), verdict.applicationId);
    await send(JSON.stringify(verdict), verdict.applicationId);
    await waitUntilCaughtUp(groupId);

    expect(await verdictRecords(verdict.verdictId)).toBe(1);
    expect(await applyJobs(application.id)).toBe(1);
  });

  it('dead-letters a malformed verdict and goes on', async () => {
    const groupId = `group-${randomUUID()}`;
    await startConsumer(groupId);
    const application = await insertTestApplication(db, { enqueue: false });
    const marker = `not json ${randomUUID()}`;
    const after = verdictFor(application.id);

    await send(marker, 'broken-key');
    await send(JSON.stringify(after), after.applicationId);
    await waitUntilCaughtUp(groupId);
    const [letter] = (await deadLetters.waitFor('the malformed verdict', (records) => records.some((record) => record.value === marker))).filter(
      (record) => record.value === marker,
    );

    expect(letter!.headers[DEAD_LETTER_HEADERS.reason]).toBe('invalid');
    expect(letter!.headers[DEAD_LETTER_HEADERS.detail]).toMatch(/not valid JSON/);
    expect(letter!.headers[DEAD_LETTER_HEADERS.topic]).toBe(topics.KAFKA_VERDICTS_TOPIC);
    expect(letter!.headers[DEAD_LETTER_HEADERS.offset]).toMatch(/^\d+$/);
    expect(letter!.headers.origin).toBe('test');
    expect(letter!.key).toBe('broken-key');
    expect(await verdictRecords(after.verdictId)).toBe(1);
  });

  it('dead-letters a verdict with invalid fields', async () => {
    const groupId = `group-${randomUUID()}`;
    await startConsumer(groupId);
    const verdict = { ...verdictFor('1'), verdict: 'MAYBE' };

    await send(JSON.stringify(verdict), verdict.applicationId);
    await waitUntilCaughtUp(groupId);
    const letters = await deadLetters.waitFor('the invalid verdict', (records) => records.some((record) => record.value.includes(verdict.verdictId)));
    const letter = letters.find((record) => record.value.includes(verdict.verdictId));

    expect(letter!.headers[DEAD_LETTER_HEADERS.reason]).toBe('invalid');
    expect(letter!.headers[DEAD_LETTER_HEADERS.detail]).toMatch(/verdict is invalid/);
    expect(await verdictRecords(verdict.verdictId)).toBe(0);
  });

  it('dead-letters a verdict for an unknown application', async () => {
    const groupId = `group-${randomUUID()}`;
    await startConsumer(groupId);
    const verdict = verdictFor('987654321');

    await send(JSON.stringify(verdict), verdict.applicationId);
    await waitUntilCaughtUp(groupId);
    const letters = await deadLetters.waitFor('the unknown application verdict', (records) => records.some((record) => record.value.includes(verdict.verdictId)));
    const letter = letters.find((record) => record.value.includes(verdict.verdictId));

    expect(letter!.headers[DEAD_LETTER_HEADERS.reason]).toBe('unknown_application');
    expect(letter!.headers[DEAD_LETTER_HEADERS.detail]).toBe('application 987654321 does not exist');
    expect(await verdictRecords(verdict.verdictId)).toBe(0);
  });

  it('commits no offset while the database fails', async () => {
    const groupId = `group-${randomUUID()}`;
    await startConsumer(groupId);
    const application = await insertTestApplication(db, { enqueue: false });
    const verdict = verdictFor(application.id);
    await waitUntilCaughtUp(groupId);
    const before = await progress(groupId);

    // A real database error: the intake's table is missing while the verdict arrives.
    await db.pool.query('ALTER TABLE idempotency_records RENAME TO idempotency_records_away');
    try {
      await send(JSON.stringify(verdict), verdict.applicationId);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const during = await progress(groupId);
      expect(during.committed).toBe(before.committed);
    } finally {
      await db.pool.query('ALTER TABLE idempotency_records_away RENAME TO idempotency_records');
    }
    await waitUntilCaughtUp(groupId, 60_000);

    expect(await verdictRecords(verdict.verdictId)).toBe(1);
    expect(await applyJobs(application.id)).toBe(1);
  });

  it('restarts after a crash kafkajs gives up on', async () => {
    const groupId = `group-${randomUUID()}`;
    let crashes = 0;
    const crashOnce: VerdictIntake = async (deps, message) => {
      if (crashes === 0) {
        crashes += 1;
        throw new KafkaJSNonRetriableError('injected crash of the verdict consumer');
      }
      return acceptModerationVerdict(deps, message);
    };
    await startConsumer(groupId, crashOnce);
    const application = await insertTestApplication(db, { enqueue: false });
    const verdict = verdictFor(application.id);

    await send(JSON.stringify(verdict), verdict.applicationId);
    await waitUntilCaughtUp(groupId);

    expect(crashes).toBe(1);
    expect(await verdictRecords(verdict.verdictId)).toBe(1);
  });

  it('applies each verdict once across a rebalance', async () => {
    const groupId = `group-${randomUUID()}`;
    await startConsumer(groupId);
    const applications = await Promise.all(Array.from({ length: 12 }, () => insertTestApplication(db, { enqueue: false })));
    const verdicts = applications.map((application) => verdictFor(application.id));

    for (const [index, verdict] of verdicts.entries()) {
      await send(JSON.stringify(verdict), verdict.applicationId);
      if (index === 3) {
        // A second member joins the group: kafkajs rebalances the partitions between the two.
        void startConsumer(groupId);
      }
    }
    await waitUntilCaughtUp(groupId);

    for (const [index, verdict] of verdicts.entries()) {
      expect(await verdictRecords(verdict.verdictId), `verdict ${verdict.verdictId}`).toBe(1);
      expect(await applyJobs(applications[index]!.id), `apply jobs of application ${applications[index]!.id}`).toBe(1);
    }
  });

  it('receives verdicts from the Kafka delivery', async () => {
    const groupId = `group-${randomUUID()}`;
    await startConsumer(groupId);
    const application = await insertTestApplication(db, { enqueue: false });
    const verdict = verdictFor(application.id, 'FAILED');
    const deliver = createKafkaVerdictDelivery({ publisher: producer, topic: topics.KAFKA_VERDICTS_TOPIC });

    await deliver({ ...verdict, reason: 'photos missing' });
    await waitUntilCaughtUp(groupId);

    expect(await verdictRecords(verdict.verdictId)).toBe(1);
  });
});
