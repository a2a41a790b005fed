import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import type { Integrations } from '../src/context.js';
import { CME_WEBHOOK_PATH } from '../src/integrations/cme/contract.js';
import { createIntegrations } from '../src/integrations/index.js';
import { MODERATION_VERDICT_PATH, type ModerationVerdict } from '../src/integrations/moderation/contract.js';
import { Receiver } from './support/receiver.js';
import { startTestSandboxes, type TestSandboxes } from './support/sandboxes.js';

const vin = 'XTAGFK330JY100001';
let receiver: Receiver;
let sandboxes: TestSandboxes;
let integrations: Integrations;
const kafkaVerdicts: ModerationVerdict[] = [];

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.listen();
  sandboxes = await startTestSandboxes({
    webhookBaseUrl: () => receiver.url,
    moderation: { verdictDelayMs: 10 },
    cme: { delaysMs: { 'evaluation.done': 10, 'status.changed': 10, 'inspection.done': 10 } },
  });
  integrations = createIntegrations({ config: sandboxes.config, logger: sandboxes.logger });
});

afterAll(async () => {
  await sandboxes.stop();
  await receiver.close();
});

describe('startSandboxes with createIntegrations', () => {
  it('answers trade-in eligibility', async () => {
    const answer = await integrations.tradeIn.checkEligibility({ offerId: 'o1', userId: 'u1', vin, offer: {} });
    expect(answer.eligible).toBe(true);
  });

  it('delivers verdicts to our endpoint', async () => {
    await integrations.moderation.submit({ applicationId: '1', userId: 'u1', offerId: 'o1', vin, inspectPlace: 'Москва', offer: {} });
    await sandboxes.moderation.settled();
    const request = receiver.requests.find((each) => each.path === MODERATION_VERDICT_PATH);
    expect(JSON.parse(request!.rawBody.toString('utf8'))).toMatchObject({ applicationId: '1', verdict: 'OK' });
  });

  it('sends CME webhooks to our endpoint', async () => {
    await integrations.cme.createEvaluationDraft({ applicationId: '1', vin, inspectTime: '2026-12-10T09:00:00Z', inspectPlace: 'Москва' });
    await sandboxes.cme.settled();
    expect(receiver.requests.filter((each) => each.path === CME_WEBHOOK_PATH)).toHaveLength(3);
  });

  it('orders CARFAX reports', async () => {
    const order = await integrations.carfax.orderReport({ vin, applicationId: '1' });
    expect(sandboxes.carfax.requests.has(order.requestId)).toBe(true);
  });

  it('hands lots to the lots sandbox', async () => {
    await integrations.lotSink.handOff({
      applicationId: '1',
      idempotencyKey: 'lot-1',
      offerId: 'o1',
      vin,
      inspectTime: '2026-12-10T09:00:00Z',
      inspectPlace: 'Москва',
      reports: { proAuto: null, cmeEvaluation: null, cmeInspection: null },
    });
    expect(sandboxes.lots.lots).toHaveLength(1);
  });

  it('stores reports in the local S3', async () => {
    const body = new TextEncoder().encode('{"report":true}');
    const url = await integrations.reports.put('1', 'pro-auto', body, 'application/json');
    expect(url.startsWith(sandboxes.s3!.endpoint)).toBe(true);
    expect(await (await fetch(url)).text()).toBe('{"report":true}');
  });
});

describe('startSandboxes options', () => {
  it('uses a given verdict deliverer', async () => {
    const own = await startTestSandboxes({ webhookBaseUrl: receiver.url, deliverVerdict: async (verdict) => void kafkaVerdicts.push(verdict), moderation: { verdictDelayMs: 1 } });
    const moderation = createIntegrations({ config: own.config, logger: own.logger }).moderation;
    await moderation.submit({ applicationId: '2', userId: 'u1', offerId: 'o1', vin, inspectPlace: 'Москва', offer: {} });
    await own.moderation.settled();
    await own.stop();
    expect(kafkaVerdicts.map((verdict) => verdict.applicationId)).toEqual(['2']);
  });

  it('stops every server', async () => {
    const own = await startTestSandboxes({ webhookBaseUrl: receiver.url });
    const urls = [own.urls.CARFAX_URL, own.urls.CME_URL, own.urls.S3_ENDPOINT!];
    await own.stop();
    const outcomes = await Promise.all(urls.map((url) => fetch(url).then(() => 'answered', () => 'refused')));
    expect(outcomes).toEqual(['refused', 'refused', 'refused']);
  });
});

describe('createIntegrations', () => {
  it('names a missing partner URL', () => {
    expect(() => createIntegrations({ config: loadConfig({}), logger: sandboxes.logger })).toThrow(ConfigError);
    expect(() => createIntegrations({ config: loadConfig({}), logger: sandboxes.logger })).toThrow(/TRADE_IN_URL is missing/);
  });
});
