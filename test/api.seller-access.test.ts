import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changeApplication } from '../src/domain/changes.js';
import { PIPELINE_ACTOR } from '../src/domain/actor.js';
import { createThroughApi, LADA_OWNER, loadOffer, LOTS, offerWith, seller, startTestApi, type TestApi } from './support/api.js';
import { clearServiceTables } from './support/database.js';

const OTHER_SELLER = '50321778';

const APPLICATION = /* GraphQL */ `
  query Application($id: ID!) {
    application(id: $id) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field reason }
      ... on Application { id applicationId vin status offer history { action actorType actorId status changes } }
    }
  }
`;

const HISTORY_DETAILS = /* GraphQL */ `
  query HistoryDetails($id: ID!) {
    application(id: $id) {
      ... on Application { history { action details } }
    }
  }
`;

const MY_APPLICATIONS = /* GraphQL */ `
  query Mine($first: Int, $after: String, $status: [Status!]) {
    myApplications(first: $first, after: $after, status: $status) {
      edges { cursor node { applicationId userId status } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const WITHDRAW = /* GraphQL */ `
  mutation Withdraw($id: ID!) {
    withdrawApplication(id: $id) {
      __typename
      ... on Error { code message }
      ... on InvalidTransitionError { from to allowed }
      ... on ApplicationChangePayload { changed application { status applicationStatus history { action actorId } } }
    }
  }
`;

const HAS_ACTIVE = /* GraphQL */ `
  query HasActive($vin: String!) {
    hasActiveApplication(vin: $vin) {
      __typename
      ... on HasActiveApplicationSuccess { active }
      ... on ValidationError { field reason message }
    }
  }
`;

let testApi: TestApi;

beforeAll(async () => {
  testApi = await startTestApi();
});

afterAll(async () => {
  await testApi.close();
});

beforeEach(async () => {
  await clearServiceTables(testApi.db);
});

function globalId(applicationId: string): string {
  return Buffer.from(`Application:${applicationId}`).toString('base64');
}

describe('application', () => {
  it('returns the owner’s application with history', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(APPLICATION, { id }, seller(LADA_OWNER));

    const application = response.data.application;
    expect(application.__typename).toBe('Application');
    expect(application.id).toBe(globalId(id));
    expect(application.offer.id).toBe('1114782187-3302e085');
    expect(application.history.map((entry: { action: string }) => entry.action)).toEqual(['CREATED']);
  });

  it('shows the moderation rejection reason', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    await testApi.db.prisma.$transaction((tx) =>
      changeApplication(tx, {
        applicationId: BigInt(id),
        actor: PIPELINE_ACTOR,
        action: 'MODERATION_FAILED',
        set: { moderationStatus: 'FAILED', status: 'REJECTED', applicationStatus: 'REJECTED' },
        details: { verdictId: 'verdict-1', reason: 'The photos show another car.' },
      }),
    );

    const response = await testApi.graphql(HISTORY_DETAILS, { id }, seller(LADA_OWNER));

    const history = response.data.application.history;
    expect(history).toEqual([
      { action: 'CREATED', details: null },
      { action: 'MODERATION_FAILED', details: { verdictId: 'verdict-1', reason: 'The photos show another car.' } },
    ]);
  });

  it('accepts the global ID', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(APPLICATION, { id: globalId(id) }, seller(LADA_OWNER));

    expect(response.data.application.applicationId).toBe(id);
  });

  it('hides another seller’s application', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(APPLICATION, { id }, seller(OTHER_SELLER));

    expect(response.data.application.__typename).toBe('NotFoundError');
    expect(response.data.application.code).toBe('NOT_FOUND');
  });

  it('lets a service read any application', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(APPLICATION, { id }, LOTS);

    expect(response.data.application.applicationId).toBe(id);
  });

  it('reports a missing application', async () => {
    const response = await testApi.graphql(APPLICATION, { id: '987654' }, seller(LADA_OWNER));

    expect(response.data.application.__typename).toBe('NotFoundError');
    expect(response.data.application.message).toBe('Заявка 987654 не найдена. Проверьте номер заявки.');
  });

  it('rejects a malformed id', async () => {
    const response = await testApi.graphql(APPLICATION, { id: 'not-an-id' }, seller(LADA_OWNER));

    expect(response.data.application.__typename).toBe('ValidationError');
    expect(response.data.application.field).toBe('id');
    expect(response.data.application.reason).toBe('invalid_id');
  });

  it('requires credentials', async () => {
    const response = await testApi.graphql(APPLICATION, { id: '1' });

    expect(response.data.application.__typename).toBe('UnauthenticatedError');
  });
});

describe('myApplications', () => {
  it('lists only the seller’s applications', async () => {
    const lada = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const bmw = await createThroughApi(testApi, loadOffer('bmw-x5-2012.json'), LADA_OWNER);
    await createThroughApi(testApi, loadOffer('citroen-c4-2014.json'), OTHER_SELLER);

    const response = await testApi.graphql(MY_APPLICATIONS, {}, seller(LADA_OWNER));

    const ids = response.data.myApplications.edges.map((edge: { node: { applicationId: string } }) => edge.node.applicationId);
    expect(ids).toEqual([bmw, lada]);
  });

  it('filters by status', async () => {
    const lada = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const bmw = await createThroughApi(testApi, loadOffer('bmw-x5-2012.json'), LADA_OWNER);
    await testApi.graphql(WITHDRAW, { id: lada }, seller(LADA_OWNER));

    const withdrawn = await testApi.graphql(MY_APPLICATIONS, { status: ['WITHDRAWN'] }, seller(LADA_OWNER));
    const fresh = await testApi.graphql(MY_APPLICATIONS, { status: ['NEW'] }, seller(LADA_OWNER));

    expect(withdrawn.data.myApplications.edges.map((edge: any) => edge.node.applicationId)).toEqual([lada]);
    expect(fresh.data.myApplications.edges.map((edge: any) => edge.node.applicationId)).toEqual([bmw]);
  });

  it('pages with first and after', async () => {
    const created: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const vin = `XTAGFK330JY14421${index}`;
      created.push(await createThroughApi(testApi, offerWith('lada-vesta-2018.json', { vin, id: `offer-${index}` }), LADA_OWNER));
    }

    const first = await testApi.graphql(MY_APPLICATIONS, { first: 2 }, seller(LADA_OWNER));
    const rest = await testApi.graphql(MY_APPLICATIONS, { first: 2, after: first.data.myApplications.pageInfo.endCursor }, seller(LADA_OWNER));

    expect(first.data.myApplications.edges.map((edge: any) => edge.node.applicationId)).toEqual([created[2], created[1]]);
    expect(first.data.myApplications.pageInfo.hasNextPage).toBe(true);
    expect(rest.data.myApplications.edges.map((edge: any) => edge.node.applicationId)).toEqual([created[0]]);
    expect(rest.data.myApplications.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a caller without credentials', async () => {
    const response = await testApi.graphql(MY_APPLICATIONS, {});

    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toBe('Нужно войти: передайте заголовок Authorization: Bearer <токен> или X-User-Id: <id пользователя>.');
  });

  it('refuses a service', async () => {
    const response = await testApi.graphql(MY_APPLICATIONS, {}, { ...LOTS, 'accept-language': 'en' });

    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(response.errors?.[0]?.message).toBe('Only a seller may call this operation: sign in with your own account.');
  });
});

describe('withdrawApplication', () => {
  it('withdraws the owner’s application', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(WITHDRAW, { id }, seller(LADA_OWNER));

    const result = response.data.withdrawApplication;
    expect(result.changed).toBe(true);
    expect(result.application.status).toBe('WITHDRAWN');
    expect(result.application.applicationStatus).toBe('WITHDRAWN');
    expect(result.application.history).toEqual([
      { action: 'CREATED', actorId: LADA_OWNER },
      { action: 'WITHDRAWN', actorId: LADA_OWNER },
    ]);
    const events = await testApi.db.prisma.outboxEvent.findMany({ orderBy: { id: 'asc' } });
    expect(events.map((event) => event.eventType)).toEqual(['application.created', 'application.withdrawn']);
  });

  it('refuses another seller’s application', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(WITHDRAW, { id }, seller(OTHER_SELLER));

    expect(response.data.withdrawApplication.__typename).toBe('NotFoundError');
    const row = await testApi.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: BigInt(id) } });
    expect(row.status).toBe('NEW');
    expect(await testApi.db.prisma.applicationHistory.count()).toBe(1);
  });

  it('repeats harmlessly', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    await testApi.graphql(WITHDRAW, { id }, seller(LADA_OWNER));
    const again = await testApi.graphql(WITHDRAW, { id }, seller(LADA_OWNER));

    expect(again.data.withdrawApplication.changed).toBe(false);
    expect(await testApi.db.prisma.applicationHistory.count()).toBe(2);
  });

  it('refuses once the auction started', async () => {
    const id = BigInt(await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER));
    await testApi.db.prisma.$transaction(async (tx) => {
      await changeApplication(tx, { applicationId: id, actor: PIPELINE_ACTOR, action: 'TEST', set: { applicationStatus: 'MODERATED' } });
      await changeApplication(tx, { applicationId: id, actor: PIPELINE_ACTOR, action: 'TEST', set: { applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION' } });
      await changeApplication(tx, { applicationId: id, actor: PIPELINE_ACTOR, action: 'TEST', set: { applicationStatus: 'READY', status: 'INSPECTED' } });
      await changeApplication(tx, { applicationId: id, actor: PIPELINE_ACTOR, action: 'TEST', set: { applicationStatus: 'SENT' } });
      await changeApplication(tx, { applicationId: id, actor: PIPELINE_ACTOR, action: 'TEST', set: { status: 'AUCTION' } });
    });

    const response = await testApi.graphql(WITHDRAW, { id: id.toString() }, seller(LADA_OWNER));

    expect(response.data.withdrawApplication.__typename).toBe('InvalidTransitionError');
    expect(response.data.withdrawApplication.from).toBe('AUCTION');
    expect(response.data.withdrawApplication.to).toBe('WITHDRAWN');
    const row = await testApi.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('AUCTION');
  });

  it('frees the VIN for a new application', async () => {
    const offer = loadOffer('lada-vesta-2018.json');
    const id = await createThroughApi(testApi, offer, LADA_OWNER);
    await testApi.graphql(WITHDRAW, { id }, seller(LADA_OWNER));

    const second = await createThroughApi(testApi, offer, LADA_OWNER);

    expect(second).not.toBe(id);
  });
});

describe('hasActiveApplication', () => {
  it('is true for an active VIN', async () => {
    await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    const response = await testApi.graphql(HAS_ACTIVE, { vin: 'xtagfk330jy144213' }, seller(OTHER_SELLER));

    expect(response.data.hasActiveApplication.active).toBe(true);
  });

  it('is false after withdrawal', async () => {
    const id = await createThroughApi(testApi, loadOffer('lada-vesta-2018.json'), LADA_OWNER);
    await testApi.graphql(WITHDRAW, { id }, seller(LADA_OWNER));
    const response = await testApi.graphql(HAS_ACTIVE, { vin: 'XTAGFK330JY144213' }, seller(LADA_OWNER));

    expect(response.data.hasActiveApplication.active).toBe(false);
  });

  it('rejects an invalid VIN', async () => {
    const response = await testApi.graphql(HAS_ACTIVE, { vin: 'XTAGFK33OJY144213' }, seller(LADA_OWNER));

    expect(response.data.hasActiveApplication.__typename).toBe('ValidationError');
    expect(response.data.hasActiveApplication.field).toBe('vin');
    expect(response.data.hasActiveApplication.reason).toBe('vin_forbidden_letter');
  });
});
