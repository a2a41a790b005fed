import { afterEach, describe, expect, it } from 'vitest';
import { CarfaxReportNotFoundError, HttpCarfaxClient } from '../src/integrations/carfax/client.js';
import { isReportComplete, missingBlocks, REQUIRED_BLOCKS } from '../src/integrations/carfax/report.js';
import { CarfaxSandbox, type CarfaxSandboxOptions } from '../src/integrations/carfax/sandbox.js';

const vin = 'XTAGFK330JY100001';
let sandbox: CarfaxSandbox;
let client: HttpCarfaxClient;

async function startSandbox(options: CarfaxSandboxOptions = {}) {
  sandbox = new CarfaxSandbox(options);
  await sandbox.listen();
  client = new HttpCarfaxClient({ baseUrl: sandbox.url, minRetryDelayMs: 10 });
}

afterEach(async () => {
  await sandbox.close();
});

describe('CARFAX client', () => {
  it('orders a report without one at once', async () => {
    await startSandbox();
    const order = await client.orderReport({ vin, applicationId: '5' });
    expect(order.requestId).toMatch(/^pa-/);
    expect(order.report).toBeUndefined();
  });

  it('polls incomplete, then complete', async () => {
    await startSandbox({ completeAfterPolls: 2 });
    const { requestId } = await client.orderReport({ vin, applicationId: '5' });
    const polls = [await client.getReport(requestId), await client.getReport(requestId), await client.getReport(requestId)];
    expect(polls.map((report) => isReportComplete(report))).toEqual([false, false, true]);
    expect(missingBlocks(polls[0]!).length).toBeGreaterThan(missingBlocks(polls[1]!).length);
    expect(polls[2]!.vin).toBe(vin);
  });

  it('completes at the first poll with zero', async () => {
    await startSandbox({ completeAfterPolls: 0 });
    const { requestId } = await client.orderReport({ vin, applicationId: '5' });
    expect(isReportComplete(await client.getReport(requestId))).toBe(true);
  });

  it('never completes with Infinity', async () => {
    await startSandbox({ completeAfterPolls: (orderedVin) => (orderedVin === vin ? Infinity : 0) });
    const { requestId } = await client.orderReport({ vin, applicationId: '5' });
    for (let poll = 0; poll < 5; poll += 1) {
      expect(isReportComplete(await client.getReport(requestId))).toBe(false);
    }
  });

  it('returns a synchronous complete report', async () => {
    await startSandbox({ synchronous: true });
    const order = await client.orderReport({ vin, applicationId: '5' });
    expect(order.report?.requestId).toBe(order.requestId);
    expect(isReportComplete(order.report!)).toBe(true);
  });

  it('reuses the request of a repeated order', async () => {
    await startSandbox();
    const first = await client.orderReport({ vin, applicationId: '5' });
    const second = await client.orderReport({ vin: vin.toLowerCase(), applicationId: '5' });
    expect(second.requestId).toBe(first.requestId);
    expect(sandbox.requests.size).toBe(1);
  });

  it('fills the same content for a VIN', async () => {
    await startSandbox({ completeAfterPolls: 0 });
    const first = await client.getReport((await client.orderReport({ vin, applicationId: '5' })).requestId);
    const second = await client.getReport((await client.orderReport({ vin, applicationId: '6' })).requestId);
    expect(second.blocks).toEqual(first.blocks);
  });

  it('throws a typed error for unknown requests', async () => {
    await startSandbox();
    const error = await client.getReport('pa-unknown').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CarfaxReportNotFoundError);
    expect((error as CarfaxReportNotFoundError).requestId).toBe('pa-unknown');
    expect((error as CarfaxReportNotFoundError).transient).toBe(false);
  });
});

describe('report completeness', () => {
  const complete = { blocks: Object.fromEntries(REQUIRED_BLOCKS.map((block) => [block, {}])) };

  it('counts a report with every block', () => {
    expect(isReportComplete(complete)).toBe(true);
  });

  it('treats a null block as missing', () => {
    expect(missingBlocks({ blocks: { ...complete.blocks, owners: null } })).toEqual(['owners']);
  });

  it('lists absent blocks in order', () => {
    expect(missingBlocks({ blocks: { identity: {}, extra: {} } })).toEqual(['owners', 'accidents', 'mileage', 'restrictions']);
  });
});
