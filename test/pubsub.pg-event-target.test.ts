import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { PgEventTarget, PUBSUB_CHANNEL } from '../src/pubsub/pg-event-target.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertTestApplication } from './support/pipeline.js';

const logger = createLogger({ level: 'silent' });
let db: TestDatabase;
const targets: PgEventTarget[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(targets.map((target) => target.close()));
  await db.drop();
});

async function startTarget(options: Partial<ConstructorParameters<typeof PgEventTarget>[0]> = {}): Promise<PgEventTarget> {
  const target = new PgEventTarget({ connectionString: db.url, pool: db.pool, logger, minReconnectDelayMs: 20, ...options });
  targets.push(target);
  await target.start();
  return target;
}

/** Resolve with the details of the next `count` events of a topic, or reject after `timeoutMs`. */
function collect(target: EventTarget, topic: string, count: number, timeoutMs = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const details: unknown[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${details.length} of ${count} events on ${topic} arrived: ${JSON.stringify(details)}`)), timeoutMs);
    const listener = (event: Event) => {
      details.push((event as CustomEvent).detail);
      if (details.length === count) {
        clearTimeout(timer);
        target.removeEventListener(topic, listener);
        resolve(details);
      }
    };
    target.addEventListener(topic, listener);
  });
}

async function listenerPid(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const result = await db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'auction-applications pubsub' AND query LIKE 'LISTEN%'`,
    );
    if (result.rows.length === 1) {
      return result.rows[0]!.pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('found no single LISTEN connection');
}

describe('PgEventTarget', () => {
  it('delivers an event to another target', async () => {
    const publisher = await startTarget();
    const subscriber = await startTarget();
    const received = collect(subscriber, 'greeting:1', 1);

    publisher.dispatchEvent(new CustomEvent('greeting:1', { detail: { text: 'hello' } }));

    expect(await received).toEqual([{ text: 'hello' }]);
  });

  it('delivers history inserts from the trigger', async () => {
    const subscriber = await startTarget();
    const received = collect(subscriber, 'application:1', 1);
    const placeholder = collect(subscriber, 'unrelated', 1, 10).catch(() => 'none');

    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY200001', enqueue: false });

    expect(application.id).toBe(1n);
    const history = await db.prisma.applicationHistory.findFirstOrThrow({ where: { applicationId: application.id } });
    expect(await received).toEqual([{ applicationId: '1', historyId: history.id.toString(), status: 'NEW' }]);
    expect(await placeholder).toBe('none');
  });

  it('rejects a payload above the NOTIFY limit', async () => {
    const publisher = await startTarget();

    const dispatch = () => publisher.dispatchEvent(new CustomEvent('big', { detail: 'x'.repeat(8000) }));

    expect(dispatch).toThrow(/above the NOTIFY limit of 7999/);
  });

  it('ignores a notification that is not JSON', async () => {
    const subscriber = await startTarget();
    const received = collect(subscriber, 'after-garbage', 1);

    await db.pool.query('SELECT pg_notify($1, $2)', [PUBSUB_CHANNEL, 'not json']);
    await db.pool.query('SELECT pg_notify($1, $2)', [PUBSUB_CHANNEL, JSON.stringify({ topic: 'after-garbage', detail: 1 })]);

    expect(await received).toEqual([1]);
  });

  it('listens again after losing its connection', async () => {
    await Promise.all(targets.splice(0).map((target) => target.close()));
    const subscriber = await startTarget();
    const resync = collect(subscriber, 'survivor', 1);
    const pid = await listenerPid();

    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);

    expect(await resync).toEqual([null]);
    expect(subscriber.listening).toBe(true);
    const after = collect(subscriber, 'survivor', 1);
    await db.pool.query('SELECT pg_notify($1, $2)', [PUBSUB_CHANNEL, JSON.stringify({ topic: 'survivor', detail: 'after' })]);
    expect(await after).toEqual(['after']);
  });

  it('throws at start for an unreachable database', async () => {
    const url = new URL(db.url);
    url.pathname = '/aa_missing_database';
    const target = new PgEventTarget({ connectionString: url.toString(), pool: new pg.Pool({ connectionString: url.toString() }), logger });

    await expect(target.start()).rejects.toThrow(/aa_missing_database/);
  });
});
