import { parseCrontab } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createKafkaServices } from '../src/kafka/service.js';
import { createLogger } from '../src/logger.js';
import { PUBLISH_OUTBOX_TASK, publishOutboxCrontab } from '../src/tasks/publish_outbox.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createApplicationWithEvents } from './support/kafka.js';
import { pendingJobs } from './support/pipeline.js';

const logger = createLogger({ level: 'silent' });
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

describe('Kafka not configured', () => {
  it('builds no Kafka services', () => {
    const services = createKafkaServices({ config: loadConfig({ NODE_ENV: 'test' }), logger, db, databaseUrl: db.url });

    expect(services).toBeUndefined();
  });

  it('keeps events in the outbox', async () => {
    const applicationId = await createApplicationWithEvents(db);

    const unpublished = await db.prisma.outboxEvent.count({ where: { applicationId, publishedAt: null } });
    expect(unpublished).toBe(4);
    expect(await pendingJobs(db, PUBLISH_OUTBOX_TASK)).toEqual([]);
  });
});

describe('publishOutboxCrontab', () => {
  it('runs the relay every minute under its job key', () => {
    const [item] = parseCrontab(publishOutboxCrontab());

    expect(item!.task).toBe(PUBLISH_OUTBOX_TASK);
    expect(item!.options.jobKey).toBe(PUBLISH_OUTBOX_TASK);
    for (const min of [0, 17, 59]) {
      expect(item!.match({ min, hour: 3, date: 5, month: 12, dow: 6 }), `minute ${min}`).toBe(true);
    }
  });
});
