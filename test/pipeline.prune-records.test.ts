import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_APPLICATION_SCOPE } from '../src/domain/applications.js';
import { CME_WEBHOOK_SCOPE } from '../src/http/use-webhooks.js';
import { createLogger } from '../src/logger.js';
import { VERDICT_SCOPE } from '../src/pipeline/verdict-intake.js';
import { LOT_HAND_OFF_SCOPE } from '../src/tasks/hand_off_lot.js';
import { pruneOldRecords } from '../src/tasks/prune_records.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const logger = createLogger({ level: 'silent' });
const config = { OUTBOX_RETENTION_DAYS: 7, IDEMPOTENCY_RETENTION_DAYS: 2 };
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

beforeEach(async () => {
  await db.pool.query('DELETE FROM outbox_events');
  await db.pool.query('DELETE FROM idempotency_records');
});

/** An outbox event created `createdDaysAgo` days ago and published `publishedDaysAgo` days ago, or never. */
async function outboxEvent(createdDaysAgo: number, publishedDaysAgo: number | null): Promise<string> {
  const { rows } = await db.pool.query<{ outbox_id: string }>(
    `INSERT INTO outbox_events (application_id, event_type, payload, created_at, published_at)
     VALUES (1, 'APPLICATION_CREATED', '{}'::jsonb, now() - make_interval(days => $1),
             CASE WHEN $2::int IS NULL THEN NULL ELSE now() - make_interval(days => $2::int) END)
     RETURNING outbox_id`,
    [createdDaysAgo, publishedDaysAgo],
  );
  return rows[0]!.outbox_id;
}

async function idempotencyRecord(scope: string, key: string, hoursAgo: number): Promise<void> {
  await db.pool.query(`INSERT INTO idempotency_records (scope, key, created_at) VALUES ($1, $2, now() - make_interval(hours => $3))`, [scope, key, hoursAgo]);
}

async function outboxIds(): Promise<string[]> {
  const { rows } = await db.pool.query<{ outbox_id: string }>('SELECT outbox_id FROM outbox_events ORDER BY outbox_id');
  return rows.map((row) => row.outbox_id);
}

async function idempotencyKeys(): Promise<string[]> {
  const { rows } = await db.pool.query<{ scope: string; key: string }>('SELECT scope, key FROM idempotency_records ORDER BY scope, key');
  return rows.map((row) => `${row.scope}/${row.key}`);
}

describe('pruneOldRecords', () => {
  it('deletes events published past retention', async () => {
    await outboxEvent(10, 9);
    await outboxEvent(9, 8);
    const recent = await outboxEvent(8, 6);

    const report = await pruneOldRecords({ db, logger, config });

    expect(report.outboxEvents).toBe(2);
    expect(await outboxIds()).toEqual([recent]);
  });

  it('never deletes unpublished events', async () => {
    const stale = await outboxEvent(30, null);

    const report = await pruneOldRecords({ db, logger, config });

    expect(report.outboxEvents).toBe(0);
    expect(await outboxIds()).toEqual([stale]);
  });

  it('expires records of repeat-guard scopes', async () => {
    await idempotencyRecord(CREATE_APPLICATION_SCOPE, 'old-submission', 49);
    await idempotencyRecord(CME_WEBHOOK_SCOPE, 'old-event', 72);
    await idempotencyRecord(VERDICT_SCOPE, 'old-verdict', 100);
    await idempotencyRecord(CREATE_APPLICATION_SCOPE, 'recent-submission', 47);
    await idempotencyRecord(VERDICT_SCOPE, 'recent-verdict', 1);

    const report = await pruneOldRecords({ db, logger, config });

    expect(report.idempotencyRecords).toBe(3);
    expect(await idempotencyKeys()).toEqual([`${CREATE_APPLICATION_SCOPE}/recent-submission`, `${VERDICT_SCOPE}/recent-verdict`]);
  });

  it('keeps lot hand-off records', async () => {
    await idempotencyRecord(LOT_HAND_OFF_SCOPE, '42', 24 * 400);

    const report = await pruneOldRecords({ db, logger, config });

    expect(report.idempotencyRecords).toBe(0);
    expect(await idempotencyKeys()).toEqual([`${LOT_HAND_OFF_SCOPE}/42`]);
  });

  it('deletes in several batches', async () => {
    for (let index = 0; index < 5; index += 1) {
      await outboxEvent(20, 10);
      await idempotencyRecord(CME_WEBHOOK_SCOPE, `event-${index}`, 72);
    }

    const report = await pruneOldRecords({ db, logger, config, batchSize: 2 });

    expect(report).toEqual({ outboxEvents: 5, idempotencyRecords: 5, aborted: false });
    expect(await outboxIds()).toEqual([]);
    expect(await idempotencyKeys()).toEqual([]);
  });

  it('deletes nothing when run twice', async () => {
    const unpublished = await outboxEvent(30, null);
    const recent = await outboxEvent(1, 1);
    await outboxEvent(20, 10);
    await idempotencyRecord(VERDICT_SCOPE, 'old-verdict', 72);
    await idempotencyRecord(VERDICT_SCOPE, 'recent-verdict', 1);
    await pruneOldRecords({ db, logger, config });

    const again = await pruneOldRecords({ db, logger, config });

    expect(again).toEqual({ outboxEvents: 0, idempotencyRecords: 0, aborted: false });
    expect(await outboxIds()).toEqual([unpublished, recent]);
    expect(await idempotencyKeys()).toEqual([`${VERDICT_SCOPE}/recent-verdict`]);
  });

  it('stops on shutdown before deleting', async () => {
    const old = await outboxEvent(20, 10);
    const controller = new AbortController();
    controller.abort();

    const report = await pruneOldRecords({ db, logger, config, signal: controller.signal });

    expect(report.aborted).toBe(true);
    expect(await outboxIds()).toEqual([old]);
  });
});
