import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countRecords, CREATE_APPLICATION, createThroughApi, LADA_OWNER, loadOffer, LOTS, offerWith, seller, startTestApi, tomorrow, type TestApi } from './support/api.js';
import { clearServiceTables } from './support/database.js';

const AUCTIONABILITY = /* GraphQL */ `
  query Auctionability($offer: JSONObject!) {
    offerAuctionability(offer: $offer) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field }
      ... on PartnerUnavailableError { partner check }
      ... on Auctionability {
        auctionable
        failedCheck
        vin
        reason { check code message dimension }
      }
    }
  }
`;

const SET_INTAKE_SETTINGS = /* GraphQL */ `
  mutation Set($turnOff: Boolean, $globalFilter: GlobalFilterInput) {
    setIntakeSettings(turnOff: $turnOff, globalFilter: $globalFilter) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field reason }
      ... on SetIntakeSettingsPayload { settings { version turnOff changedBy globalFilter { regions marks yearMin yearMax priceMin priceMax mileageMax } } }
    }
  }
`;

const LADA = loadOffer('lada-vesta-2018.json');

let testApi: TestApi;

beforeAll(async () => {
  // A short trade-in timeout keeps the timeout test fast; the client retries once.
  testApi = await startTestApi({ tradeInTimeoutMs: 300 });
});

afterAll(async () => {
  await testApi.close();
});

beforeEach(async () => {
  await clearServiceTables(testApi.db);
  testApi.tradeIn.requests.length = 0;
  testApi.tradeIn.ineligibleVins.clear();
  testApi.tradeIn.server.resetFaults();
});

async function setIntake(variables: Record<string, unknown>) {
  const response = await testApi.graphql(SET_INTAKE_SETTINGS, variables, LOTS);
  return response.data.setIntakeSettings;
}

async function auctionability(offer: Record<string, unknown>, headers = seller(LADA_OWNER)) {
  const response = await testApi.graphql(AUCTIONABILITY, { offer }, headers);
  return response.data.offerAuctionability;
}

async function create(offer: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await testApi.graphql(CREATE_APPLICATION, { input: { offer, inspectTime: tomorrow(), inspectPlace: 'Москва' } }, { ...seller(LADA_OWNER), ...headers });
  return response.data.createApplication;
}

describe('offerAuctionability', () => {
  it('accepts an offer passing every check', async () => {
    const answer = await auctionability(LADA);

    expect(answer.auctionable).toBe(true);
    expect(answer.failedCheck).toBeNull();
    expect(answer.reason).toBeNull();
    expect(testApi.tradeIn.requests.map((request) => request.vin)).toEqual(['XTAGFK330JY144213']);
  });

  it('names the kill switch', async () => {
    await setIntake({ turnOff: true });
    const answer = await auctionability(LADA);

    expect(answer.auctionable).toBe(false);
    expect(answer.failedCheck).toBe('KILL_SWITCH');
    expect(answer.reason.code).toBe('INTAKE_CLOSED');
    expect(testApi.tradeIn.requests).toHaveLength(0);
  });

  it('checks the kill switch first', async () => {
    await setIntake({ turnOff: true, globalFilter: { marks: ['BMW'] } });
    const answer = await auctionability(LADA);

    expect(answer.failedCheck).toBe('KILL_SWITCH');
  });

  it('reopens intake when turned back on', async () => {
    await setIntake({ turnOff: true });
    await setIntake({ turnOff: false });
    const answer = await auctionability(LADA);

    expect(answer.auctionable).toBe(true);
  });

  it.each([
    ['region', { regions: ['2'] }],
    ['mark', { marks: ['BMW', 'KIA'] }],
    ['year', { yearMin: 2019 }],
    ['year', { yearMax: 2015 }],
    ['price', { priceMax: 1_000_000 }],
    ['price', { priceMin: 1_100_000 }],
    ['mileage', { mileageMax: 80_000 }],
  ])('names the filter dimension %s for %o', async (dimension, globalFilter) => {
    await setIntake({ globalFilter });
    const answer = await auctionability(LADA);

    expect(answer.auctionable).toBe(false);
    expect(answer.failedCheck).toBe('GLOBAL_FILTER');
    expect(answer.reason.code).toBe('OFFER_NOT_ELIGIBLE');
    expect(answer.reason.dimension).toBe(dimension);
    expect(testApi.tradeIn.requests).toHaveLength(0);
  });

  it.each([
    ['region', { regions: ['213', '2'] }],
    ['mark', { marks: ['vaz'] }],
    ['year', { yearMin: 2018, yearMax: 2018 }],
    ['price', { priceMin: 1_050_000, priceMax: 1_050_000 }],
    ['mileage', { mileageMax: 84_000 }],
  ])('passes a matching filter on %s', async (_dimension, globalFilter) => {
    await setIntake({ globalFilter });
    const answer = await auctionability(LADA);

    expect(answer.auctionable).toBe(true);
  });

  it('names an active application for the VIN', async () => {
    await createThroughApi(testApi, LADA, LADA_OWNER);
    testApi.tradeIn.requests.length = 0;
    const answer = await auctionability(LADA);

    expect(answer.failedCheck).toBe('ACTIVE_APPLICATION');
    expect(answer.reason.code).toBe('ACTIVE_APPLICATION_EXISTS');
    expect(testApi.tradeIn.requests).toHaveLength(0);
  });

  it('names the trade-in service saying no', async () => {
    testApi.tradeIn.ineligibleVins.add('XTAGFK330JY144213');
    const answer = await auctionability(LADA);

    expect(answer.auctionable).toBe(false);
    expect(answer.failedCheck).toBe('TRADE_IN');
    expect(answer.reason.check).toBe('TRADE_IN');
  });

  it('reports a trade-in timeout as unavailable', async () => {
    testApi.tradeIn.server.setFaults({ hangNext: 2 });
    const answer = await auctionability(LADA);

    expect(answer.__typename).toBe('PartnerUnavailableError');
    expect(answer.code).toBe('PARTNER_UNAVAILABLE');
    expect(answer.check).toBe('TRADE_IN');
    expect(answer.partner).toBe('trade-in');
  });

  it('reports a failing trade-in service as unavailable', async () => {
    testApi.tradeIn.server.setFaults({ failNext: 2 });
    const answer = await auctionability(LADA);

    expect(answer.__typename).toBe('PartnerUnavailableError');
    expect(answer.check).toBe('TRADE_IN');
  });

  it('retries one trade-in failure', async () => {
    testApi.tradeIn.server.setFaults({ failNext: 1 });
    const answer = await auctionability(LADA);

    expect(answer.auctionable).toBe(true);
  });

  it('lets a service check any offer', async () => {
    const answer = await auctionability(loadOffer('kia-rio-2021.json'), LOTS);

    expect(answer.auctionable).toBe(true);
  });

  it('rejects a seller checking another’s offer', async () => {
    const answer = await auctionability(loadOffer('kia-rio-2021.json'));

    expect(answer.__typename).toBe('ValidationError');
    expect(answer.field).toBe('offer.user_ref');
  });

  it('explains the filter in English', async () => {
    await setIntake({ globalFilter: { yearMin: 2019, yearMax: 2024 } });
    const answer = await auctionability(LADA, { ...seller(LADA_OWNER), 'accept-language': 'en' });

    expect(answer.reason.message).toBe('Only cars with a model year from 2019 to 2024 are accepted for auction for now, and this car is from 2018.');
  });

  it('explains the filter in Russian', async () => {
    await setIntake({ globalFilter: { mileageMax: 80_000 } });
    const answer = await auctionability(LADA);

    expect(answer.reason.message).toBe('Сейчас на аукцион принимаются автомобили с пробегом не больше 80000 км, а пробег в объявлении — 84000 км.');
  });
});

describe('createApplication eligibility', () => {
  it('rejects while intake is closed', async () => {
    await setIntake({ turnOff: true });
    const result = await create(LADA);

    expect(result.__typename).toBe('IntakeClosedError');
    expect(result.check).toBe('KILL_SWITCH');
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });

  it.each([
    ['region', { regions: ['2'] }],
    ['mark', { marks: ['BMW'] }],
    ['year', { yearMax: 2017 }],
    ['price', { priceMax: 1_000_000 }],
    ['mileage', { mileageMax: 50_000 }],
  ])('rejects a filtered %s', async (dimension, globalFilter) => {
    await setIntake({ globalFilter });
    const result = await create(LADA);

    expect(result.__typename).toBe('OfferNotEligibleError');
    expect(result.check).toBe('GLOBAL_FILTER');
    expect(result.dimension).toBe(dimension);
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });

  it('rejects what trade-in declines', async () => {
    testApi.tradeIn.ineligibleVins.add('XTAGFK330JY144213');
    const result = await create(LADA);

    expect(result.__typename).toBe('OfferNotEligibleError');
    expect(result.check).toBe('TRADE_IN');
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });

  it('fails cleanly on a trade-in timeout', async () => {
    testApi.tradeIn.server.setFaults({ hangNext: 2 });
    const result = await create(LADA);

    expect(result.__typename).toBe('PartnerUnavailableError');
    expect(result.check).toBe('TRADE_IN');
    expect(result.message).toContain('trade-in');
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });

  it('fails cleanly on trade-in errors', async () => {
    testApi.tradeIn.server.setFaults({ failNext: 2, failureStatus: 503 });
    const result = await create(LADA);

    expect(result.__typename).toBe('PartnerUnavailableError');
    expect(result.code).toBe('PARTNER_UNAVAILABLE');
    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });

  it('accepts after the kill switch reopens', async () => {
    await setIntake({ turnOff: true });
    await setIntake({ turnOff: false });
    const result = await create(offerWith('lada-vesta-2018.json', {}));

    expect(result.__typename).toBe('CreateApplicationPayload');
  });
});

describe('setIntakeSettings', () => {
  it('keeps the filter when closing intake', async () => {
    await setIntake({ globalFilter: { marks: ['vaz', 'BMW'], yearMin: 2010 } });
    const closed = await setIntake({ turnOff: true });

    expect(closed.settings.turnOff).toBe(true);
    expect(closed.settings.globalFilter.marks).toEqual(['VAZ', 'BMW']);
    expect(closed.settings.globalFilter.yearMin).toBe(2010);
    expect(closed.settings.changedBy).toBe('lots');
  });

  it('writes a new version per change', async () => {
    await setIntake({ turnOff: true });
    await setIntake({ turnOff: false });

    const versions = await testApi.db.prisma.intakeSettings.findMany({ orderBy: { id: 'asc' } });
    expect(versions.map((version) => version.turnOff)).toEqual([true, false]);
  });

  it('rejects a reversed range', async () => {
    const result = await setIntake({ globalFilter: { yearMin: 2020, yearMax: 2010 } });

    expect(result.__typename).toBe('ValidationError');
    expect(result.field).toBe('globalFilter.yearMin');
    expect(result.reason).toBe('range_reversed');
    expect(await testApi.db.prisma.intakeSettings.count()).toBe(0);
  });

  it('rejects a negative mileage bound', async () => {
    const result = await setIntake({ globalFilter: { mileageMax: -1 } });

    expect(result.field).toBe('globalFilter.mileageMax');
    expect(result.reason).toBe('too_small');
  });
});
