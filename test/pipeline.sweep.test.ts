import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationChanges } from '../src/domain/changes.js';
import { createLogger } from '../src/logger.js';
import { lastSweepReport, sweepStuckApplications } from '../src/pipeline/sweep.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { clearJobs, insertTestApplication, pendingJobs } from './support/pipeline.js';

const logger = createLogger({ level: 'silent' });
const config = { STUCK_AFTER_MINUTES: 30 };
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

/** Insert an application in the given state whose last change was `minutesAgo` minutes ago, and return its id. */
async function applicationIn(set: ApplicationChanges & Record<string, unknown>, minutesAgo: number, inspectTime?: Date) {
  // The state is written directly, not through changes.ts, because it is the test's starting
  // point; ageing updated_at simulates the time passing.
  const created = await insertTestApplication(db, { enqueue: false, inspectTime });
  await db.prisma.auctionApplication.update({ where: { id: created.id }, data: set });
  await db.pool.query(`UPDATE auction_applications SET updated_at = now() - make_interval(mins => $2) WHERE application_id = $1`, [created.id, minutesAgo]);
  return created.id;
}

describe('sweepStuckApplications', () => {
  it('requeues each stuck stage once', async () => {
    await clearJobs(db);
    const moderation = await applicationIn({}, 45);
    const verdict = await applicationIn({ moderationStatus: 'PENDING', waitingData: ['MODERATION'] }, 45);
    const enrichment = await applicationIn({ moderationStatus: 'OK', applicationStatus: 'MODERATED' }, 45);
    const carfax = await applicationIn(
      { moderationStatus: 'OK', applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData: ['CARFAX', 'CME'], proAutoRequestId: 'pa-1', cmeEvaluationId: 11 },
      45,
    );
    const cme = await applicationIn(
      { moderationStatus: 'OK', applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData: ['CME'], proAutoReport: 'http://s3/x', cmeEvaluationId: 12 },
      45,
      new Date(Date.now() - 86_400_000),
    );
    const handOff = await applicationIn({ moderationStatus: 'OK', applicationStatus: 'READY', status: 'INSPECTED' }, 45);

    const report = await sweepStuckApplications({ db, logger, config });

    expect(report.stuck).toEqual({ moderation: 1, verdict: 1, enrichment: 1, carfax: 1, cme: 1, hand_off: 1 });
    expect(report.requeued).toBe(6);
    expect(lastSweepReport()).toBe(report);
    const queued = Object.fromEntries((await pendingJobs(db)).map((job) => [job.payload.applicationId, job]));
    expect(queued[moderation.toString()]!.task).toBe('send_to_moderation');
    expect(queued[verdict.toString()]!.payload.resubmit).toBe(true);
    expect(queued[enrichment.toString()]!.task).toBe('request_enrichment');
    expect(queued[carfax.toString()]!.task).toBe('poll_carfax');
    expect(queued[cme.toString()]!.payload).toMatchObject({ type: 'recheck', evaluationId: 12 });
    expect(queued[handOff.toString()]!.task).toBe('hand_off_lot');
    expect(queued[handOff.toString()]!.queue).toBe(`application:${handOff}`);

    const again = await sweepStuckApplications({ db, logger, config });

    expect(again.total).toBe(6);
    expect(again.requeued).toBe(0);
    expect(await pendingJobs(db)).toHaveLength(6);
  });

  it('leaves recent, final and uninspected applications alone', async () => {
    await clearJobs(db);
    await db.pool.query(`UPDATE auction_applications SET status = 'WITHDRAWN', application_status = 'WITHDRAWN'`);
    await applicationIn({}, 5);
    await applicationIn({ status: 'REJECTED', applicationStatus: 'REJECTED', moderationStatus: 'FAILED' }, 45);
    await applicationIn(
      { moderationStatus: 'OK', applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData: ['CME'], proAutoReport: 'http://s3/x', cmeEvaluationId: 13 },
      45,
      new Date(Date.now() + 86_400_000),
    );
    await applicationIn({ moderationStatus: 'OK', applicationStatus: 'SENT', status: 'INSPECTED' }, 45);

    const report = await sweepStuckApplications({ db, logger, config });

    expect(report.total).toBe(0);
    expect(await pendingJobs(db)).toHaveLength(0);
  });
});
