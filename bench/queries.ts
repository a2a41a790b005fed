/**
 * The GraphQL operations that the API benchmarks send, the same bytes to the service and to the
 * bare server, and how each response is recognised as a success.
 */

/** The equivalent of auction_applications that the bare createApplication writes to. */
export const BARE_TABLE = 'bench_bare_applications';

export const CREATE_APPLICATION = `mutation CreateApplication($input: CreateApplicationInput!) {
  createApplication(input: $input) {
    __typename
    ... on CreateApplicationPayload { application { id applicationId status applicationStatus vin createdAt } }
    ... on Error { code message }
  }
}`;

export const APPLICATION = `query Application($id: ID!) {
  application(id: $id) {
    __typename
    ... on Application { id applicationId status applicationStatus vin createdAt history { action status createdAt } }
    ... on Error { code message }
  }
}`;

export const MY_APPLICATIONS = `query MyApplications {
  myApplications(first: 20) {
    edges { node { id applicationId status applicationStatus vin createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const isCreated = (body: string) => body.includes('"__typename":"CreateApplicationPayload"');
export const isApplication = (body: string) => body.includes('"__typename":"Application"');
/** A full first page: the benchmark's sellers each own more than 20 applications. */
export const isFullPage = (body: string) => body.includes('"myApplications"') && !body.includes('"errors"') && body.split('"applicationId"').length - 1 === 20;
