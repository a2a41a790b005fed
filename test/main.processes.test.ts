import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_APPLICATION, loadOffer, LOTS_TOKEN, OPERATOR_TOKEN, tomorrow } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { readEvents, subscribeOverSse, subscribeOverWebSocket, summary, type UpdateEvent, type UpdateStream } from './support/live-updates.js';
import { graphqlRequest, startServiceProcess, type ServiceProcess } from './support/processes.js';
import { startTestSandboxes, type TestSandboxes } from './support/sandboxes.js';

// Two API processes and a worker, as separate Node processes on one database: the deployment
// shape of `npm run api` twice and `npm run worker` once.

const UPDATE_STATUS = /* GraphQL */ `
  mutation ($id: ID!, $status: Status!) {
    updateApplicationStatus(id: $id, status: $status) { __typename ... on Error { code message } }
  }
`;

const WITHDRAW = /* GraphQL */ `
  mutation ($id: ID!) {
    withdrawApplication(id: $id) { __typename ... on Error { code message } }
  }
`;

let db: TestDatabase;
let sandboxes: TestSandboxes;
let apiA: ServiceProcess;
let apiB: ServiceProcess;
let worker: ServiceProcess;
const streams: UpdateStream[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sandboxes = await startTestSandboxes({
    webhookBaseUrl: () => apiA.url,
    carfax: { synchronous: true },
    cme: { delaysMs: { 'evaluation.done': 100, 'status.changed': 200, 'inspection.done': 300 } },
    moderation: { verdictDelayMs: 100 },
  });
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    ...sandboxes.env,
    SERVICE_TOKENS: `lots:${LOTS_TOKEN},operator:${OPERATOR_TOKEN}`,
  };
  [apiA, apiB, worker] = await Promise.all([startServiceProcess('api', env), startServiceProcess('api', env), startServiceProcess('worker', env)]);
}, 180_000);

afterAll(async () => {
  streams.forEach((stream) => stream.close());
  await Promise.all([apiA, apiB, worker].filter(Boolean).map((process) => process.stop()));
  await sandboxes?.stop();
  await db?.drop();
}, 60_000);

async function createThrough(api: ServiceProcess, offerName: string): Promise<{ id: string; userId: string }> {
  const offer = loadOffer(offerName);
  const userId = String(offer.user_ref).replace('user:', '');
  const data = await graphqlRequest(api.url, CREATE_APPLICATION, { input: { offer, inspectTime: tomorrow(), inspectPlace: 'Москва, Профсоюзная улица, 56' } }, { 'x-user-id': userId });
  const result = data.createApplication;
  if (result.__typename !== 'CreateApplicationPayload') {
    throw new Error(`createApplication failed: ${JSON.stringify(result)}`);
  }
  return { id: result.application.applicationId as string, userId };
}

async function sseOn(api: ServiceProcess, id: string, userId: string): Promise<UpdateStream> {
  const stream = await subscribeOverSse(fetch, `${api.url}/graphql`, id, { 'x-user-id': userId });
  streams.push(stream);
  return stream;
}

function entries(events: UpdateEvent[]) {
  return events.flatMap((event) => event.newHistory ?? []);
}

describe('separate API and worker processes', () => {
  it('start with their roles', () => {
    expect(apiA.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(apiB.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(worker.url).toBe('');
    expect(worker.logs.some((line) => line.msg.startsWith('The worker started'))).toBe(true);
    expect(apiA.logs.some((line) => line.msg.startsWith('The worker started'))).toBe(false);
  });

  it('deliver a change from another API process', async () => {
    const { id, userId } = await createThrough(apiB, 'citroen-c4-2014.json');
    const stream = await sseOn(apiA, id, userId);
    await readEvents(stream, (events) => events.length === 1);

    const withdrawn = await graphqlRequest(apiB.url, WITHDRAW, { id }, { 'x-user-id': userId });
    const events = await readEvents(stream, (read) => entries(read).some((entry) => entry.action === 'WITHDRAWN'));

    expect(withdrawn.withdrawApplication.__typename).toBe('ApplicationChangePayload');
    expect(entries(events).at(-1)).toMatchObject({ action: 'WITHDRAWN', status: 'WITHDRAWN' });
    expect(events.at(-1)!.status).toBe('WITHDRAWN');
  });

  it('follow a full pipeline run in order', async () => {
    const { id, userId } = await createThrough(apiB, 'kia-rio-2021.json');
    const overSse = await sseOn(apiA, id, userId);
    const overWebSocket = subscribeOverWebSocket(`${apiB.url.replace(/^http/, 'ws')}/graphql`, id, { 'x-user-id': userId });
    streams.push(overWebSocket);

    const untilSent = (events: UpdateEvent[]) => events.some((event) => event.application?.applicationStatus === 'SENT');
    const sseUntilSent = await readEvents(overSse, untilSent, 60_000);
    for (const status of ['AUCTION', 'FINISHED']) {
      const result = await graphqlRequest(apiB.url, UPDATE_STATUS, { id, status }, { 'x-service-token': LOTS_TOKEN });
      expect(result.updateApplicationStatus.__typename).toBe('ApplicationChangePayload');
    }
    const untilFinished = (events: UpdateEvent[]) => events.some((event) => event.status === 'FINISHED');
    const sseEvents = [...sseUntilSent, ...(await readEvents(overSse, untilFinished, 30_000))];
    const webSocketEvents = await readEvents(overWebSocket, untilFinished, 60_000);

    const stored = await db.prisma.applicationHistory.findMany({ where: { applicationId: BigInt(id) }, orderBy: { id: 'asc' } });
    const storedIds = stored.map((entry) => entry.id.toString());
    const webSocketIds = entries(webSocketEvents).map((entry) => entry.id);
    expect(webSocketIds).toEqual(storedIds);
    expect(entries(webSocketEvents).map((entry) => entry.action)[0]).toBe('CREATED');
    expect(distinctInOrder(entries(webSocketEvents).map((entry) => entry.status))).toEqual(['NEW', 'WAITING_INSPECTION', 'INSPECTED', 'AUCTION', 'FINISHED']);
    expect(webSocketEvents.at(-1)!.application!.applicationStatus).toBe('SENT');
    expect(entries(sseEvents).map((entry) => entry.id), sseEvents.map(summary).join(' | ')).toEqual(storedIds);
  });
});

/** Drop consecutive repeats, so a status that several changes kept appears once. */
function distinctInOrder(values: string[]): string[] {
  return values.filter((value, index) => index === 0 || values[index - 1] !== value);
}
