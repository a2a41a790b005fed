import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeApplication, deleteApplicationRecord } from '../src/domain/changes.js';
import type { Actor } from '../src/domain/actor.js';
import type { PrismaClient } from '../src/db/prisma.js';
import { createLogger } from '../src/logger.js';
import { streamApplicationUpdates, type ApplicationUpdate } from '../src/pubsub/application-updates.js';
import { startPubSub, type PubSubService } from '../src/pubsub/pubsub.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertTestApplication } from './support/pipeline.js';

const logger = createLogger({ level: 'silent' });
const seller: Actor = { type: 'SELLER', id: '41872156' };
const pipeline: Actor = { type: 'SYSTEM', id: 'pipeline' };
let db: TestDatabase;
let service: PubSubService;

beforeAll(async () => {
  db = await createTestDatabase();
  // A slow reconnection leaves time to commit a change while no connection listens.
  service = await startPubSub({ connectionString: db.url, pool: db.pool, logger, minReconnectDelayMs: 500 });
});

afterAll(async () => {
  await service.close();
  await db.drop();
});

function change(applicationId: bigint, action: string, set: Parameters<typeof changeApplication>[1]['set']) {
  return db.prisma.$transaction((tx) => changeApplication(tx, { applicationId, actor: pipeline, action, set }));
}

/** Read updates until `done` returns true, or fail after `timeoutMs`. */
async function readUntil(stream: AsyncIterator<ApplicationUpdate>, done: (updates: ApplicationUpdate[]) => boolean, timeoutMs = 5000): Promise<ApplicationUpdate[]> {
  const updates: ApplicationUpdate[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(updates)) {
    const remaining = deadline - Date.now();
    const next = await Promise.race([stream.next(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(remaining, 0)))]);
    if (next === 'timeout') {
      throw new Error(`timed out after ${updates.length} updates: ${JSON.stringify(updates.map(actions))}`);
    }
    if (next.done) {
      break;
    }
    updates.push(next.value);
  }
  return updates;
}

function actions(update: ApplicationUpdate): string[] {
  return update.newHistory.map((entry) => entry.action);
}

describe('streamApplicationUpdates', () => {
  it('starts with the whole history', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY300001', enqueue: false });
    await change(application.id, 'SENT_TO_MODERATION', { moderationStatus: 'PENDING', waitingData: ['MODERATION'] });
    const stream = streamApplicationUpdates({ prisma: db.prisma, pubSub: service.pubSub, logger, applicationId: application.id });

    const [first] = await readUntil(stream, (updates) => updates.length === 1);
    await stream.return?.();

    expect(actions(first!)).toEqual(['CREATED', 'SENT_TO_MODERATION']);
    expect(first!.application.moderationStatus).toBe('PENDING');
  });

  it('sends each new entry once, in order', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY300002', enqueue: false });
    const stream = streamApplicationUpdates({ prisma: db.prisma, pubSub: service.pubSub, logger, applicationId: application.id });
    await readUntil(stream, (updates) => updates.length === 1);

    await change(application.id, 'MODERATED', { applicationStatus: 'MODERATED', moderationStatus: 'OK' });
    await change(application.id, 'ENRICHMENT_REQUESTED', { applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData: ['CME'] });
    await change(application.id, 'INSPECTED', { status: 'INSPECTED' });
    const updates = await readUntil(stream, (read) => read.flatMap(actions).length === 3);
    await stream.return?.();

    expect(updates.flatMap(actions)).toEqual(['MODERATED', 'ENRICHMENT_REQUESTED', 'INSPECTED']);
    expect(updates.at(-1)!.application.status).toBe('INSPECTED');
  });

  it('ends when the application is deleted', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY300003', enqueue: false });
    const stream = streamApplicationUpdates({ prisma: db.prisma, pubSub: service.pubSub, logger, applicationId: application.id });
    await readUntil(stream, (updates) => updates.length === 1);

    await db.prisma.$transaction((tx) => deleteApplicationRecord(tx, { applicationId: application.id, actor: { type: 'SERVICE', id: 'operator' } }));
    const next = await Promise.race([stream.next(), new Promise((resolve) => setTimeout(() => resolve('timeout'), 5000))]);

    expect(next).toEqual({ done: true, value: undefined });
  });

  it('sends the application as of its newest entry', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY300007', enqueue: false });
    // A change that commits during the stream's read, just before its history query runs.
    let commitDuringRead: (() => Promise<unknown>) | undefined;
    const prisma = db.prisma.$extends({
      query: {
        applicationHistory: {
          async findMany({ args, query }) {
            const commit = commitDuringRead;
            commitDuringRead = undefined;
            await commit?.();
            return query(args);
          },
        },
      },
    }) as unknown as PrismaClient;
    const stream = streamApplicationUpdates({ prisma, pubSub: service.pubSub, logger, applicationId: application.id });
    await readUntil(stream, (updates) => updates.length === 1);

    commitDuringRead = () => change(application.id, 'WITHDRAWN', { status: 'WITHDRAWN', applicationStatus: 'WITHDRAWN' });
    await change(application.id, 'MODERATED', { applicationStatus: 'MODERATED', moderationStatus: 'OK' });
    const updates = await readUntil(stream, (read) => read.flatMap(actions).includes('WITHDRAWN'));
    await stream.return?.();

    // The withdrawal's own signal finds no new entry, so an older row here would be the last word.
    expect(updates.at(-1)!.application.status).toBe('WITHDRAWN');
  });

  it('catches up after the listener reconnects', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY300004', enqueue: false });
    const stream = streamApplicationUpdates({ prisma: db.prisma, pubSub: service.pubSub, logger, applicationId: application.id });
    await readUntil(stream, (updates) => updates.length === 1);
    // Asking for the next update lets the stream use up the signal of the creation, so that the
    // change below is found only by the re-read after reconnecting.
    const nextUpdate = stream.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listener = await db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'auction-applications pubsub'`,
    );
    expect(listener.rows).toHaveLength(1);

    await db.pool.query('SELECT pg_terminate_backend($1)', [listener.rows[0]!.pid]);
    await expect.poll(() => service.eventTarget.listening).toBe(false);
    await change(application.id, 'WITHDRAWN', { status: 'WITHDRAWN', applicationStatus: 'WITHDRAWN' });
    const update = await Promise.race([nextUpdate, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000))]);
    await stream.return?.();

    expect(update).not.toBe('timeout');
    expect(actions((update as IteratorResult<ApplicationUpdate>).value)).toEqual(['WITHDRAWN']);
  });

  it('closes at once on return', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY300005', enqueue: false });
    let closed = 0;
    const stream = streamApplicationUpdates({ prisma: db.prisma, pubSub: service.pubSub, logger, applicationId: application.id, onClose: () => (closed += 1) });
    await readUntil(stream, (updates) => updates.length === 1);
    const waiting = stream.next();

    const returned = await Promise.race([stream.return!(), new Promise((resolve) => setTimeout(() => resolve('timeout'), 1000))]);

    expect(returned).toEqual({ done: true, value: undefined });
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(closed).toBe(1);
  });

  it('ends when the pub/sub closes', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY300006', enqueue: false });
    const ownService = await startPubSub({ connectionString: db.url, pool: db.pool, logger });
    const stream = streamApplicationUpdates({ prisma: db.prisma, pubSub: ownService.pubSub, logger, applicationId: application.id });
    await readUntil(stream, (updates) => updates.length === 1);
    const waiting = stream.next();

    await ownService.close();

    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  it('ends at once for a missing application', async () => {
    const stream = streamApplicationUpdates({ prisma: db.prisma, pubSub: service.pubSub, logger, applicationId: 999_999n });

    const next = await stream.next();

    expect(next.done).toBe(true);
  });
});
