import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerError } from '../src/integrations/http.js';
import { HttpTradeInClient } from '../src/integrations/trade-in/client.js';
import type { TradeInEligibilityAnswer } from '../src/integrations/trade-in/contract.js';
import { TradeInSandbox } from '../src/integrations/trade-in/sandbox.js';

const request = { offerId: '1114782187-3302e085', userId: '41872156', vin: 'XTAGFK330JY144213', offer: { id: '1114782187-3302e085' } };

let custom: TradeInEligibilityAnswer | undefined;
let sandbox: TradeInSandbox;
let client: HttpTradeInClient;

beforeAll(async () => {
  sandbox = new TradeInSandbox({ ineligibleOfferIds: ['1120334562-9a1f0c44'], decide: () => custom });
  await sandbox.listen(0);
  client = new HttpTradeInClient({ baseUrl: sandbox.url, timeoutMs: 200, retries: 2, minRetryDelayMs: 10 });
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(() => {
  custom = undefined;
  sandbox.ineligibleVins.clear();
  sandbox.server.resetFaults();
  sandbox.server.calls.length = 0;
});

async function failure(): Promise<PartnerError> {
  try {
    await client.checkEligibility(request);
  } catch (error) {
    if (error instanceof PartnerError) {
      return error;
    }
    throw error;
  }
  throw new Error('The eligibility check succeeded.');
}

describe('HttpTradeInClient', () => {
  it('reads an eligible answer', async () => {
    expect(await client.checkEligibility(request)).toEqual({ eligible: true });
  });

  it('sends the offer to the partner', async () => {
    await client.checkEligibility(request);
    expect(sandbox.requests.at(-1)).toEqual(request);
  });

  it('reads a listed VIN as not eligible', async () => {
    sandbox.ineligibleVins.add('XTAGFK330JY144213');
    const answer = await client.checkEligibility(request);
    expect(answer.eligible).toBe(false);
    expect(answer.reason).toContain('XTAGFK330JY144213');
  });

  it('reads a listed offer as not eligible', async () => {
    const answer = await client.checkEligibility({ ...request, offerId: '1120334562-9a1f0c44' });
    expect(answer.eligible).toBe(false);
  });

  it('retries a failure', async () => {
    sandbox.server.setFaults({ failNext: 1 });
    expect(await client.checkEligibility(request)).toEqual({ eligible: true });
    expect(sandbox.server.calls.map((call) => call.status)).toEqual([500, 200]);
  });

  it('gives up after the retries', async () => {
    sandbox.server.setFaults({ failNext: 3, failureStatus: 503 });
    const error = await failure();
    expect(error.kind).toBe('unavailable');
    expect(error.partner).toBe('trade-in');
    expect(sandbox.server.calls).toHaveLength(3);
  });

  it('times out on a hanging partner', async () => {
    sandbox.server.setFaults({ hangNext: 3 });
    const error = await failure();
    expect(error.kind).toBe('timeout');
  });

  it('reports a body that breaks the contract', async () => {
    custom = { eligible: 'yes' } as unknown as TradeInEligibilityAnswer;
    const error = await failure();
    expect(error.kind).toBe('invalid_response');
    expect(error.message).toContain('eligible');
  });

  it('does not retry a rejected request', async () => {
    try {
      await client.checkEligibility({ ...request, vin: 'SHORT' });
    } catch (error) {
      expect((error as PartnerError).kind).toBe('rejected');
    }
    expect(sandbox.server.calls.map((call) => call.status)).toEqual([400]);
  });
});
