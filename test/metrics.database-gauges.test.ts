import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeApplication } from '../src/domain/changes.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics/metrics.js';
import { sweepStuckApplications } from '../src/pipeline/sweep.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertTestApplication } from './support/pipeline.js';

const logger = createLogger({ level: 'silent' });
const pipeline = { type: 'SYSTEM' as const, id: 'pipeline' };
let db: TestDatabase;
let text: string;

/** Return the value of one series in the exposition text, or undefined when it is absent. */
function valueOf(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  db = await createTestDatabase();
  await insertTestApplication(db, { vin: 'XTAGFK330JY400001', enqueue: false });
  const moderated = await insertTestApplication(db, { vin: 'XTAGFK330JY400002', enqueue: false });
  await db.prisma.$transaction((tx) => changeApplication(tx, { applicationId: moderated.id, actor: pipeline, action: 'MODERATED', set: { applicationStatus: 'MODERATED', moderationStatus: 'OK' } }));
  const rejected = await insertTestApplication(db, { vin: 'XTAGFK330JY400003', enqueue: false });
  await db.prisma.$transaction((tx) => changeApplication(tx, { applicationId: rejected.id, actor: pipeline, action: 'REJECTED', set: { status: 'REJECTED', applicationStatus: 'REJECTED' } }));
  const stuck = await insertTestApplication(db, { vin: 'XTAGFK330JY400004', enqueue: false });
  await db.prisma.$executeRaw`UPDATE auction_applications SET updated_at = now() - interval '2 hours' WHERE application_id = ${stuck.id}`;
  await db.prisma.$executeRaw`UPDATE outbox_events SET created_at = now() - interval '90 seconds' WHERE outbox_id = (SELECT min(outbox_id) FROM outbox_events)`;
  await db.prisma.$executeRaw`UPDATE outbox_events SET published_at = now() WHERE application_id = ${rejected.id}`;
  await db.pool.query(`SELECT graphile_worker.add_job('send_to_moderation', '{}'::json)`);
  await db.pool.query(`SELECT graphile_worker.add_job('send_to_moderation', '{}'::json, run_at => now() + interval '1 hour')`);
  await db.pool.query(`SELECT graphile_worker.add_job('hand_off_lot', '{}'::json, max_attempts => 1)`);
  await db.pool.query(`UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'boom' WHERE task_id = (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'hand_off_lot')`);

  const metrics = new Metrics({ logger, pool: db.pool, stuckAfterMinutes: 30, defaultMetrics: false });
  text = await metrics.render();
});

afterAll(async () => {
  await db.drop();
});

describe('database gauges', () => {
  it('count active applications by status', () => {
    expect(valueOf(text, 'auction_applications_active{status="NEW",application_status="NEW"}')).toBe(2);
    expect(valueOf(text, 'auction_applications_active{status="NEW",application_status="MODERATED"}')).toBe(1);
  });

  it('count recently closed applications', () => {
    expect(valueOf(text, 'auction_applications_closed_24h{status="REJECTED"}')).toBe(1);
  });

  it('count stuck applications by stage', () => {
    expect(valueOf(text, 'auction_applications_stuck{stage="moderation"}')).toBe(1);
    expect(valueOf(text, 'auction_applications_stuck{stage="enrichment"}')).toBeUndefined();
  });

  it('count as stuck what the sweep finds', async () => {
    const report = await sweepStuckApplications({ db, logger, config: { STUCK_AFTER_MINUTES: 30 } });

    expect(report.stuck.moderation).toBe(1);
    expect(report.total).toBe(1);
  });

  it('report the outbox backlog and age', () => {
    expect(valueOf(text, 'auction_outbox_unpublished')).toBe(4);
    expect(valueOf(text, 'auction_outbox_oldest_unpublished_age_seconds')).toBeGreaterThanOrEqual(90);
  });

  it('count jobs by task and state', () => {
    expect(valueOf(text, 'auction_jobs{task="send_to_moderation",state="ready"}')).toBe(1);
    expect(valueOf(text, 'auction_jobs{task="send_to_moderation",state="scheduled"}')).toBe(1);
    expect(valueOf(text, 'auction_jobs{task="hand_off_lot",state="failed"}')).toBe(1);
    expect(valueOf(text, 'auction_jobs_oldest_ready_age_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('report the database as up', () => {
    expect(valueOf(text, 'auction_database_up')).toBe(1);
  });

  it('survive an unreachable database', async () => {
    const closedPool = new (await import('pg')).default.Pool({ connectionString: db.url.replace(/\/[^/]+$/, '/aa_missing_database') });
    const metrics = new Metrics({ logger, pool: closedPool, defaultMetrics: false });

    const exposition = await metrics.render();
    await closedPool.end();

    expect(valueOf(exposition, 'auction_database_up')).toBe(0);
    expect(exposition).toContain('# TYPE auction_applications_active gauge');
  });
});
