import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { routeLabel, useMetrics } from '../src/http/use-metrics.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics/metrics.js';

function createServer() {
  const metrics = new Metrics({ logger: createLogger({ level: 'silent' }), defaultMetrics: false });
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }),
    plugins: [useMetrics({ metrics })],
    logging: false,
  });
  return { metrics, yoga };
}

describe('useMetrics', () => {
  it('serves the exposition text', async () => {
    const { yoga } = createServer();

    const response = await yoga.fetch('http://127.0.0.1/metrics');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toContain('# TYPE auction_http_request_duration_seconds histogram');
  });

  it('times GraphQL requests by route', async () => {
    const { yoga } = createServer();

    await yoga.fetch('http://127.0.0.1/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ hello }' }) });
    const text = await (await yoga.fetch('http://127.0.0.1/metrics')).text();

    expect(text).toContain('auction_http_request_duration_seconds_count{method="POST",route="/graphql",status="200"} 1');
  });

  it('labels unknown paths as unmatched', async () => {
    const { yoga } = createServer();

    await yoga.fetch('http://127.0.0.1/wp-admin/setup.php');
    const text = await (await yoga.fetch('http://127.0.0.1/metrics')).text();

    expect(text).toContain('route="unmatched",status="404"');
    expect(text).not.toContain('wp-admin');
  });

  it('counts partner attempts and errors', async () => {
    const { metrics } = createServer();

    metrics.observePartnerAttempt({ partner: 'cme', operation: 'create_evaluation', durationMs: 120, outcome: 'ok' });
    metrics.observePartnerAttempt({ partner: 'cme', operation: 'create_evaluation', durationMs: 5000, outcome: 'timeout' });
    const text = await metrics.render();

    expect(text).toContain('auction_partner_request_duration_seconds_count{partner="cme",operation="create_evaluation",outcome="ok"} 1');
    expect(text).toContain('auction_partner_errors_total{partner="cme",operation="create_evaluation",kind="timeout"} 1');
  });
});

describe('routeLabel', () => {
  it('replaces id-like segments', () => {
    expect(routeLabel('/webhooks/cme/12345')).toBe('/webhooks/cme/:id');
    expect(routeLabel('/graphql')).toBe('/graphql');
    expect(routeLabel('/a/3f2b8c1e-9d4a-4e57-8b2a-0c6f1d2e3a4b')).toBe('/a/:id');
  });
});
