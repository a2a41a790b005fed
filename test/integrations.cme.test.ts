import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CmeDocumentNotReadyError, CmeEvaluationNotFoundError, HttpCmeClient } from '../src/integrations/cme/client.js';
import { CME_WEBHOOK_PATH, cmeWebhookEventSchema, type CmeEvaluationDraft, type CmeWebhookEvent } from '../src/integrations/cme/contract.js';
import { CmeSandbox, type CmeSandboxOptions } from '../src/integrations/cme/sandbox.js';
import { DeliveryError } from '../src/integrations/signed-delivery.js';
import { verifySignature } from '../src/integrations/signature.js';
import { Receiver } from './support/receiver.js';

const secret = 'test-cme-secret-0123456789';
const draft: CmeEvaluationDraft = {
  applicationId: '77',
  vin: 'VF7NC5FS0EY512345',
  inspectTime: '2026-12-10T09:00:00Z',
  inspectPlace: 'Москва, ул. Тверская, 1',
  mark: 'Citroen',
  model: 'C4',
  year: 2014,
};
let receiver: Receiver;
let sandbox: CmeSandbox;
let client: HttpCmeClient;

async function startSandbox(options: Partial<CmeSandboxOptions> = {}) {
  sandbox = new CmeSandbox({
    webhookUrl: `${receiver.url}${CME_WEBHOOK_PATH}`,
    secret,
    delaysMs: { 'evaluation.done': 10, 'status.changed': 20, 'inspection.done': 30 },
    deliveryRetryDelayMs: 10,
    ...options,
  });
  await sandbox.listen();
  client = new HttpCmeClient({ baseUrl: sandbox.url, minRetryDelayMs: 10 });
}

async function webhooksAfterDraft(): Promise<{ evaluationId: number; events: CmeWebhookEvent[] }> {
  const { evaluationId } = await client.createEvaluationDraft(draft);
  await sandbox.settled();
  return { evaluationId, events: receiver.accepted<CmeWebhookEvent>() };
}

beforeEach(async () => {
  receiver = new Receiver();
  await receiver.listen();
});

afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

describe('CME sandbox', () => {
  it('creates a draft with a numeric id', async () => {
    await startSandbox();
    const { evaluationId } = await client.createEvaluationDraft(draft);
    expect(Number.isInteger(evaluationId)).toBe(true);
    expect(evaluationId).toBeGreaterThan(0);
    expect(evaluationId).toBeLessThan(2 ** 31);
  });

  it('returns the first draft for a repeat', async () => {
    await startSandbox();
    const first = await client.createEvaluationDraft(draft);
    const second = await client.createEvaluationDraft(draft);
    await sandbox.settled();
    expect(second.evaluationId).toBe(first.evaluationId);
    expect(receiver.requests).toHaveLength(3);
  });

  it('sends the three webhooks in order', async () => {
    await startSandbox();
    const { evaluationId, events } = await webhooksAfterDraft();
    expect(events.map((event) => event.type)).toEqual(['evaluation.done', 'status.changed', 'inspection.done']);
    expect(events.every((event) => event.evaluationId === evaluationId)).toBe(true);
    expect(events[1]!.status).toBe('INSPECTION_SCHEDULED');
  });

  it('signs every webhook', async () => {
    await startSandbox();
    await webhooksAfterDraft();
    expect(receiver.requests.map((request) => request.path)).toEqual([CME_WEBHOOK_PATH, CME_WEBHOOK_PATH, CME_WEBHOOK_PATH]);
    expect(receiver.requests.map((request) => verifySignature({ secret, rawBody: request.rawBody, headers: request.headers }))).toEqual(['ok', 'ok', 'ok']);
  });

  it('sends bodies matching the event schema', async () => {
    await startSandbox();
    const { events } = await webhooksAfterDraft();
    expect(events.map((event) => cmeWebhookEventSchema.safeParse(event).success)).toEqual([true, true, true]);
  });

  it('sends webhooks out of order', async () => {
    await startSandbox({ outOfOrder: true });
    const { events } = await webhooksAfterDraft();
    expect(events.map((event) => event.type)).toEqual(['inspection.done', 'status.changed', 'evaluation.done']);
  });

  it('repeats each webhook with its eventId', async () => {
    await startSandbox({ repeat: 2 });
    const { events } = await webhooksAfterDraft();
    expect(events).toHaveLength(6);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(3);
  });

  it('retries a webhook until accepted', async () => {
    await startSandbox();
    receiver.statuses = [500, 404];
    const { events } = await webhooksAfterDraft();
    expect(receiver.requests).toHaveLength(5);
    expect(events).toHaveLength(3);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(3);
  });

  it('sends a stale or badly signed webhook on request', async () => {
    await startSandbox();
    const event: CmeWebhookEvent = { eventId: 'evt-test', type: 'evaluation.done', evaluationId: 1, occurredAt: new Date().toISOString() };
    await sandbox.sendWebhook(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    await sandbox.sendWebhook(event, { secret: 'another-secret-0123456789' });
    const checks = receiver.requests.map((request) => verifySignature({ secret, rawBody: request.rawBody, headers: request.headers }));
    expect(checks).toEqual(['stale_timestamp', 'bad_signature']);
  });

  it('reports a rejected webhook as DeliveryError', async () => {
    await startSandbox();
    receiver.statuses = [401];
    const event: CmeWebhookEvent = { eventId: 'evt-test', type: 'evaluation.done', evaluationId: 1, occurredAt: new Date().toISOString() };
    const error = await sandbox.sendWebhook(event).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).status).toBe(401);
  });
});

describe('CME documents', () => {
  it('serves the evaluation as a PDF', async () => {
    await startSandbox();
    const { evaluationId } = await webhooksAfterDraft();
    const document = await client.fetchDocument(evaluationId, 'evaluation');
    expect(document.contentType).toBe('application/pdf');
    expect(Buffer.from(document.body.subarray(0, 8)).toString('latin1')).toBe('%PDF-1.4');
    expect(Buffer.from(document.body).toString('latin1')).toContain(draft.vin);
  });

  it('serves the inspection as JSON', async () => {
    await startSandbox();
    const { evaluationId } = await webhooksAfterDraft();
    const document = await client.fetchDocument(evaluationId, 'inspection');
    expect(document.contentType).toBe('application/json');
    expect(JSON.parse(new TextDecoder().decode(document.body))).toMatchObject({ evaluationId, vin: draft.vin, place: draft.inspectPlace });
  });

  it('serves identical bytes on every fetch', async () => {
    await startSandbox();
    const { evaluationId } = await webhooksAfterDraft();
    const first = await client.fetchDocument(evaluationId, 'evaluation');
    const second = await client.fetchDocument(evaluationId, 'evaluation');
    expect(Buffer.compare(Buffer.from(first.body), Buffer.from(second.body))).toBe(0);
  });

  it('throws not ready before the webhook', async () => {
    await startSandbox({ delaysMs: { 'evaluation.done': 60_000, 'status.changed': 60_000, 'inspection.done': 60_000 } });
    const { evaluationId } = await client.createEvaluationDraft(draft);
    const error = await client.fetchDocument(evaluationId, 'inspection').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CmeDocumentNotReadyError);
    expect((error as CmeDocumentNotReadyError).transient).toBe(true);
  });

  it('throws not found for unknown evaluations', async () => {
    await startSandbox();
    const error = await client.fetchDocument(123, 'evaluation').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CmeEvaluationNotFoundError);
    expect((error as CmeEvaluationNotFoundError).transient).toBe(false);
  });
});
