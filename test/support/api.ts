import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { Integrations, ServiceContext } from '../../src/context.js';
import { createApi, type Api, type ApiOptions } from '../../src/http/create-api.js';
import type { ReportStore } from '../../src/integrations/reports/contract.js';
import { HttpTradeInClient } from '../../src/integrations/trade-in/client.js';
import { TradeInSandbox, type TradeInSandboxOptions } from '../../src/integrations/trade-in/sandbox.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const JWT_SECRET = 'test-jwt-secret-0123456789';
export const LOTS_TOKEN = 'test-lots-token-0123';
export const OPERATOR_TOKEN = 'test-operator-token-0123';

/** Headers of the service `lots`. */
export const LOTS = { 'x-service-token': LOTS_TOKEN };

/** Headers of a seller named by `X-User-Id`, which the test configuration accepts. */
export function seller(userId: string): Record<string, string> {
  return { 'x-user-id': userId };
}

/** Owner of the lada-vesta-2018 and bmw-x5-2012 fixtures. */
export const LADA_OWNER = '41872156';

const FIXTURES = '/work/shared/fixtures/offers';

export const VALID_FIXTURES = fs
  .readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort();

export const INVALID_FIXTURES = fs
  .readdirSync(path.join(FIXTURES, 'invalid'))
  .filter((name) => name.endsWith('.json'))
  .sort();

/** Read an offer fixture, such as `lada-vesta-2018.json` or `invalid/vin-missing.json`. */
export function loadOffer(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** A copy of a fixture with other values, such as another VIN, for tests that need many offers. */
export function offerWith(name: string, changes: { vin?: string; id?: string; userId?: string; price?: unknown; mileage?: number; year?: number; mark?: string; regionId?: string }) {
  const offer = structuredClone(loadOffer(name)) as any;
  if (changes.vin !== undefined) offer.documents.vin = changes.vin;
  if (changes.id !== undefined) offer.id = changes.id;
  if (changes.userId !== undefined) offer.user_ref = `user:${changes.userId}`;
  if (changes.price !== undefined) offer.price_info.price = changes.price;
  if (changes.mileage !== undefined) offer.state.mileage = changes.mileage;
  if (changes.year !== undefined) offer.documents.year = changes.year;
  if (changes.mark !== undefined) offer.car_info.mark = changes.mark;
  if (changes.regionId !== undefined) {
    offer.seller.location.geobase_id = changes.regionId;
    offer.seller.location.region_info.id = changes.regionId;
  }
  return offer as Record<string, unknown>;
}

/** Return an inspection time one day from now. */
export function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString();
}

export interface GraphQLResponse<Data = any> {
  status: number;
  headers: Headers;
  data?: Data;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface TestApi {
  db: TestDatabase;
  config: Config;
  service: ServiceContext;
  api: Api;
  tradeIn: TradeInSandbox;
  /** Send a GraphQL request through `yoga.fetch`, in process. */
  graphql<Data = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<Data>>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** The report store; by default one that fails, for tests that never delete. */
  reports?: ReportStore;
  tradeIn?: TradeInSandboxOptions;
  /** Time limit of one trade-in attempt. Default: 1000 ms. */
  tradeInTimeoutMs?: number;
  env?: Record<string, string>;
  apiOptions?: ApiOptions;
}

/**
 * Start the API on a fresh database, with the trade-in client talking to a trade-in sandbox over
 * HTTP. The other partners are placeholders that fail, because no API operation calls them:
 * the pipeline does, and these tests run no worker.
 */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const tradeIn = new TradeInSandbox(options.tradeIn);
  await tradeIn.listen(0);

  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET,
    SERVICE_TOKENS: `lots:${LOTS_TOKEN},operator:${OPERATOR_TOKEN}`,
    TRADE_IN_URL: tradeIn.url,
    ...options.env,
  });
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const integrations: Integrations = {
    tradeIn: new HttpTradeInClient({ baseUrl: tradeIn.url, timeoutMs: options.tradeInTimeoutMs ?? 1000, retries: 1, minRetryDelayMs: 10, logger }),
    reports: options.reports ?? unused<ReportStore>('reports'),
    moderation: unused('moderation'),
    carfax: unused('carfax'),
    cme: unused('cme'),
    lotSink: unused('lotSink'),
  };
  const service: ServiceContext = { config, logger, db, integrations };
  const api = createApi(service, options.apiOptions);

  return {
    db,
    config,
    service,
    api,
    tradeIn,
    async graphql(query, variables = {}, headers = {}) {
      const response = await api.fetch('http://127.0.0.1/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: GraphQLResponse['errors'] };
      return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
    },
    async close() {
      await tradeIn.close();
      await db.drop();
    },
  };
}

/** Build a partner placeholder for operations that never call it: any use fails the test loudly. */
function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') {
        return undefined;
      }
      throw new Error(`The ${name} integration is not used in this test, but ${String(property)} was called.`);
    },
  });
}

/** Count the rows an application left behind: itself, its history and its outbox events. */
export async function countRecords(db: TestDatabase) {
  return {
    applications: await db.prisma.auctionApplication.count(),
    history: await db.prisma.applicationHistory.count(),
    events: await db.prisma.outboxEvent.count(),
  };
}

export const CREATE_APPLICATION = /* GraphQL */ `
  mutation Create($input: CreateApplicationInput!) {
    createApplication(input: $input) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field reason }
      ... on OfferNotEligibleError { check dimension }
      ... on IntakeClosedError { check }
      ... on ActiveApplicationExistsError { vin check }
      ... on PartnerUnavailableError { partner check }
      ... on CreateApplicationPayload {
        replayed
        vinWarnings { code message }
        application { id applicationId userId offerId vin status applicationStatus inspectPlace inspectTime history { action actorType actorId status } }
      }
    }
  }
`;

/** Create an application through the API and return its number; fails the test on any error. */
export async function createThroughApi(testApi: TestApi, offer: Record<string, unknown>, userId: string): Promise<string> {
  const response = await testApi.graphql(CREATE_APPLICATION, { input: { offer, inspectTime: tomorrow(), inspectPlace: 'Москва, Ленинградский проспект, 31' } }, seller(userId));
  const result = response.data?.createApplication;
  if (result?.__typename !== 'CreateApplicationPayload') {
    throw new Error(`createApplication failed: ${JSON.stringify(response)}`);
  }
  return result.application.applicationId as string;
}
