import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCarfaxClient } from '../src/integrations/carfax/client.js';
import { CarfaxSandbox } from '../src/integrations/carfax/sandbox.js';
import { HttpCmeClient } from '../src/integrations/cme/client.js';
import { CmeSandbox } from '../src/integrations/cme/sandbox.js';
import { PartnerError } from '../src/integrations/http.js';
import { HttpLotsSink, TelegramLotSink } from '../src/integrations/lot-sink/client.js';
import type { Lot } from '../src/integrations/lot-sink/contract.js';
import { LotsSandbox, TelegramSandbox } from '../src/integrations/lot-sink/sandbox.js';
import { HttpModerationClient } from '../src/integrations/moderation/client.js';
import { ModerationSandbox } from '../src/integrations/moderation/sandbox.js';
import type { PartnerSandbox } from '../src/integrations/partner-sandbox.js';
import type { PartnerClientOptions } from '../src/integrations/response.js';

/**
 * The transport behaviour every partner client shares, checked against each sandbox over the
 * wire: injected 500s are retried until the partner recovers, a hanging request times out and
 * is retried, and a 4xx response is returned at once without a retry.
 */

const retryOptions = { timeoutMs: 300, retries: 3, minRetryDelayMs: 10 };

const lot: Lot = {
  applicationId: '7',
  idempotencyKey: 'lot-7',
  offerId: '1109876543-c0ffee01',
  vin: 'WBAZV41070L123458',
  inspectTime: '2026-12-10T12:00:00Z',
  inspectPlace: 'Москва',
  reports: { proAuto: null, cmeEvaluation: null, cmeInspection: null },
};

interface Case {
  name: string;
  sandbox: PartnerSandbox;
  /** A valid call. */
  call(options: PartnerClientOptions): Promise<unknown>;
  /** A call the partner rejects with 4xx. */
  badCall(options: PartnerClientOptions): Promise<unknown>;
}

const cases: Case[] = [
  {
    name: 'moderation',
    sandbox: new ModerationSandbox({ deliverVerdict: async () => {}, verdictDelayMs: 60_000 }),
    call: (options) => new HttpModerationClient(options).submit({ applicationId: '1', userId: 'u1', offerId: 'o1', vin: lot.vin, inspectPlace: 'Moscow', offer: {} }),
    badCall: (options) => new HttpModerationClient(options).submit({ applicationId: '', userId: 'u1', offerId: 'o1', vin: lot.vin, inspectPlace: 'Moscow', offer: {} }),
  },
  {
    name: 'carfax',
    sandbox: new CarfaxSandbox(),
    call: (options) => new HttpCarfaxClient(options).orderReport({ vin: lot.vin, applicationId: '1' }),
    badCall: (options) => new HttpCarfaxClient(options).orderReport({ vin: 'SHORT', applicationId: '1' }),
  },
  {
    name: 'cme',
    sandbox: new CmeSandbox({ webhookUrl: 'http://127.0.0.1:1/unused', secret: 'unused-secret-0123456789', delaysMs: { 'evaluation.done': 60_000, 'status.changed': 60_000, 'inspection.done': 60_000 } }),
    call: (options) => new HttpCmeClient(options).createEvaluationDraft({ applicationId: '1', vin: lot.vin, inspectTime: lot.inspectTime, inspectPlace: 'Moscow' }),
    badCall: (options) => new HttpCmeClient(options).createEvaluationDraft({ applicationId: '1', vin: lot.vin, inspectTime: 'tomorrow', inspectPlace: 'Moscow' }),
  },
  {
    name: 'lots',
    sandbox: new LotsSandbox(),
    call: (options) => new HttpLotsSink(options).handOff(lot),
    badCall: (options) => new HttpLotsSink(options).handOff({ ...lot, idempotencyKey: 'lot-7-bad', vin: '' }),
  },
  {
    name: 'telegram',
    sandbox: new TelegramSandbox({ botToken: '123:good-token' }),
    call: (options) => new TelegramLotSink({ ...options, botToken: '123:good-token', chatId: '-100' }).handOff(lot),
    badCall: (options) => new TelegramLotSink({ ...options, botToken: '123:wrong-token', chatId: '-100' }).handOff(lot),
  },
];

beforeAll(async () => {
  await Promise.all(cases.map((testCase) => testCase.sandbox.listen()));
});

afterAll(async () => {
  await Promise.all(cases.map((testCase) => testCase.sandbox.close()));
});

describe.each(cases)('$name client', (testCase) => {
  const options = () => ({ ...retryOptions, baseUrl: testCase.sandbox.url });
  const callsSince = (start: number) => testCase.sandbox.server.calls.length - start;

  it('recovers after injected 500s', async () => {
    testCase.sandbox.server.setFaults({ failNext: 2 });
    const start = testCase.sandbox.server.calls.length;
    await expect(testCase.call(options())).resolves.toBeDefined();
    expect(callsSince(start)).toBe(3);
  });

  it('gives up when 500s outlast retries', async () => {
    testCase.sandbox.server.setFaults({ failNext: 10 });
    const error = await testCase.call(options()).catch((caught: unknown) => caught);
    testCase.sandbox.server.resetFaults();
    expect(error).toBeInstanceOf(PartnerError);
    expect((error as PartnerError).kind).toBe('unavailable');
    expect((error as PartnerError).status).toBe(500);
  });

  it('retries after a hanging request', async () => {
    testCase.sandbox.server.setFaults({ hangNext: 1 });
    const started = performance.now();
    await expect(testCase.call(options())).resolves.toBeDefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(retryOptions.timeoutMs);
  });

  it('reports a timeout when every attempt hangs', async () => {
    testCase.sandbox.server.setFaults({ hangNext: 2 });
    const error = await testCase.call({ ...options(), retries: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartnerError);
    expect((error as PartnerError).kind).toBe('timeout');
    expect((error as PartnerError).transient).toBe(true);
  });

  it('does not retry a 4xx answer', async () => {
    const start = testCase.sandbox.server.calls.length;
    const error = await testCase.badCall(options()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartnerError);
    expect((error as PartnerError).kind).toBe('rejected');
    expect((error as PartnerError).transient).toBe(false);
    expect(callsSince(start)).toBe(1);
  });
});
