import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PartnerSandbox, type PartnerSandboxOptions } from '../partner-sandbox.js';
import { notFound, type SandboxReply, type SandboxRequest } from '../sandbox.js';
import { parseRequestBody } from '../sandbox-input.js';
import type { CarfaxReport } from './contract.js';

/** The order in which the sandbox fills a report. `valuation` is optional, so it never completes a report. */
const FILL_ORDER = ['identity', 'valuation', 'owners', 'mileage', 'accidents', 'restrictions'] as const;

export interface CarfaxSandboxOptions extends PartnerSandboxOptions {
  /**
   * Polls that return an incomplete report before the complete one, per VIN or for all: 0
   * completes at the first poll, Infinity never. Default: 1.
   */
  completeAfterPolls?: number | ((vin: string) => number);
  /** Whether an order returns the complete report at once, per VIN or for all. Default: false. */
  synchronous?: boolean | ((vin: string) => boolean);
}

export interface CarfaxSandboxRequest {
  requestId: string;
  vin: string;
  reference: string;
  /** GETs of this request so far. */
  polls: number;
  completeAfterPolls: number;
}

const orderSchema = z.object({
  vin: z
    .string()
    .transform((vin) => vin.toUpperCase())
    .pipe(z.string().regex(/^[A-HJ-NPR-Z0-9]{17}$/, 'expected 17 characters without I, O and Q')),
  reference: z.string().min(1),
});

/**
 * CARFAX played by us. `POST /v1/reports` orders a report and `GET /v1/reports/{requestId}`
 * polls it; blocks appear poll by poll until the report is complete. Ordering again with the
 * same reference and VIN returns the first request id.
 */
export class CarfaxSandbox extends PartnerSandbox {
  completeAfterPolls: number | ((vin: string) => number);
  synchronous: boolean | ((vin: string) => boolean);
  /** Report requests by request id. */
  readonly requests = new Map<string, CarfaxSandboxRequest>();

  constructor(options: CarfaxSandboxOptions = {}) {
    super('carfax', options);
    this.completeAfterPolls = options.completeAfterPolls ?? 1;
    this.synchronous = options.synchronous ?? false;
  }

  protected route(request: SandboxRequest): SandboxReply {
    if (request.method === 'POST' && request.path === '/v1/reports') {
      return this.order(request);
    }
    const match = /^\/v1\/reports\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && match) {
      return this.poll(decodeURIComponent(match[1]!));
    }
    return notFound(request);
  }

  private order(request: SandboxRequest): SandboxReply {
    const parsed = parseRequestBody(request, orderSchema);
    if (!parsed.ok) {
      return parsed.reply;
    }
    const { vin, reference } = parsed.data;

    let order = [...this.requests.values()].find((known) => known.reference === reference && known.vin === vin);
    const repeated = order !== undefined;
    if (!order) {
      const completeAfterPolls = typeof this.completeAfterPolls === 'function' ? this.completeAfterPolls(vin) : this.completeAfterPolls;
      order = { requestId: `pa-${randomUUID()}`, vin, reference, polls: 0, completeAfterPolls };
      this.requests.set(order.requestId, order);
    }

    const synchronous = typeof this.synchronous === 'function' ? this.synchronous(vin) : this.synchronous;
    if (synchronous) {
      return { status: 200, json: { requestId: order.requestId, status: 'READY', report: buildReport(order.requestId, vin, FILL_ORDER.length) } };
    }
    return { status: repeated ? 200 : 202, json: { requestId: order.requestId, status: 'PENDING' } };
  }

  private poll(requestId: string): SandboxReply {
    const order = this.requests.get(requestId);
    if (!order) {
      return { status: 404, json: { error: 'not_found', message: `No report request ${requestId}.` } };
    }
    order.polls += 1;
    const filled = filledBlockCount(order.polls, order.completeAfterPolls);
    const report = buildReport(requestId, order.vin, filled);
    return { json: { ...report, status: filled === FILL_ORDER.length ? 'READY' : 'PENDING' } };
  }
}

/**
 * Count the blocks filled at a poll: all of them after `completeAfterPolls` polls, before
 * that a growing share that always leaves the last required block out.
 */
function filledBlockCount(poll: number, completeAfterPolls: number): number {
  if (poll > completeAfterPolls) {
    return FILL_ORDER.length;
  }
  if (!Number.isFinite(completeAfterPolls)) {
    return FILL_ORDER.length - 1;
  }
  return Math.min(FILL_ORDER.length - 1, Math.floor((poll * FILL_ORDER.length) / (completeAfterPolls + 1)));
}

/** Build a report with its first `filled` blocks, with content derived from the VIN so it is stable. */
function buildReport(requestId: string, vin: string, filled: number): CarfaxReport {
  const seed = createHash('sha256').update(vin).digest();
  const owners = 1 + (seed[0]! % 4);
  const accidents = seed[1]! % 3;
  const lastMileage = 20_000 + (seed[2]! << 10);
  const content: Record<(typeof FILL_ORDER)[number], unknown> = {
    identity: { vin, manufacturerCode: vin.slice(0, 3), modelYearCode: vin[9] },
    valuation: { currency: 'RUB', low: 400_000 + seed[3]! * 10_000, high: 600_000 + seed[3]! * 12_000 },
    owners: { count: owners, records: Array.from({ length: owners }, (_, index) => ({ order: index + 1, type: index % 2 === 0 ? 'PERSON' : 'COMPANY' })) },
    mileage: { unit: 'km', records: [lastMileage / 4, lastMileage / 2, lastMileage].map((km, index) => ({ year: 2019 + index * 2, km: Math.round(km) })) },
    accidents: { count: accidents, records: Array.from({ length: accidents }, (_, index) => ({ year: 2020 + index, severity: index === 0 ? 'MINOR' : 'MODERATE' })) },
    restrictions: { pledged: false, wanted: false, registrationBans: seed[4]! % 2 },
  };
  const blocks = Object.fromEntries(FILL_ORDER.slice(0, filled).map((block) => [block, content[block]]));
  return { requestId, vin, blocks };
}
