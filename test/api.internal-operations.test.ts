import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReportStore } from '../src/integrations/reports/contract.js';
import { S3ReportStore } from '../src/integrations/reports/client.js';
import { startLocalS3, type LocalS3 } from '../src/integrations/reports/local-s3.js';
import { countRecords, createThroughApi, JWT_SECRET, LADA_OWNER, loadOffer, LOTS, offerWith, OPERATOR_TOKEN, seller, startTestApi, type TestApi } from './support/api.js';
import { clearServiceTables } from './support/database.js';

const BUCKET = 'auction-reports';

const EDIT = /* GraphQL */ `
  mutation Edit($id: ID!, $offer: JSONObject, $proAutoUrl: String, $cmeEvaluationUrl: String, $cmeInspectionUrl: String, $moderationStatus: ModerationStatus) {
    editApplication(id: $id, offer: $offer, proAutoUrl: $proAutoUrl, cmeEvaluationUrl: $cmeEvaluationUrl, cmeInspectionUrl: $cmeInspectionUrl, moderationStatus: $moderationStatus) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field reason }
      ... on ApplicationChangePayload { changed application { vin offerId proAutoReport cmeEvaluation cmeInspection moderationStatus history { action actorType actorId } } }
    }
  }
`;

const UPDATE_STATUS = /* GraphQL */ `
  mutation Status($id: ID!, $status: Status!) {
    updateApplicationStatus(id: $id, status: $status) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field reason }
      ... on InvalidTransitionError { from to allowed }
      ... on ApplicationChangePayload { changed application { status applicationStatus } }
    }
  }
`;

const SET_INTAKE = /* GraphQL */ `
  mutation Intake($turnOff: Boolean) {
    setIntakeSettings(turnOff: $turnOff) {
      __typename
      ... on Error { code message }
      ... on SetIntakeSettingsPayload { settings { turnOff changedBy } }
    }
  }
`;

const READ_INTAKE = /* GraphQL */ `
  query Intake {
    intakeSettings {
      __typename
      ... on Error { code message }
      ... on IntakeSettings { version turnOff changedBy changedAt globalFilter { regions marks } }
    }
  }
`;

const DELETE = /* GraphQL */ `
  mutation Delete($id: ID!) {
    deleteApplication(id: $id) {
      __typename
      ... on Error { code message }
      ... on PartnerUnavailableError { partner }
      ... on DeleteApplicationPayload { applicationId }
    }
  }
`;

/** List every internal operation, by its root field, with variables that would change something. */
function internalOperations(id: string): [string, string, Record<string, unknown>][] {
  return [
    ['editApplication', EDIT, { id, proAutoUrl: 'https://reports.example/1/pro-auto' }],
    ['updateApplicationStatus', UPDATE_STATUS, { id, status: 'REJECTED' }],
    ['setIntakeSettings', SET_INTAKE, { turnOff: true }],
    ['deleteApplication', DELETE, { id }],
    ['intakeSettings', READ_INTAKE, {}],
  ];
}

const INTERNAL_FIELDS = internalOperations('1').map(([name]) => name);

let testApi: TestApi;
let s3: LocalS3;
let s3Directory: string;
let workingStore: S3ReportStore;
let reports: ReportStore;

beforeAll(async () => {
  s3Directory = await fs.mkdtemp(path.join(os.tmpdir(), 'internal-operations-s3-'));
  s3 = await startLocalS3({ directory: s3Directory, bucket: BUCKET, port: 0 });
  workingStore = new S3ReportStore({ endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  reports = workingStore;
  // The API calls whichever store the test has put in `reports`.
  const delegate: ReportStore = {
    put: (...args) => reports.put(...args),
    deleteAll: (applicationId) => reports.deleteAll(applicationId),
  };
  testApi = await startTestApi({ reports: delegate });
});

afterAll(async () => {
  await testApi.close();
  workingStore.destroy();
  await s3.close();
  await fs.rm(s3Directory, { recursive: true, force: true });
});

beforeEach(async () => {
  reports = workingStore;
  await clearServiceTables(testApi.db);
});

describe('internal operations', () => {
  it.each(INTERNAL_FIELDS)('forbid %s to a seller', async (name) => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const [, query, variables] = internalOperations(id).find(([operation]) => operation === name)!;

    const response = await testApi.graphql(query, variables, seller(LADA_OWNER));

    expect(response.data[name].__typename).toBe('ForbiddenError');
    expect(response.data[name].code).toBe('FORBIDDEN');
    expect(response.data[name].message).toBe('Эта операция доступна только внутренним сервисам: передайте токен сервиса в заголовке X-Service-Token.');
    expect(await countRecords(testApi.db)).toEqual({ applications: 1, history: 1, events: 1 });
    expect(await testApi.db.prisma.intakeSettings.count()).toBe(0);
    const row = await testApi.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: BigInt(id) } });
    expect(row.proAutoReport).toBeNull();
    expect(row.status).toBe('NEW');
  });

  it.each(INTERNAL_FIELDS)('require credentials for %s', async (name) => {
    const [, query, variables] = internalOperations('1').find(([operation]) => operation === name)!;

    const response = await testApi.graphql(query, variables);

    expect(response.data[name].__typename).toBe('UnauthenticatedError');
  });

  it.each(INTERNAL_FIELDS)('forbid %s to a seller JWT', async (name) => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(LADA_OWNER).setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
    const [, query, variables] = internalOperations('1').find(([operation]) => operation === name)!;

    const response = await testApi.graphql(query, variables, { authorization: `Bearer ${token}` });

    expect(response.data[name].__typename).toBe('ForbiddenError');
  });

  it('rejects an unknown service token', async () => {
    const response = await testApi.graphql(SET_INTAKE, { turnOff: true }, { 'x-service-token': 'not-a-known-token' });

    expect(response.data.setIntakeSettings.__typename).toBe('UnauthenticatedError');
    expect(await testApi.db.prisma.intakeSettings.count()).toBe(0);
  });

  it('records the calling service as the actor', async () => {
    const response = await testApi.graphql(SET_INTAKE, { turnOff: true }, { 'x-service-token': OPERATOR_TOKEN });

    expect(response.data.setIntakeSettings.settings.changedBy).toBe('operator');
  });
});

describe('intakeSettings', () => {
  it('reads the defaults before any change', async () => {
    const response = await testApi.graphql(READ_INTAKE, {}, LOTS);

    expect(response.data.intakeSettings).toEqual({
      __typename: 'IntakeSettings',
      version: null,
      turnOff: false,
      changedBy: 'default',
      changedAt: null,
      globalFilter: { regions: [], marks: [] },
    });
  });

  it('reads the newest version', async () => {
    await testApi.graphql(SET_INTAKE, { turnOff: true }, LOTS);
    const response = await testApi.graphql(READ_INTAKE, {}, LOTS);

    expect(response.data.intakeSettings.turnOff).toBe(true);
    expect(response.data.intakeSettings.changedBy).toBe('lots');
  });
});

describe('editApplication', () => {
  it('sets report URLs and moderation status', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(
      EDIT,
      { id, proAutoUrl: 'https://reports.example/1/pro-auto', cmeInspectionUrl: 'https://reports.example/1/cme-inspection', moderationStatus: 'PENDING' },
      LOTS,
    );

    const result = response.data.editApplication;
    expect(result.changed).toBe(true);
    expect(result.application.proAutoReport).toBe('https://reports.example/1/pro-auto');
    expect(result.application.cmeInspection).toBe('https://reports.example/1/cme-inspection');
    expect(result.application.cmeEvaluation).toBeNull();
    expect(result.application.moderationStatus).toBe('PENDING');
    expect(result.application.history.at(-1)).toEqual({ action: 'EDITED', actorType: 'SERVICE', actorId: 'lots' });
    const events = await testApi.db.prisma.outboxEvent.findMany({ orderBy: { id: 'asc' } });
    expect(events.map((event) => event.eventType)).toEqual(['application.created', 'application.changed']);
  });

  it('replaces the offer of the same seller', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const offer = offerWith('lada-vesta-2018.json', { id: '1114782187-updated', vin: 'XTAGFK330JY144214' });
    const response = await testApi.graphql(EDIT, { id, offer }, LOTS);

    expect(response.data.editApplication.application.offerId).toBe('1114782187-updated');
    expect(response.data.editApplication.application.vin).toBe('XTAGFK330JY144214');
  });

  it('rejects another seller’s offer', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(EDIT, { id, offer: loadOffer('kia-rio-2021.json') }, LOTS);

    expect(response.data.editApplication.field).toBe('offer.user_ref');
    expect(await testApi.db.prisma.applicationHistory.count()).toBe(1);
  });

  it('rejects an invalid URL', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(EDIT, { id, cmeEvaluationUrl: 'ftp://reports.example/x' }, LOTS);

    expect(response.data.editApplication.field).toBe('cmeEvaluationUrl');
    expect(response.data.editApplication.reason).toBe('invalid_url');
  });

  it('rejects an edit without changes', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(EDIT, { id }, LOTS);

    expect(response.data.editApplication.reason).toBe('nothing_to_change');
  });

  it('reports an unknown application', async () => {
    const response = await testApi.graphql(EDIT, { id: '424242', moderationStatus: 'OK' }, LOTS);

    expect(response.data.editApplication.__typename).toBe('NotFoundError');
  });
});

describe('updateApplicationStatus', () => {
  it('follows the transition graph', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(UPDATE_STATUS, { id, status: 'WAITING_INSPECTION' }, LOTS);

    expect(response.data.updateApplicationStatus.application.status).toBe('WAITING_INSPECTION');
  });

  it('rejects an impossible transition', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(UPDATE_STATUS, { id, status: 'FINISHED' }, { ...LOTS, 'accept-language': 'en' });

    const result = response.data.updateApplicationStatus;
    expect(result.__typename).toBe('InvalidTransitionError');
    expect(result.from).toBe('NEW');
    expect(result.allowed).toEqual(['WAITING_INSPECTION', 'REJECTED', 'WITHDRAWN']);
    expect(result.message).toBe('The application status cannot change from NEW to FINISHED. Allowed next statuses: WAITING_INSPECTION, REJECTED, WITHDRAWN.');
    expect(await testApi.db.prisma.applicationHistory.count()).toBe(1);
  });

  it('rejects the auction before hand-off', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    await testApi.graphql(UPDATE_STATUS, { id, status: 'WAITING_INSPECTION' }, LOTS);
    await testApi.graphql(UPDATE_STATUS, { id, status: 'INSPECTED' }, LOTS);
    const response = await testApi.graphql(UPDATE_STATUS, { id, status: 'AUCTION' }, LOTS);

    expect(response.data.updateApplicationStatus.reason).toBe('status_pair');
  });

  it('rejects in both status columns', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(UPDATE_STATUS, { id, status: 'REJECTED' }, LOTS);

    expect(response.data.updateApplicationStatus.application).toEqual({ status: 'REJECTED', applicationStatus: 'REJECTED' });
    const events = await testApi.db.prisma.outboxEvent.findMany({ orderBy: { id: 'asc' } });
    expect(events.at(-1)?.eventType).toBe('application.rejected');
  });
});

describe('deleteApplication', () => {
  it('erases the application and its reports', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const url = await workingStore.put(id, 'pro-auto', new TextEncoder().encode('{"blocks":{}}'), 'application/json');

    const response = await testApi.graphql(DELETE, { id }, LOTS);

    expect(response.data.deleteApplication).toEqual({ __typename: 'DeleteApplicationPayload', applicationId: id });
    expect(await testApi.db.prisma.auctionApplication.count()).toBe(0);
    expect(await testApi.db.prisma.applicationHistory.count()).toBe(0);
    const events = await testApi.db.prisma.outboxEvent.findMany({ orderBy: { id: 'asc' } });
    expect(events.map((event) => event.eventType)).toEqual(['application.created', 'application.deleted']);
    expect((await fetch(url)).status).toBe(404);
  });

  it('keeps the application when S3 fails', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const downDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'internal-operations-s3-down-'));
    const down = await startLocalS3({ directory: downDirectory, bucket: BUCKET, port: 0 });
    await down.close();
    const brokenStore = new S3ReportStore({ endpoint: down.endpoint, region: 'us-east-1', bucket: BUCKET, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    reports = brokenStore;

    const response = await testApi.graphql(DELETE, { id }, LOTS);

    brokenStore.destroy();
    await fs.rm(downDirectory, { recursive: true, force: true });
    expect(response.data.deleteApplication.__typename).toBe('PartnerUnavailableError');
    expect(response.data.deleteApplication.partner).toBe('reports');
    expect(await testApi.db.prisma.auctionApplication.count()).toBe(1);
  });

  it('reports an unknown application', async () => {
    const response = await testApi.graphql(DELETE, { id: '31337' }, LOTS);

    expect(response.data.deleteApplication.__typename).toBe('NotFoundError');
  });
});
