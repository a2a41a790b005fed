import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeApplication } from '../src/domain/changes.js';
import { Prisma } from '../src/db/prisma.js';
import { InvalidTransitionError } from '../src/domain/errors.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertTestApplication } from './support/pipeline.js';

const seller = { type: 'SELLER' as const, id: '41872156' };
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

describe('changeApplication', () => {
  it('writes the row, a history entry and an event together', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY100001', enqueue: false });
    await db.prisma.$transaction((tx) =>
      changeApplication(tx, { applicationId: application.id, actor: seller, action: 'WITHDRAWN', set: { status: 'WITHDRAWN', applicationStatus: 'WITHDRAWN' } }),
    );

    const history = await db.prisma.applicationHistory.findMany({ where: { applicationId: application.id }, orderBy: { id: 'asc' } });
    const events = await db.prisma.outboxEvent.findMany({ where: { applicationId: application.id }, orderBy: { id: 'asc' } });
    expect(history.map((entry) => entry.action)).toEqual(['CREATED', 'WITHDRAWN']);
    expect(events.map((event) => event.eventType)).toEqual(['application.created', 'application.withdrawn']);
    expect(history[1]!.changes).toEqual({ status: { from: 'NEW', to: 'WITHDRAWN' }, applicationStatus: { from: 'NEW', to: 'WITHDRAWN' } });
  });

  it('rejects an impossible transition and writes nothing', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY100002', enqueue: false });
    const change = db.prisma.$transaction((tx) =>
      changeApplication(tx, { applicationId: application.id, actor: seller, action: 'STATUS_CHANGED', set: { status: 'FINISHED' } }),
    );

    await expect(change).rejects.toBeInstanceOf(InvalidTransitionError);
    const row = await db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: application.id } });
    expect(row.status).toBe('NEW');
    expect(await db.prisma.applicationHistory.count({ where: { applicationId: application.id } })).toBe(1);
    expect(await db.prisma.outboxEvent.count({ where: { applicationId: application.id } })).toBe(1);
  });

  it('writes nothing when every value is unchanged', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY100003', enqueue: false });
    const result = await db.prisma.$transaction((tx) =>
      changeApplication(tx, { applicationId: application.id, actor: seller, action: 'EDITED', set: { inspectPlace: application.inspectPlace } }),
    );

    expect(result.changed).toBe(false);
    expect(await db.prisma.applicationHistory.count({ where: { applicationId: application.id } })).toBe(1);
  });

  it('stores details on history and event', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY100005', enqueue: false });
    const details = { verdictId: 'v-1', reason: 'The photos show another car.' };
    await db.prisma.$transaction((tx) =>
      changeApplication(tx, {
        applicationId: application.id,
        actor: seller,
        action: 'MODERATION_FAILED',
        set: { moderationStatus: 'FAILED', status: 'REJECTED', applicationStatus: 'REJECTED' },
        details,
      }),
    );

    const history = await db.prisma.applicationHistory.findMany({ where: { applicationId: application.id }, orderBy: { id: 'asc' } });
    const events = await db.prisma.outboxEvent.findMany({ where: { applicationId: application.id }, orderBy: { id: 'asc' } });
    expect(history[0]!.details).toBeNull();
    expect(history[1]!.details).toEqual(details);
    expect((events[0]!.payload as Record<string, unknown>).details).toBeUndefined();
    expect((events[1]!.payload as Record<string, unknown>).details).toEqual(details);
  });

  it('drops details of an unchanged application', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY100006', enqueue: false });
    const result = await db.prisma.$transaction((tx) =>
      changeApplication(tx, { applicationId: application.id, actor: seller, action: 'EDITED', set: { inspectPlace: application.inspectPlace }, details: { note: 'ignored' } }),
    );

    expect(result.changed).toBe(false);
    expect(await db.prisma.applicationHistory.count({ where: { applicationId: application.id, details: { not: Prisma.DbNull } } })).toBe(0);
  });

  it('allows one active application per VIN', async () => {
    await insertTestApplication(db, { vin: 'XTAGFK330JY100004', enqueue: false });
    await expect(insertTestApplication(db, { vin: 'XTAGFK330JY100004', enqueue: false })).rejects.toThrow(/Unique constraint/);
  });
});
