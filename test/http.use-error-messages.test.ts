import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRecords, CREATE_APPLICATION, LADA_OWNER, loadOffer, seller, startTestApi, type TestApi } from './support/api.js';

// A DateTime input that does not parse is a VALIDATION_FAILED error on the value's path, in the
// request's language, whether it comes in a variable or as a literal in the query.

const ENGLISH = { ...seller(LADA_OWNER), 'accept-language': 'en' };

let testApi: TestApi;

beforeAll(async () => {
  testApi = await startTestApi();
});

afterAll(async () => {
  await testApi?.close();
});

function createWithInspectTime(inspectTime: unknown, headers: Record<string, string>) {
  const input = { offer: loadOffer('lada-vesta-2018.json'), inspectTime, inspectPlace: 'Москва, Ленинградский проспект, 31' };
  return testApi.graphql(CREATE_APPLICATION, { input }, headers);
}

describe('invalid DateTime input', () => {
  it('names the variable path in English', async () => {
    const response = await createWithInspectTime('tomorrow', ENGLISH);

    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(response.errors?.[0]?.extensions?.field).toBe('input.inspectTime');
    expect(response.errors?.[0]?.message).toBe(
      'The field input.inspectTime must be a date and time in ISO 8601 form with a time zone, such as 2030-06-01T10:00:00+03:00, but it is "tomorrow".',
    );
  });

  it('writes Russian by default', async () => {
    const response = await createWithInspectTime('tomorrow', seller(LADA_OWNER));

    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(response.errors?.[0]?.message).toBe(
      'Поле input.inspectTime должно содержать дату и время в формате ISO 8601 с часовым поясом, например 2030-06-01T10:00:00+03:00, а получено «tomorrow».',
    );
  });

  it('rejects a time without a zone', async () => {
    const response = await createWithInspectTime('2030-06-01T10:00:00', ENGLISH);

    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(response.errors?.[0]?.message).toContain('but it is "2030-06-01T10:00:00".');
  });

  it('shows a number as it was sent', async () => {
    const response = await createWithInspectTime(1_900_000_000, ENGLISH);

    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(response.errors?.[0]?.message).toContain('but it is "1900000000".');
  });

  it('names the argument path of a literal', async () => {
    const mutation = /* GraphQL */ `
      mutation {
        createApplication(input: { offer: {}, inspectTime: "tomorrow", inspectPlace: "Москва" }) { __typename }
      }
    `;

    const response = await testApi.graphql(mutation, {}, ENGLISH);

    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(response.errors?.[0]?.extensions?.field).toBe('input.inspectTime');
    expect(response.errors?.[0]?.message).toMatch(/^The field input\.inspectTime must be a date and time in ISO 8601 form/);
  });

  it('changes nothing', async () => {
    await createWithInspectTime('tomorrow', ENGLISH);

    expect(await countRecords(testApi.db)).toEqual({ applications: 0, history: 0, events: 0 });
  });
});
