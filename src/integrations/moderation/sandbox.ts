import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BackgroundTasks } from '../background.js';
import { PartnerSandbox, type PartnerSandboxOptions } from '../partner-sandbox.js';
import { notFound, type SandboxReply, type SandboxRequest } from '../sandbox.js';
import { parseRequestBody } from '../sandbox-input.js';
import { deliverWithRetries } from '../signed-delivery.js';
import type { DeliverVerdict, ModerationSubmission, ModerationVerdict } from './contract.js';

/**
 * Text that makes the sandbox fail an application when it appears in the inspection place or in
 * the offer's `description`. A seller can type it into the form, so a demo can show a rejection.
 */
export const MODERATION_FAIL_MARKER = '[moderation:fail]';

export interface VerdictDecision {
  verdict: 'OK' | 'FAILED';
  reason?: string;
}

export interface ModerationSandboxOptions extends PartnerSandboxOptions {
  /** Destination of the verdicts: a Kafka producer or `createHttpVerdictDelivery`. */
  deliverVerdict: DeliverVerdict;
  /** Time from filing a case to delivering its verdict, in milliseconds. Default: 300. */
  verdictDelayMs?: number;
  /** VINs that fail moderation. */
  failVins?: Iterable<string>;
  /** Offer ids that fail moderation. */
  failOfferIds?: Iterable<string>;
  /** A rule of the test's own; returning undefined falls back to the rules above. */
  decide?: (submission: ModerationSubmission) => VerdictDecision | undefined;
  /** How many times each verdict is delivered, with the same verdictId. Default: 1. */
  repeatVerdicts?: number;
  /** Retries of a delivery that fails. Default: 20. */
  deliveryRetries?: number;
  /** Delay before the first retry of a delivery, in milliseconds; it doubles up to 5 s. Default: 200. */
  deliveryRetryDelayMs?: number;
}

export interface ModerationCase {
  ticketId: string;
  submission: ModerationSubmission;
  decision: VerdictDecision;
}

const submissionSchema = z.object({
  applicationId: z.string().min(1),
  userId: z.string().min(1),
  offerId: z.string().min(1),
  vin: z.string().min(1),
  inspectPlace: z.string(),
  offer: z.unknown(),
});

/**
 * Moderation ("hobo") played by us. `POST /v1/cases` files an application and returns a
 * ticket. The verdict follows after `verdictDelayMs` through `deliverVerdict`, which is retried
 * until it succeeds. A second filing of the same application returns the first ticket and sends no
 * new verdict.
 */
export class ModerationSandbox extends PartnerSandbox {
  readonly failVins: Set<string>;
  readonly failOfferIds: Set<string>;
  verdictDelayMs: number;
  repeatVerdicts: number;
  /** Filed cases by application id. */
  readonly cases = new Map<string, ModerationCase>();
  /** Verdicts accepted by `deliverVerdict`, repeats included, in delivery order. */
  readonly delivered: ModerationVerdict[] = [];
  private readonly tasks: BackgroundTasks;

  constructor(private readonly options: ModerationSandboxOptions) {
    super('moderation', options);
    this.tasks = new BackgroundTasks('moderation', options.logger);
    this.failVins = new Set([...(options.failVins ?? [])].map((vin) => vin.toUpperCase()));
    this.failOfferIds = new Set(options.failOfferIds ?? []);
    this.verdictDelayMs = options.verdictDelayMs ?? 300;
    this.repeatVerdicts = options.repeatVerdicts ?? 1;
  }

  /** Resolve once every verdict due has been delivered or given up. */
  settled(): Promise<void> {
    return this.tasks.settled();
  }

  override async close(): Promise<void> {
    await this.tasks.close();
    await super.close();
  }

  /** Apply the configured rules to a submission. */
  decide(submission: ModerationSubmission): VerdictDecision {
    const custom = this.options.decide?.(submission);
    if (custom) {
      return custom;
    }
    if (this.failVins.has(submission.vin.toUpperCase())) {
      return { verdict: 'FAILED', reason: `The VIN ${submission.vin} is on the sandbox's fail list.` };
    }
    if (this.failOfferIds.has(submission.offerId)) {
      return { verdict: 'FAILED', reason: `The offer ${submission.offerId} is on the sandbox's fail list.` };
    }
    const description = (submission.offer as { description?: unknown } | null)?.description;
    const marked = [submission.inspectPlace, typeof description === 'string' ? description : ''].some((text) =>
      text.toLowerCase().includes(MODERATION_FAIL_MARKER),
    );
    if (marked) {
      return { verdict: 'FAILED', reason: `The application contains the marker ${MODERATION_FAIL_MARKER}.` };
    }
    return { verdict: 'OK' };
  }

  protected route(request: SandboxRequest): SandboxReply {
    if (request.method === 'POST' && request.path === '/v1/cases') {
      return this.fileCase(request);
    }
    return notFound(request);
  }

  private fileCase(request: SandboxRequest): SandboxReply {
    const parsed = parseRequestBody(request, submissionSchema);
    if (!parsed.ok) {
      return parsed.reply;
    }

    const existing = this.cases.get(parsed.data.applicationId);
    if (existing) {
      return { status: 200, json: { ticketId: existing.ticketId } };
    }

    const submission = parsed.data as ModerationSubmission;
    const filed: ModerationCase = { ticketId: `mod-${randomUUID()}`, submission, decision: this.decide(submission) };
    this.cases.set(submission.applicationId, filed);
    this.tasks.schedule(this.verdictDelayMs, `the verdict of application ${submission.applicationId}`, () => this.deliver(filed));
    return { status: 202, json: { ticketId: filed.ticketId } };
  }

  private async deliver(filed: ModerationCase): Promise<void> {
    const verdict: ModerationVerdict = {
      verdictId: randomUUID(),
      applicationId: filed.submission.applicationId,
      verdict: filed.decision.verdict,
      ...(filed.decision.reason === undefined ? {} : { reason: filed.decision.reason }),
      decidedAt: new Date().toISOString(),
    };
    for (let copy = 1; copy <= this.repeatVerdicts; copy += 1) {
      const accepted = await deliverWithRetries(() => this.options.deliverVerdict(verdict), {
        retries: this.options.deliveryRetries ?? 20,
        minDelayMs: this.options.deliveryRetryDelayMs ?? 200,
        signal: this.tasks.signal,
        logger: this.options.logger,
        description: `moderation verdict ${verdict.verdictId} (${verdict.verdict}) of application ${verdict.applicationId}`,
      });
      if (accepted) {
        this.delivered.push(verdict);
      }
    }
  }
}
