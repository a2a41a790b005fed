import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  countRecords,
  CREATE_APPLICATION,
  INVALID_FIXTURES,
  LADA_OWNER,
  loadOffer,
  offerWith,
  seller,
  startTestApi,
  tomorrow,
  VALID_FIXTURES,
  type TestApi,
} from './support/api.js';
import { clearServiceTables } from './support/database.js';

const EXPECTED_FIELDS: Record<string, string> = {
  'category-trucks.json': 'offer.category',
  'id-missing.json': 'offer.id',
  'mileage-negative.json': 'offer.state.mileage',
  'price-not-a-number.json': 'offer.price_info.price',
  'section-new.json': 'offer.section',
  'vin-missing.json': 'offer.documents.vin',
  'vin-too-short.json': 'offer.documents.vin',
  'vin-with-letter-o.json': 'offer.documents.vin',
};

let testApi: TestApi;

beforeAll(async () => {
  testApi = await startTestApi();
});

afterAll(async () => {
  await testApi.close();
});

beforeEach(async () => {
  await clearServiceTables(testApi.db);
  await testApi.db.prisma.$executeRawUnsafe('DELETE FROM graphile_worker._private_jobs');
  testApi.tradeIn.requests.length = 0;
});

function create(offer: unknown, userId: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return testApi.graphql(CREATE_APPLICATION, { input: { offer, inspectTime: tomorrow(), inspectPlace: 'Москва, Профсоюзная улица, 56', ...extra } }, { ...seller(userId), ...headers });
}

function userIdOf(offer: Record<string, unknown>): string {
  return String(offer.user_ref).replace('user:', '');
}

describe('createApplication', () => {
  it.each(VALID_FIXTURES)('accepts valid fixture %s', async (name) => {
    const offer = loadOffer(name);
    const response = await create(offer, userIdOf(offer));

    const result = response.data?.createApplication;
    expect(result.__typename).toBe('CreateApplicationPayload');
    expect(result.application.status).toBe('NEW');
    expect(result.application.applicationStatus).toBe('NEW');
    expect(result.application.offerId).toBe(offer.id);
    expect(result.application.userId).toBe(userIdOf(offer));
    expect(result.application.history).toEqual([{ action: 'CREATED', actorType: 'SELLER', actorId: userIdOf(offer), status: 'NEW' }]);
  });

  it.each(INVALID_FIXTURES)('rejects invalid fixture %s and writes nothing', async (name) => {
    const response = await create(loadOffer(`invalid/${name}`), LADA_OWNER);

    const result = response.data?.createApplication;
    expect(result.__typename).toBe('ValidationError');
    expect(result.code).toBe('VALIDATION_FAILED');
    expect(result.field).toBe(EXPECTED_FIELDS[name]);
    expect(result.message).toContain(EXPECTED_FIELDS[name]);
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
    expect(testApi.tradeIn.requests).toHaveLength(0);
  });

  it('stores the offer body verbatim', async () => {
    const offer = loadOffer('kia-rio-2021.json');
    await create(offer, userIdOf(offer));

    const row = await testApi.db.prisma.auctionApplication.findFirstOrThrow();
    expect(JSON.parse(new TextDecoder().decode(row.offerBody))).toEqual(offer);
  });

  it('writes history and a created event', async () => {
    const offer = loadOffer('lada-vesta-2018.json');
    await create(offer, LADA_OWNER);

    const events = await testApi.db.prisma.outboxEvent.findMany();
    expect(events.map((event) => event.eventType)).toEqual(['application.created']);
    expect(await testApi.db.prisma.applicationHistory.count()).toBe(1);
  });

  it('enqueues moderation in the same transaction', async () => {
    const offer = loadOffer('lada-vesta-2018.json');
    const response = await create(offer, LADA_OWNER);
    const id = response.data.createApplication.application.applicationId;

    const jobs = await testApi.db.pool.query(`
      SELECT tasks.identifier AS task_identifier, jobs.payload, queues.queue_name, jobs.key
      FROM graphile_worker._private_jobs AS jobs
      JOIN graphile_worker._private_tasks AS tasks ON tasks.id = jobs.task_id
      LEFT JOIN graphile_worker._private_job_queues AS queues ON queues.id = jobs.job_queue_id`);
    expect(jobs.rows).toEqual([{ task_identifier: 'send_to_moderation', payload: { applicationId: id }, queue_name: `application:${id}`, key: `send_to_moderation:${id}` }]);
  });

  it('upper-cases and trims the VIN', async () => {
    const offer = offerWith('lada-vesta-2018.json', { vin: '  xtagfk330jy144213 ' });
    const response = await create(offer, LADA_OWNER);

    expect(response.data.createApplication.application.vin).toBe('XTAGFK330JY144213');
  });

  it('accepts a failed check digit with a warning', async () => {
    const response = await create(loadOffer('lada-vesta-2018.json'), LADA_OWNER);

    const warnings = response.data.createApplication.vinWarnings;
    expect(warnings.map((warning: { code: string }) => warning.code)).toEqual(['VIN_CHECK_DIGIT_MISMATCH']);
  });

  it('rejects another seller’s offer', async () => {
    const response = await create(loadOffer('lada-vesta-2018.json'), '50321778');

    expect(response.data.createApplication.field).toBe('offer.user_ref');
    expect(response.data.createApplication.reason).toBe('user_ref_mismatch');
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });

  it('rejects an inspection time in the past', async () => {
    const response = await create(loadOffer('lada-vesta-2018.json'), LADA_OWNER, { inspectTime: new Date(Date.now() - 60_000).toISOString() });

    expect(response.data.createApplication.field).toBe('input.inspectTime');
    expect(response.data.createApplication.reason).toBe('inspect_time_past');
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });

  it('rejects an empty inspection place', async () => {
    const response = await create(loadOffer('lada-vesta-2018.json'), LADA_OWNER, { inspectPlace: '   ' });

    expect(response.data.createApplication.field).toBe('input.inspectPlace');
    expect(response.data.createApplication.reason).toBe('inspect_place_empty');
  });

  it('rejects a second active application per VIN', async () => {
    const offer = loadOffer('lada-vesta-2018.json');
    await create(offer, LADA_OWNER);
    const second = await create(offer, LADA_OWNER);

    expect(second.data.createApplication.__typename).toBe('ActiveApplicationExistsError');
    expect(second.data.createApplication.check).toBe('ACTIVE_APPLICATION');
    expect(await testApi.db.prisma.auctionApplication.count()).toBe(1);
  });

  it('creates one of twenty concurrent submissions', async () => {
    const offer = loadOffer('citroen-c4-2014.json');
    const responses = await Promise.all(Array.from({ length: 20 }, () => create(offer, userIdOf(offer))));

    const typenames = responses.map((response) => response.data?.createApplication.__typename);
    expect(typenames.filter((name) => name === 'CreateApplicationPayload')).toHaveLength(1);
    expect(typenames.filter((name) => name === 'ActiveApplicationExistsError')).toHaveLength(19);
    expect(await countRecords(testApi.db)).toEqual({ applications: 1, history: 1, events: 1 });
    const jobs = await testApi.db.pool.query('SELECT count(*)::int AS count FROM graphile_worker._private_jobs');
    expect(jobs.rows[0].count).toBe(1);
  });

  it('replays a retry with the same idempotency key', async () => {
    const offer = loadOffer('bmw-x5-2012.json');
    const input = { offer, inspectTime: tomorrow(), inspectPlace: 'Москва', idempotencyKey: 'retry-1' };
    const first = await testApi.graphql(CREATE_APPLICATION, { input }, seller(LADA_OWNER));
    const second = await testApi.graphql(CREATE_APPLICATION, { input }, seller(LADA_OWNER));

    expect(first.data.createApplication.replayed).toBe(false);
    expect(second.data.createApplication.replayed).toBe(true);
    expect(second.data.createApplication.application.id).toBe(first.data.createApplication.application.id);
    expect(await countRecords(testApi.db)).toEqual({ applications: 1, history: 1, events: 1 });
  });

  it('replays concurrent retries with one key', async () => {
    const offer = loadOffer('bmw-x5-2012.json');
    const input = { offer, inspectTime: tomorrow(), inspectPlace: 'Москва', idempotencyKey: 'retry-2' };
    const responses = await Promise.all(Array.from({ length: 5 }, () => testApi.graphql(CREATE_APPLICATION, { input }, seller(LADA_OWNER))));

    const ids = new Set(responses.map((response) => response.data.createApplication.application?.id));
    expect(ids.size).toBe(1);
    expect(await testApi.db.prisma.auctionApplication.count()).toBe(1);
  });

  it('rejects a reused key with another input', async () => {
    const offer = loadOffer('bmw-x5-2012.json');
    await testApi.graphql(CREATE_APPLICATION, { input: { offer, inspectTime: tomorrow(), inspectPlace: 'Москва', idempotencyKey: 'retry-3' } }, seller(LADA_OWNER));
    const reused = await testApi.graphql(
      CREATE_APPLICATION,
      { input: { offer, inspectTime: tomorrow(), inspectPlace: 'Казань', idempotencyKey: 'retry-3' } },
      seller(LADA_OWNER),
    );

    expect(reused.data.createApplication.field).toBe('input.idempotencyKey');
    expect(reused.data.createApplication.reason).toBe('idempotency_key_reused');
  });

  it('explains errors in Russian by default', async () => {
    const response = await create(loadOffer('invalid/vin-with-letter-o.json'), LADA_OWNER);

    expect(response.data.createApplication.message).toBe(
      'VIN в поле offer.documents.vin не может содержать буквы I, O и Q, а в «XTAGFK33OJY144213» на позиции 9 стоит O. Скорее всего, это цифра 1 или 0: исправьте её.',
    );
  });

  it('explains errors in English on request', async () => {
    const response = await create(loadOffer('invalid/vin-with-letter-o.json'), LADA_OWNER, {}, { 'accept-language': 'en-US,en;q=0.9,ru;q=0.5' });

    expect(response.data.createApplication.message).toBe(
      'The VIN in offer.documents.vin cannot contain the letters I, O or Q, but "XTAGFK33OJY144213" has O at position 9. It is most likely the digit 1 or 0: correct it.',
    );
  });

  it('requires a seller', async () => {
    const response = await testApi.graphql(CREATE_APPLICATION, { input: { offer: loadOffer('lada-vesta-2018.json'), inspectTime: tomorrow(), inspectPlace: 'Москва' } });

    expect(response.data.createApplication.__typename).toBe('UnauthenticatedError');
    expect(response.data.createApplication.code).toBe('UNAUTHENTICATED');
  });
});
