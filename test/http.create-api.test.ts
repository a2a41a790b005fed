import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/prisma.js';
import { createApi } from '../src/http/create-api.js';
import { startApiServer, type ApiServer } from '../src/http/server.js';
import { LADA_OWNER, seller, startTestApi, type TestApi } from './support/api.js';

const HAS_ACTIVE = 'query { hasActiveApplication(vin: "XTAGFK330JY144213") { __typename ... on Error { code message } ... on UnauthenticatedError { reason } } }';

let testApi: TestApi;

beforeAll(async () => {
  testApi = await startTestApi();
});

afterAll(async () => {
  await testApi.close();
});

describe('createApi', () => {
  it('returns a new request id', async () => {
    const response = await testApi.graphql(HAS_ACTIVE, {}, seller(LADA_OWNER));
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the caller’s request id', async () => {
    const response = await testApi.graphql(HAS_ACTIVE, {}, { ...seller(LADA_OWNER), 'x-request-id': 'gateway-123' });
    expect(response.headers.get('x-request-id')).toBe('gateway-123');
  });

  it('replaces an unsafe request id', async () => {
    const response = await testApi.graphql(HAS_ACTIVE, {}, { ...seller(LADA_OWNER), 'x-request-id': 'a b\tc' });
    expect(response.headers.get('x-request-id')).not.toBe('a b\tc');
  });

  it('answers a bad token with UNAUTHENTICATED', async () => {
    const response = await testApi.graphql(HAS_ACTIVE, {}, { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl', 'accept-language': 'en' });
    expect(response.status).toBe(200);
    expect(response.data.hasActiveApplication.code).toBe('UNAUTHENTICATED');
    expect(response.data.hasActiveApplication.reason).toBe('invalid_token');
    expect(response.data.hasActiveApplication.message).toBe('The authorization token is invalid. Sign in again.');
  });

  it('serves liveness', async () => {
    const response = await testApi.api.fetch('http://127.0.0.1/health');
    expect(response.status).toBe(200);
  });

  it('serves readiness', async () => {
    const response = await testApi.api.fetch('http://127.0.0.1/ready');
    expect(response.status).toBe(200);
  });

  it('masks unexpected errors', async () => {
    const closed = openDatabase(testApi.db.url);
    await closed.close();
    const api = createApi({ ...testApi.service, db: closed });

    const response = await api.fetch('http://127.0.0.1/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...seller(LADA_OWNER) },
      body: JSON.stringify({ query: HAS_ACTIVE }),
    });
    const body = (await response.json()) as { errors?: { message: string }[] };

    expect(body.errors?.[0]?.message).toBe('Unexpected error.');
  });

  it('reports readiness without a database', async () => {
    const closed = openDatabase(testApi.db.url);
    await closed.close();
    const api = createApi({ ...testApi.service, db: closed });

    const response = await api.fetch('http://127.0.0.1/ready');

    expect(response.status).toBe(503);
  });
});

describe('startApiServer', () => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer(testApi.api, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('serves GraphQL over HTTP', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...seller(LADA_OWNER) },
      body: JSON.stringify({ query: HAS_ACTIVE }),
    });
    const body = (await response.json()) as { data: { hasActiveApplication: { __typename: string } } };
    expect(body.data.hasActiveApplication.__typename).toBe('HasActiveApplicationSuccess');
  });
});
