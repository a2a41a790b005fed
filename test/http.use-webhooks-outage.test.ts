import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/prisma.js';
import { useWebhooks } from '../src/http/use-webhooks.js';
import { useRequestId } from '../src/http/use-request-id.js';
import { MODERATION_VERDICT_PATH } from '../src/integrations/moderation/contract.js';
import { signatureHeaders } from '../src/integrations/signature.js';
import { Metrics } from '../src/metrics/metrics.js';
import { createTestDatabase } from './support/database.js';
import { captureLogs } from './support/logs.js';

const config = {
  CME_WEBHOOK_SECRET: 'test-cme-webhook-secret',
  CME_WEBHOOK_TOLERANCE_SECONDS: 300,
  MODERATION_VERDICT_SECRET: 'test-moderation-verdict-secret',
};

describe('useWebhooks during a database outage', () => {
  it('answers 503 and logs the request id', async () => {
    // A database that no longer exists plays the outage.
    const droppedDatabase = await createTestDatabase();
    await droppedDatabase.drop();
    const db = openDatabase(droppedDatabase.url);
    const { logger, lines } = captureLogs('info');
    const metrics = new Metrics({ logger, defaultMetrics: false });
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
      plugins: [useRequestId(), useWebhooks({ db, logger, config, metrics })],
      logging: false,
    });
    const body = JSON.stringify({ verdictId: 'v-outage-1', applicationId: '1', verdict: 'OK', decidedAt: new Date().toISOString() });

    const response = await yoga.fetch(`http://127.0.0.1${MODERATION_VERDICT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'outage-test-1', ...signatureHeaders(config.MODERATION_VERDICT_SECRET, body) },
      body,
    });
    await db.close();

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    const errors = lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ requestId: 'outage-test-1', component: 'webhooks' });
    expect(await metrics.render()).toContain('auction_webhook_rejections_total{source="moderation",reason="temporarily_unavailable"} 1');
  });
});
