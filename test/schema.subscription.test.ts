import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { ServiceContext } from '../src/context.js';
import { changeApplication } from '../src/domain/changes.js';
import { createApi, type Api } from '../src/http/create-api.js';
import { startApiServer, type ApiServer } from '../src/http/server.js';
import { attachGraphqlWs, type GraphqlWsServer } from '../src/http/websocket.js';
import { createIntegrations } from '../src/integrations/index.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics/metrics.js';
import { startPubSub, type PubSubService } from '../src/pubsub/pubsub.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertTestApplication } from './support/pipeline.js';
import { readEvents, subscribeOverSse, subscribeOverWebSocket, summary, type UpdateStream } from './support/live-updates.js';

const OWNER = '41872156';
const OTHER_SELLER = '55500011';
const SERVICE_TOKEN = 'test-lots-service-token';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const pipeline = { type: 'SYSTEM' as const, id: 'pipeline' };

let db: TestDatabase;
let pubSub: PubSubService;
let metrics: Metrics;
let api: Api;
let server: ApiServer;
let webSocket: GraphqlWsServer;
const streams: UpdateStream[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // The partner URLs are never called: these tests only read and change the database.
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    SANDBOXES: 'false',
    TRADE_IN_URL: 'http://127.0.0.1:9/',
    MODERATION_URL: 'http://127.0.0.1:9/',
    CARFAX_URL: 'http://127.0.0.1:9/',
    CME_URL: 'http://127.0.0.1:9/',
    LOTS_URL: 'http://127.0.0.1:9/',
    S3_ENDPOINT: 'http://127.0.0.1:9/',
    SERVICE_TOKENS: `lots:${SERVICE_TOKEN}`,
  });
  pubSub = await startPubSub({ connectionString: db.url, pool: db.pool, logger });
  metrics = new Metrics({ logger, defaultMetrics: false });
  const service: ServiceContext = { config, logger, db, integrations: createIntegrations({ config, logger }), pubSub: pubSub.pubSub, metrics };
  api = createApi(service);
  server = await startApiServer(api, { port: 0, host: '127.0.0.1' });
  webSocket = attachGraphqlWs(server.server, api, { logger });
});

afterAll(async () => {
  streams.forEach((stream) => stream.close());
  await webSocket?.close();
  server?.server.closeAllConnections();
  await server?.close();
  await pubSub?.close();
  await db?.drop();
});

function change(applicationId: bigint, action: string, set: Parameters<typeof changeApplication>[1]['set']) {
  return db.prisma.$transaction((tx) => changeApplication(tx, { applicationId, actor: pipeline, action, set }));
}

async function sse(id: string, headers: Record<string, string>): Promise<UpdateStream> {
  const stream = await subscribeOverSse(async (url, init) => api.fetch(url, init), 'http://127.0.0.1/graphql', id, headers);
  streams.push(stream);
  return stream;
}

describe('applicationUpdated', () => {
  it('streams the owner state, then changes', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500001', enqueue: false });
    const stream = await sse(application.id.toString(), { 'x-user-id': OWNER });

    const [first] = await readEvents(stream, (events) => events.length === 1);
    await change(application.id, 'MODERATED', { applicationStatus: 'MODERATED', moderationStatus: 'OK' });
    await change(application.id, 'ENRICHMENT_REQUESTED', { applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData: ['CME'] });
    const later = await readEvents(stream, (events) => events.flatMap((event) => event.newHistory ?? []).length === 2);

    expect(first!.__typename).toBe('ApplicationUpdate');
    expect(first!.status).toBe('NEW');
    expect(summary(first!)).toBe('CREATED:NEW');
    expect(later.map(summary).join(',')).toBe('MODERATED:NEW,ENRICHMENT_REQUESTED:WAITING_INSPECTION');
    expect(later.at(-1)!.status).toBe('WAITING_INSPECTION');
    expect(later.at(-1)!.application!.applicationStatus).toBe('WAITING_DATA');
  });

  it('returns NotFoundError to another seller', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500002', enqueue: false });
    const stream = await sse(application.id.toString(), { 'x-user-id': OTHER_SELLER });

    const first = await stream.next();
    const second = await stream.next();

    expect(first).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(second).toBe('done');
  });

  it('returns UnauthenticatedError without credentials', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500003', enqueue: false });
    const stream = await sse(application.id.toString(), {});

    const first = await stream.next();

    expect(first).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED' });
    expect(await stream.next()).toBe('done');
  });

  it('returns ValidationError for a malformed id', async () => {
    const stream = await sse('not-an-id', { 'x-user-id': OWNER });

    const first = await stream.next();

    expect(first).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
  });

  it('translates the error to English', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500004', enqueue: false });
    const russian = await sse(application.id.toString(), { 'x-user-id': OTHER_SELLER });
    const english = await sse(application.id.toString(), { 'x-user-id': OTHER_SELLER, 'accept-language': 'en' });

    const inRussian = await russian.next();
    const inEnglish = await english.next();

    expect(inRussian).toMatchObject({ code: 'NOT_FOUND' });
    expect(inEnglish).toMatchObject({ code: 'NOT_FOUND' });
    expect((inRussian as { message: string }).message).not.toBe((inEnglish as { message: string }).message);
  });

  it('lets a service follow any application', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500005', enqueue: false });
    const stream = await sse(application.id.toString(), { 'x-service-token': SERVICE_TOKEN });

    const [first] = await readEvents(stream, (events) => events.length === 1);

    expect(first!.__typename).toBe('ApplicationUpdate');
    expect(first!.application!.applicationId).toBe(application.id.toString());
  });

  it('streams over WebSocket with connection params', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500006', enqueue: false });
    const url = server.url.replace(/^http/, 'ws') + '/graphql';
    const stream = subscribeOverWebSocket(url, application.id.toString(), { 'x-user-id': OWNER });
    streams.push(stream);

    const [first] = await readEvents(stream, (events) => events.length === 1);
    await change(application.id, 'WITHDRAWN', { status: 'WITHDRAWN', applicationStatus: 'WITHDRAWN' });
    const [second] = await readEvents(stream, (events) => events.length === 1);

    expect(summary(first!)).toBe('CREATED:NEW');
    expect(summary(second!)).toBe('WITHDRAWN:WITHDRAWN');
    expect(second!.status).toBe('WITHDRAWN');
  });

  it('refuses another seller over WebSocket', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500007', enqueue: false });
    const url = server.url.replace(/^http/, 'ws') + '/graphql';
    const stream = subscribeOverWebSocket(url, application.id.toString(), { 'x-user-id': OTHER_SELLER });
    streams.push(stream);

    const first = await stream.next();

    expect(first).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(await stream.next()).toBe('done');
  });

  it('counts open subscriptions', async () => {
    const application = await insertTestApplication(db, { vin: 'XTAGFK330JY500008', enqueue: false });
    const before = await subscriptionCount();
    const stream = await sse(application.id.toString(), { 'x-user-id': OWNER });
    await readEvents(stream, (events) => events.length === 1);

    const during = await subscriptionCount();
    stream.close();
    await expect.poll(subscriptionCount).toBe(before);

    expect(during).toBe(before + 1);
  });
});

async function subscriptionCount(): Promise<number> {
  const line = (await metrics.render()).split('\n').find((candidate) => candidate.startsWith('auction_subscriptions_active '));
  return Number(line?.split(' ')[1]);
}
