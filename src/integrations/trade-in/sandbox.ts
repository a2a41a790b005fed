import { z } from 'zod';
import { PartnerSandbox, type PartnerSandboxOptions } from '../partner-sandbox.js';
import { notFound, type SandboxReply, type SandboxRequest } from '../sandbox.js';
import { parseRequestBody } from '../sandbox-input.js';
import type { TradeInEligibilityAnswer, TradeInEligibilityRequest } from './contract.js';

export interface TradeInSandboxOptions extends PartnerSandboxOptions {
  /** VINs the sandbox rejects as not eligible, upper-cased. */
  ineligibleVins?: Iterable<string>;
  /** Offer ids the sandbox rejects as not eligible. */
  ineligibleOfferIds?: Iterable<string>;
  /** A rule of the test's own; returning undefined falls back to the lists above. */
  decide?: (request: TradeInEligibilityRequest) => TradeInEligibilityAnswer | undefined;
}

const requestSchema = z.object({
  offerId: z.string().min(1),
  userId: z.string().min(1),
  vin: z.string().length(17),
  offer: z.unknown(),
});

/**
 * The trade-in service played by us. `POST /v1/eligibility` returns `{ eligible: true }` unless
 * the VIN or the offer id is on a not-eligible list or `decide` returns another decision. The lists may be
 * changed while it runs, and `POST /__sandbox/faults` injects latency and failures.
 */
export class TradeInSandbox extends PartnerSandbox {
  /** Compared with the request's upper-cased VIN, so entries added later must be upper-case too. */
  readonly ineligibleVins: Set<string>;
  readonly ineligibleOfferIds: Set<string>;
  /** Every eligibility request received, in order. */
  readonly requests: TradeInEligibilityRequest[] = [];

  constructor(private readonly options: TradeInSandboxOptions = {}) {
    super('trade-in', options);
    this.ineligibleVins = new Set([...(options.ineligibleVins ?? [])].map((vin) => vin.toUpperCase()));
    this.ineligibleOfferIds = new Set(options.ineligibleOfferIds ?? []);
  }

  /** Apply the configured rules to a request. */
  decide(request: TradeInEligibilityRequest): TradeInEligibilityAnswer {
    const custom = this.options.decide?.(request);
    if (custom) {
      return custom;
    }
    if (this.ineligibleVins.has(request.vin.toUpperCase())) {
      return { eligible: false, reason: `The VIN ${request.vin} is on the sandbox's not-eligible list.` };
    }
    if (this.ineligibleOfferIds.has(request.offerId)) {
      return { eligible: false, reason: `The offer ${request.offerId} is on the sandbox's not-eligible list.` };
    }
    return { eligible: true };
  }

  protected route(request: SandboxRequest): SandboxReply {
    if (request.method === 'POST' && request.path === '/v1/eligibility') {
      const parsed = parseRequestBody(request, requestSchema);
      if (!parsed.ok) {
        return parsed.reply;
      }
      const eligibilityRequest = parsed.data as TradeInEligibilityRequest;
      this.requests.push(eligibilityRequest);
      return { status: 200, json: this.decide(eligibilityRequest) };
    }
    return notFound(request);
  }
}
