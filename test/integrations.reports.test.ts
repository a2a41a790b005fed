import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { PartnerError } from '../src/integrations/http.js';
import { createReportStore, S3ReportStore } from '../src/integrations/reports/client.js';
import { startLocalS3, type LocalS3 } from '../src/integrations/reports/local-s3.js';

const bucket = 'auction-reports';
let directory: string;
let s3: LocalS3;
let store: S3ReportStore;

beforeAll(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'reports-test-'));
  s3 = await startLocalS3({ directory, bucket, port: 0 });
  store = createReportStore(loadConfig({ S3_ENDPOINT: s3.endpoint, S3_BUCKET: bucket }));
});

afterAll(async () => {
  store.destroy();
  await s3.close();
  await fs.rm(directory, { recursive: true, force: true });
});

async function download(url: string): Promise<{ status: number; contentType: string | null; body: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, contentType: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
}

describe('S3ReportStore', () => {
  it('stores binary bytes unchanged', async () => {
    // Every byte value, including those that break UTF-8 and the CRLF pairs that chunked framing uses.
    const body = new Uint8Array(Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, index) => index)), Buffer.from('\r\n0\r\n\r\n'), randomBytes(70_000)]));
    const url = await store.put('1', 'cme-evaluation', body, 'application/pdf');
    const stored = await download(url);
    expect(stored.status).toBe(200);
    expect(stored.body.length).toBe(body.length);
    expect(Buffer.compare(stored.body, Buffer.from(body))).toBe(0);
  });

  it('stores JSON unchanged with its type', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ requestId: 'pa-1', vin: 'XTAGFK330JY100001', blocks: { owners: { count: 2, note: 'Один владелец' } } }));
    const url = await store.put('1', 'pro-auto', body, 'application/json');
    const stored = await download(url);
    expect(stored.contentType).toBe('application/json');
    expect(Buffer.compare(stored.body, Buffer.from(body))).toBe(0);
  });

  it('serves the stored content type', async () => {
    const url = await store.put('1', 'cme-evaluation', new Uint8Array([37, 80, 68, 70]), 'application/pdf');
    expect((await download(url)).contentType).toBe('application/pdf');
  });

  it('keys reports by application and type', async () => {
    const url = await store.put('2', 'cme-inspection', new Uint8Array([1]), 'application/json');
    expect(url).toBe(`${s3.endpoint}/${bucket}/2/cme-inspection`);
  });

  it('replaces a report stored again', async () => {
    await store.put('3', 'pro-auto', new TextEncoder().encode('{"version":1}'), 'application/json');
    const url = await store.put('3', 'pro-auto', new TextEncoder().encode('{"version":2}'), 'application/json');
    expect((await download(url)).body.toString('utf8')).toBe('{"version":2}');
  });

  it('deletes every report of one application', async () => {
    const urls = await Promise.all([
      store.put('4', 'pro-auto', new Uint8Array([1]), 'application/json'),
      store.put('4', 'cme-evaluation', new Uint8Array([2]), 'application/pdf'),
      store.put('4', 'cme-inspection', new Uint8Array([3]), 'application/json'),
    ]);
    await store.deleteAll('4');
    const statuses = await Promise.all(urls.map(async (url) => (await download(url)).status));
    expect(statuses).toEqual([404, 404, 404]);
  });

  it('keeps other applications on delete', async () => {
    // '40' shares the prefix '4' as text, so a prefix without the slash would delete it too.
    const kept = await store.put('40', 'pro-auto', new Uint8Array([4]), 'application/json');
    await store.put('4', 'pro-auto', new Uint8Array([5]), 'application/json');
    await store.deleteAll('4');
    expect((await download(kept)).status).toBe(200);
  });

  it('deletes nothing without reports', async () => {
    await expect(store.deleteAll('999')).resolves.toBeUndefined();
  });

  it('rejects an application id with a slash', async () => {
    await expect(store.put('5/../6', 'pro-auto', new Uint8Array([1]), 'application/json')).rejects.toThrow(/Application id "5\/..\/6" is invalid/);
  });

  it('builds URLs on S3_PUBLIC_URL', () => {
    const publicStore = createReportStore(loadConfig({ S3_ENDPOINT: s3.endpoint, S3_PUBLIC_URL: 'https://reports.example/files/' }));
    expect(publicStore.urlOf('6', 'cme-evaluation')).toBe('https://reports.example/files/6/cme-evaluation');
    publicStore.destroy();
  });

  it('reports an unreachable server as unavailable', async () => {
    const stopped = await startLocalS3({ directory, bucket, port: 0 });
    await stopped.close();
    const offline = new S3ReportStore({ endpoint: stopped.endpoint, region: 'us-east-1', bucket, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    const error = await offline.put('7', 'pro-auto', new Uint8Array([1]), 'application/json').catch((caught: unknown) => caught);
    offline.destroy();
    expect(error).toBeInstanceOf(PartnerError);
    expect((error as PartnerError).kind).toBe('unavailable');
  });

  it('reports a missing bucket as rejected', async () => {
    const wrongBucket = new S3ReportStore({ endpoint: s3.endpoint, region: 'us-east-1', bucket: 'no-such-bucket', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    const error = await wrongBucket.put('8', 'pro-auto', new Uint8Array([1]), 'application/json').catch((caught: unknown) => caught);
    wrongBucket.destroy();
    expect((error as PartnerError).kind).toBe('rejected');
    expect((error as PartnerError).status).toBe(404);
  });
});
