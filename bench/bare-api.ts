/**
 * The ceiling of the API: graphql-yoga serving the service's own printed schema
 * (schema.graphql), with the three benchmarked fields resolved by one plain SQL statement each
 * on a pg pool of the service's size. There is no authentication, validation, eligibility check,
 * history, outbox or job: what remains is the HTTP, GraphQL and database work that any
 * implementation of these fields must do. Run as a child process by the benchmarks.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';
import { BARE_TABLE } from './queries.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  throw new Error('DATABASE_URL is missing: the bare API needs the benchmark database URL.');
}

const pool = new pg.Pool({ connectionString, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
pool.on('error', () => {});

const APPLICATION_COLUMNS = `application_id, user_id AS "userId", offer_id AS "offerId", vin, inspect_time AS "inspectTime",
  inspect_place AS "inspectPlace", status, application_status AS "applicationStatus", moderation_status AS "moderationStatus",
  waiting_data AS "waitingData", created_at AS "createdAt", updated_at AS "updatedAt", completed_at AS "completedAt"`;

interface Row {
  application_id: string;
  [column: string]: unknown;
}

interface Context {
  request: Request;
}

const application = (row: Row, history?: unknown[]) => ({
  __typename: 'Application',
  ...row,
  id: Buffer.from(`Application:${row.application_id}`).toString('base64'),
  applicationId: row.application_id,
  vinWarnings: [],
  history: history ?? [],
});

const byTypename = { __resolveType: (value: { __typename: string }) => value.__typename };

const schema = createSchema<Context>({
  typeDefs: fs.readFileSync(path.join(projectRoot, 'schema.graphql'), 'utf8'),
  resolvers: {
    DateTime: DateTimeResolver,
    JSON: JSONResolver,
    JSONObject: JSONObjectResolver,
    CreateApplicationResult: byTypename,
    ApplicationResult: byTypename,
    Error: byTypename,
    Node: byTypename,
    Mutation: {
      async createApplication(_root: unknown, args: { input: { offer: Record<string, any>; inspectTime: Date; inspectPlace: string } }, context: Context) {
        const { offer, inspectTime, inspectPlace } = args.input;
        const { rows } = await pool.query<Row>(
          `INSERT INTO ${BARE_TABLE} (user_id, offer_id, vin, offer_body, inspect_time, inspect_place)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${APPLICATION_COLUMNS}`,
          [userIdOf(context), String(offer.id), String(offer.documents?.vin).toUpperCase(), Buffer.from(JSON.stringify(offer)), inspectTime, inspectPlace],
        );
        return { __typename: 'CreateApplicationPayload', application: application(rows[0]!), replayed: false, vinWarnings: [] };
      },
    },
    Query: {
      async application(_root: unknown, args: { id: string }, context: Context) {
        const id = /^\d+$/.test(args.id) ? args.id : Buffer.from(args.id, 'base64').toString('utf8').replace(/^Application:/, '');
        const found = await pool.query<Row>(`SELECT ${APPLICATION_COLUMNS} FROM auction_applications WHERE application_id = $1 AND user_id = $2`, [
          id,
          userIdOf(context),
        ]);
        const row = found.rows[0];
        if (!row) {
          return { __typename: 'NotFoundError', code: 'NOT_FOUND', id, message: `Application ${id} was not found.` };
        }
        const history = await pool.query(
          `SELECT history_id AS id, action, actor_type AS "actorType", actor_id AS "actorId", status, changes, created_at AS "createdAt"
           FROM application_history WHERE application_id = $1 ORDER BY history_id`,
          [id],
        );
        return application(row, history.rows);
      },
      async myApplications(_root: unknown, args: { first?: number }, context: Context) {
        const first = args.first ?? 20;
        const { rows } = await pool.query<Row>(
          `SELECT ${APPLICATION_COLUMNS} FROM auction_applications WHERE user_id = $1 ORDER BY application_id DESC LIMIT $2`,
          [userIdOf(context), first + 1],
        );
        const edges = rows.slice(0, first).map((row) => ({ cursor: Buffer.from(`GPC:S:${row.application_id}`).toString('base64'), node: application(row) }));
        return {
          edges,
          pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
        };
      },
    },
  },
});

function userIdOf(context: Context): string {
  const userId = context.request.headers.get('x-user-id');
  if (!userId) {
    throw new Error('X-User-Id is missing: the bare API takes the seller from that header.');
  }
  return userId;
}

const yoga = createYoga<Context>({ schema, graphqlEndpoint: '/graphql', landingPage: false, graphiql: false, batching: false, logging: false });
const server = http.createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    pool.end().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
});
