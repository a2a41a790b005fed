import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpModerationClient } from '../src/integrations/moderation/client.js';
import { MODERATION_VERDICT_PATH, moderationVerdictSchema, type ModerationSubmission, type ModerationVerdict } from '../src/integrations/moderation/contract.js';
import { MODERATION_FAIL_MARKER, ModerationSandbox, type ModerationSandboxOptions } from '../src/integrations/moderation/sandbox.js';
import { createHttpVerdictDelivery } from '../src/integrations/moderation/verdict-delivery.js';
import { verifySignature } from '../src/integrations/signature.js';
import { Receiver } from './support/receiver.js';

const secret = 'test-verdict-secret-0123456789';
let receiver: Receiver;
let sandbox: ModerationSandbox;
let client: HttpModerationClient;

async function startSandbox(options: Partial<ModerationSandboxOptions> = {}) {
  sandbox = new ModerationSandbox({
    deliverVerdict: createHttpVerdictDelivery({ url: `${receiver.url}${MODERATION_VERDICT_PATH}`, secret }),
    verdictDelayMs: 10,
    deliveryRetryDelayMs: 10,
    ...options,
  });
  await sandbox.listen();
  client = new HttpModerationClient({ baseUrl: sandbox.url, minRetryDelayMs: 10 });
}

function submission(overrides: Partial<ModerationSubmission> = {}): ModerationSubmission {
  return {
    applicationId: '101',
    userId: '41872156',
    offerId: '1109876543-c0ffee01',
    vin: 'WBAZV41070L123458',
    inspectPlace: 'Москва, Ленинградский проспект, 31',
    offer: { id: '1109876543-c0ffee01', description: 'Один владелец' },
    ...overrides,
  };
}

async function verdictsAfterSubmitting(...submissions: ModerationSubmission[]): Promise<ModerationVerdict[]> {
  for (const each of submissions) {
    await client.submit(each);
  }
  await sandbox.settled();
  return receiver.accepted<ModerationVerdict>();
}

beforeEach(async () => {
  receiver = new Receiver();
  await receiver.listen();
});

afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

describe('moderation sandbox', () => {
  it('acknowledges a submission with a ticket', async () => {
    await startSandbox();
    const acknowledgement = await client.submit(submission());
    expect(acknowledgement.ticketId).toMatch(/^mod-/);
  });

  it('returns the same ticket for a resubmission', async () => {
    await startSandbox();
    const first = await client.submit(submission());
    const second = await client.submit(submission());
    await sandbox.settled();
    expect(second.ticketId).toBe(first.ticketId);
    expect(receiver.accepted()).toHaveLength(1);
  });

  it('delivers a signed verdict to the endpoint', async () => {
    await startSandbox();
    const [verdict] = await verdictsAfterSubmitting(submission());
    const request = receiver.requests[0]!;
    expect(request.path).toBe(MODERATION_VERDICT_PATH);
    expect(verifySignature({ secret, rawBody: request.rawBody, headers: request.headers })).toBe('ok');
    expect(moderationVerdictSchema.safeParse(verdict).success).toBe(true);
    expect(verdict).toMatchObject({ applicationId: '101', verdict: 'OK' });
  });

  it('fails the marker in the inspection place', async () => {
    await startSandbox();
    const [verdict] = await verdictsAfterSubmitting(submission({ inspectPlace: `Москва ${MODERATION_FAIL_MARKER}` }));
    expect(verdict!.verdict).toBe('FAILED');
    expect(verdict!.reason).toContain(MODERATION_FAIL_MARKER);
  });

  it('fails the marker in the offer description', async () => {
    await startSandbox();
    const [verdict] = await verdictsAfterSubmitting(submission({ offer: { description: `Битая ${MODERATION_FAIL_MARKER.toUpperCase()}` } }));
    expect(verdict!.verdict).toBe('FAILED');
  });

  it('fails listed VINs and offer ids', async () => {
    await startSandbox({ failVins: ['xtagfk330jy100001'], failOfferIds: ['offer-bad'] });
    const verdicts = await verdictsAfterSubmitting(
      submission({ applicationId: '1', vin: 'XTAGFK330JY100001' }),
      submission({ applicationId: '2', offerId: 'offer-bad' }),
      submission({ applicationId: '3' }),
    );
    const byApplication = Object.fromEntries(verdicts.map((verdict) => [verdict.applicationId, verdict.verdict]));
    expect(byApplication).toEqual({ '1': 'FAILED', '2': 'FAILED', '3': 'OK' });
  });

  it('retries delivery until the endpoint accepts', async () => {
    await startSandbox();
    receiver.statuses = [503, 500, 404];
    await verdictsAfterSubmitting(submission());
    const verdictIds = receiver.json<ModerationVerdict>().map((verdict) => verdict.verdictId);
    expect(receiver.requests.map((request) => request.status)).toEqual([503, 500, 404, 200]);
    expect(new Set(verdictIds).size).toBe(1);
    expect(sandbox.delivered).toHaveLength(1);
  });

  it('repeats a verdict with one verdictId', async () => {
    await startSandbox({ repeatVerdicts: 3 });
    const verdicts = await verdictsAfterSubmitting(submission());
    expect(verdicts).toHaveLength(3);
    expect(new Set(verdicts.map((verdict) => verdict.verdictId)).size).toBe(1);
  });

  it('gives each verdict its own id', async () => {
    await startSandbox();
    const verdicts = await verdictsAfterSubmitting(submission({ applicationId: '1' }), submission({ applicationId: '2' }));
    expect(verdicts[0]!.verdictId).not.toBe(verdicts[1]!.verdictId);
  });

  it('drops pending verdicts on close', async () => {
    await startSandbox({ verdictDelayMs: 200 });
    await client.submit(submission());
    await sandbox.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(0);
  });
});
