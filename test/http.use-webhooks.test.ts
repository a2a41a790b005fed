import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_ACTOR } from '../src/domain/actor.js';
import { changeApplication } from '../src/domain/changes.js';
import { CME_WEBHOOK_SCOPE, useWebhooks } from '../src/http/use-webhooks.js';
import { signatureHeaders } from '../src/integrations/signature.js';
import { createLogger } from '../src/logger.js';
import { VERDICT_SCOPE } from '../src/pipeline/verdict-intake.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { clearJobs, insertTestApplication, pendingJobs } from './support/pipeline.js';

const config = {
  CME_WEBHOOK_SECRET: 'test-cme-webhook-secret',
  CME_WEBHOOK_TOLERANCE_SECONDS: 300,
  MODERATION_VERDICT_SECRET: 'test-moderation-verdict-secret',
};
const logger = createLogger({ level: 'silent' });
let db: TestDatabase;
let yoga: ReturnType<typeof createYoga>;
let applicationId: bigint;
const evaluationId = 4242;

beforeAll(async () => {
  db = await createTestDatabase();
  yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }), plugins: [useWebhooks({ db, logger, config })], logging: false });
  const application = await insertTestApplication(db, { enqueue: false });
  await db.prisma.$transaction((tx) =>
    changeApplication(tx, { applicationId: application.id, actor: PIPELINE_ACTOR, action: 'CME_DRAFT_CREATED', set: { cmeEvaluationId: evaluationId } }),
  );
  applicationId = application.id;
});

afterAll(async () => {
  await db.drop();
});

beforeEach(async () => {
  await clearJobs(db);
});

let eventCounter = 0;

function cmeEvent(overrides: Record<string, unknown> = {}) {
  eventCounter += 1;
  return { eventId: `evt-${eventCounter}-${Date.now()}`, type: 'evaluation.done', evaluationId, occurredAt: new Date().toISOString(), ...overrides };
}

function post(path: string, body: string, headers: Record<string, string>) {
  return yoga.fetch(`http://127.0.0.1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function postCme(event: unknown, signing: { secret?: string; timestamp?: number } = {}) {
  const body = JSON.stringify(event);
  return post('/webhooks/cme', body, signatureHeaders(signing.secret ?? config.CME_WEBHOOK_SECRET, body, signing.timestamp));
}

async function cmeRecordCount(): Promise<number> {
  return db.prisma.idempotencyRecord.count({ where: { scope: CME_WEBHOOK_SCOPE } });
}

describe('POST /webhooks/cme', () => {
  it('queues a signed event', async () => {
    const event = cmeEvent();

    const response = await postCme(event);

    expect(response.status).toBe(202);
    const jobs = await pendingJobs(db, 'store_cme_report');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload).toEqual({ applicationId: applicationId.toString(), eventId: event.eventId, type: 'evaluation.done', evaluationId });
    expect(jobs[0]!.queue).toBe(`application:${applicationId}`);
  });

  it('answers a repeat without queueing', async () => {
    const event = cmeEvent({ type: 'status.changed', status: 'EVALUATED' });
    await postCme(event);

    const repeat = await postCme(event);

    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toEqual({ status: 'duplicate', eventId: event.eventId });
    expect(await pendingJobs(db, 'store_cme_report')).toHaveLength(1);
  });

  it('rejects a reused event id', async () => {
    const event = cmeEvent();
    await postCme(event);

    const response = await postCme({ ...event, type: 'inspection.done' });

    expect(response.status).toBe(409);
    expect(await pendingJobs(db, 'store_cme_report')).toHaveLength(1);
  });

  it('rejects a bad signature', async () => {
    const before = await cmeRecordCount();

    const response = await postCme(cmeEvent(), { secret: 'another-secret-of-16-chars' });

    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('bad_signature');
    expect(await cmeRecordCount()).toBe(before);
    expect(await pendingJobs(db)).toHaveLength(0);
  });

  it('rejects a stale timestamp', async () => {
    const response = await postCme(cmeEvent(), { timestamp: Math.floor(Date.now() / 1000) - 301 });

    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body.error).toBe('stale_timestamp');
    expect(body.message).toContain('300 seconds');
    expect(await pendingJobs(db)).toHaveLength(0);
  });

  it('rejects missing signature headers', async () => {
    const response = await post('/webhooks/cme', JSON.stringify(cmeEvent()), {});

    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('missing_headers');
  });

  it('rejects a body altered after signing', async () => {
    const body = JSON.stringify(cmeEvent());
    const headers = signatureHeaders(config.CME_WEBHOOK_SECRET, body);

    const response = await post('/webhooks/cme', body.replace('evaluation.done', 'inspection.done'), headers);

    expect(response.status).toBe(401);
    expect(await pendingJobs(db)).toHaveLength(0);
  });

  it('reports an unknown evaluation', async () => {
    const before = await cmeRecordCount();

    const response = await postCme(cmeEvent({ evaluationId: 999_999 }));

    expect(response.status).toBe(404);
    expect((await response.json()).message).toContain('999999');
    expect(await cmeRecordCount()).toBe(before);
    expect(await pendingJobs(db)).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{"eventId":', 'not valid JSON'],
    ['an unknown type', JSON.stringify({ eventId: 'e1', type: 'evaluation.lost', evaluationId, occurredAt: new Date().toISOString() }), 'type'],
    ['a missing event id', JSON.stringify({ type: 'evaluation.done', evaluationId, occurredAt: new Date().toISOString() }), 'eventId'],
    ['a text evaluation id', JSON.stringify({ eventId: 'e2', type: 'evaluation.done', evaluationId: '4242', occurredAt: new Date().toISOString() }), 'evaluationId'],
  ])('rejects %s as malformed', async (_case, body, field) => {
    const response = await post('/webhooks/cme', body, signatureHeaders(config.CME_WEBHOOK_SECRET, body));

    expect(response.status).toBe(400);
    expect((await response.json()).message).toContain(field);
    expect(await pendingJobs(db)).toHaveLength(0);
  });

  it('rejects a GET', async () => {
    const response = await yoga.fetch('http://127.0.0.1/webhooks/cme');

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('rejects an oversized body', async () => {
    const body = JSON.stringify(cmeEvent({ padding: 'x'.repeat(70_000) }));

    const response = await post('/webhooks/cme', body, signatureHeaders(config.CME_WEBHOOK_SECRET, body));

    expect(response.status).toBe(413);
  });
});

describe('POST /internal/moderation/verdicts', () => {
  function postVerdict(verdict: unknown, secret = config.MODERATION_VERDICT_SECRET) {
    const body = JSON.stringify(verdict);
    return post('/internal/moderation/verdicts', body, signatureHeaders(secret, body));
  }

  function verdict(overrides: Record<string, unknown> = {}) {
    return { verdictId: `verdict-${Math.random().toString(36).slice(2)}`, applicationId: applicationId.toString(), verdict: 'OK', decidedAt: new Date().toISOString(), ...overrides };
  }

  it('accepts a signed verdict', async () => {
    const response = await postVerdict(verdict());

    expect(response.status).toBe(202);
    expect(await pendingJobs(db, 'apply_moderation_verdict')).toHaveLength(1);
  });

  it('answers a repeat as duplicate', async () => {
    const sent = verdict();
    await postVerdict(sent);

    const repeat = await postVerdict(sent);

    expect(repeat.status).toBe(200);
    expect(await pendingJobs(db, 'apply_moderation_verdict')).toHaveLength(1);
  });

  it('rejects a bad signature', async () => {
    const sent = verdict();

    const response = await postVerdict(sent, 'another-secret-of-16-chars');

    expect(response.status).toBe(401);
    expect(await db.prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope: VERDICT_SCOPE, key: sent.verdictId } } })).toBeNull();
  });

  it('reports an unknown application', async () => {
    const response = await postVerdict(verdict({ applicationId: '987654' }));

    expect(response.status).toBe(404);
    expect(await pendingJobs(db)).toHaveLength(0);
  });

  it('rejects an invalid verdict', async () => {
    const response = await postVerdict(verdict({ verdict: 'PERHAPS' }));

    expect(response.status).toBe(400);
    expect((await response.json()).message).toContain('verdict');
  });
});
