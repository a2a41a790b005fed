import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { acceptModerationVerdict, VERDICT_SCOPE } from '../src/pipeline/verdict-intake.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { clearJobs, insertTestApplication, pendingJobs } from './support/pipeline.js';

let db: TestDatabase;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

function verdictFor(applicationId: bigint, overrides: Record<string, unknown> = {}) {
  return {
    verdictId: `verdict-${applicationId}-${Math.random().toString(36).slice(2)}`,
    applicationId: applicationId.toString(),
    verdict: 'OK',
    decidedAt: '2026-12-04T10:00:00Z',
    ...overrides,
  };
}

describe('acceptModerationVerdict', () => {
  it('records the verdict and queues its job', async () => {
    const application = await insertTestApplication(db, { enqueue: false });
    await clearJobs(db);
    const verdict = verdictFor(application.id);

    const result = await acceptModerationVerdict({ db, logger }, verdict);

    expect(result).toEqual({ outcome: 'accepted', applicationId: application.id.toString() });
    const jobs = await pendingJobs(db, 'apply_moderation_verdict');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload).toEqual({ applicationId: application.id.toString(), verdictId: verdict.verdictId, verdict: 'OK' });
    expect(jobs[0]!.queue).toBe(`application:${application.id}`);
    const record = await db.prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope: VERDICT_SCOPE, key: verdict.verdictId } } });
    expect(record).not.toBeNull();
  });

  it('accepts raw JSON bytes', async () => {
    const application = await insertTestApplication(db, { enqueue: false });
    const bytes = new TextEncoder().encode(JSON.stringify(verdictFor(application.id, { verdict: 'FAILED', reason: 'photos missing' })));

    const result = await acceptModerationVerdict({ db, logger }, bytes);

    expect(result.outcome).toBe('accepted');
  });

  it('answers a repeat as duplicate', async () => {
    const application = await insertTestApplication(db, { enqueue: false });
    await clearJobs(db);
    const verdict = verdictFor(application.id);
    await acceptModerationVerdict({ db, logger }, verdict);

    const repeat = await acceptModerationVerdict({ db, logger }, { ...verdict });

    expect(repeat).toEqual({ outcome: 'duplicate', applicationId: application.id.toString() });
    expect(await pendingJobs(db, 'apply_moderation_verdict')).toHaveLength(1);
  });

  it('rejects a reused id with other content', async () => {
    const application = await insertTestApplication(db, { enqueue: false });
    const verdict = verdictFor(application.id);
    await acceptModerationVerdict({ db, logger }, verdict);

    const conflicting = await acceptModerationVerdict({ db, logger }, { ...verdict, verdict: 'FAILED' });

    expect(conflicting.outcome).toBe('invalid');
  });

  it('reports an unknown application and records nothing', async () => {
    const verdict = verdictFor(987654321n);

    const result = await acceptModerationVerdict({ db, logger }, verdict);

    expect(result).toEqual({ outcome: 'unknown_application', applicationId: '987654321' });
    const record = await db.prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope: VERDICT_SCOPE, key: verdict.verdictId } } });
    expect(record).toBeNull();
  });

  it.each([
    ['not JSON', 'not json at all', 'not valid JSON'],
    ['a missing verdict id', { applicationId: '1', verdict: 'OK', decidedAt: '2026-12-04T10:00:00Z' }, 'verdictId'],
    ['an unknown verdict', { verdictId: 'v1', applicationId: '1', verdict: 'MAYBE', decidedAt: '2026-12-04T10:00:00Z' }, 'verdict'],
    ['a numeric application id', { verdictId: 'v1', applicationId: 1, verdict: 'OK', decidedAt: '2026-12-04T10:00:00Z' }, 'applicationId'],
    ['a bad date', { verdictId: 'v1', applicationId: '1', verdict: 'OK', decidedAt: 'yesterday' }, 'decidedAt'],
    ['null', null, 'message'],
  ])('rejects %s as invalid', async (_case, message, field) => {
    const before = await db.prisma.idempotencyRecord.count();

    const result = await acceptModerationVerdict({ db, logger }, message);

    expect(result.outcome).toBe('invalid');
    expect(result.outcome === 'invalid' && result.reason).toContain(field);
    expect(await db.prisma.idempotencyRecord.count()).toBe(before);
  });
});
