import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BackgroundTasks } from '../background.js';
import { PartnerSandbox, type PartnerSandboxOptions } from '../partner-sandbox.js';
import { notFound, type SandboxReply, type SandboxRequest } from '../sandbox.js';
import { parseRequestBody } from '../sandbox-input.js';
import { deliverWithRetries, postSignedJson } from '../signed-delivery.js';
import type { CmeDocument, CmeDocumentType, CmeEvaluationDraft, CmeWebhookEvent, CmeWebhookType } from './contract.js';
import { renderEvaluationDocument, renderInspectionDocument } from './documents.js';

/** The webhooks that follow a draft, in CME's normal order. */
const WEBHOOK_SEQUENCE: CmeWebhookType[] = ['evaluation.done', 'status.changed', 'inspection.done'];

const DEFAULT_DELAYS_MS: Record<CmeWebhookType, number> = { 'evaluation.done': 200, 'status.changed': 300, 'inspection.done': 400 };

export interface CmeSandboxOptions extends PartnerSandboxOptions {
  /** Our webhook endpoint; a function is read at each delivery, for a server that starts later. */
  webhookUrl: string | (() => string);
  /** The HMAC secret shared with the endpoint (CME_WEBHOOK_SECRET). */
  secret: string;
  /** Time from the draft to each webhook, in milliseconds. Default: 200, 300 and 400 in the normal order. */
  delaysMs?: Partial<Record<CmeWebhookType, number>>;
  /** How many times each webhook is delivered, with the same eventId. Default: 1. */
  repeat?: number;
  /** Send the webhooks in reverse order: inspection.done first, evaluation.done last. Default: false. */
  outOfOrder?: boolean;
  /** Retries of a webhook whose response is not 2xx. Default: 20. */
  deliveryRetries?: number;
  /** Delay before the first retry, in milliseconds; it doubles up to 5 s. Default: 200. */
  deliveryRetryDelayMs?: number;
}

export interface CmeSandboxEvaluation {
  evaluationId: number;
  draft: CmeEvaluationDraft;
  status: string;
  documents: Partial<Record<CmeDocumentType, CmeDocument>>;
}

const draftSchema = z.object({
  applicationId: z.string().min(1),
  vin: z.string().min(1),
  inspectTime: z.iso.datetime({ offset: true }),
  inspectPlace: z.string().min(1),
  mark: z.string().optional(),
  model: z.string().optional(),
  year: z.number().int().optional(),
});

/**
 * CME played by us. `POST /v1/evaluations` creates a draft. The sandbox then finishes the
 * evaluation and the inspection on timers and announces each step with a signed webhook.
 * `GET /v1/evaluations/{id}/documents/{evaluation|inspection}` serves the finished documents.
 * A second draft for the same application returns the first id and sends no new webhooks.
 */
export class CmeSandbox extends PartnerSandbox {
  delaysMs: Record<CmeWebhookType, number>;
  repeat: number;
  outOfOrder: boolean;
  readonly evaluations = new Map<number, CmeSandboxEvaluation>();
  /** Webhooks accepted with a 2xx response, repeats included, in delivery order. */
  readonly delivered: CmeWebhookEvent[] = [];
  private readonly tasks: BackgroundTasks;

  constructor(private readonly options: CmeSandboxOptions) {
    super('cme', options);
    this.tasks = new BackgroundTasks('cme', options.logger);
    this.delaysMs = { ...DEFAULT_DELAYS_MS, ...options.delaysMs };
    this.repeat = options.repeat ?? 1;
    this.outOfOrder = options.outOfOrder ?? false;
  }

  /** Resolve once every webhook due has been delivered or given up. */
  settled(): Promise<void> {
    return this.tasks.settled();
  }

  override async close(): Promise<void> {
    await this.tasks.close();
    await super.close();
  }

  /**
   * Send one webhook once, without retries, and return the response status. Throws
   * DeliveryError on a non-2xx response. Tests use `secret` and `timestamp` to send a badly
   * signed or stale one.
   */
  sendWebhook(event: CmeWebhookEvent, signing: { secret?: string; timestamp?: number } = {}): Promise<number> {
    return postSignedJson({ url: this.webhookUrl(), secret: signing.secret ?? this.options.secret, body: event, timestamp: signing.timestamp });
  }

  private webhookUrl(): string {
    return typeof this.options.webhookUrl === 'function' ? this.options.webhookUrl() : this.options.webhookUrl;
  }

  protected route(request: SandboxRequest): SandboxReply {
    if (request.method === 'POST' && request.path === '/v1/evaluations') {
      return this.createDraft(request);
    }
    const match = /^\/v1\/evaluations\/(\d+)\/documents\/([a-z]+)$/.exec(request.path);
    if (request.method === 'GET' && match) {
      return this.serveDocument(Number(match[1]), match[2]!);
    }
    return notFound(request);
  }

  private createDraft(request: SandboxRequest): SandboxReply {
    const parsed = parseRequestBody(request, draftSchema);
    if (!parsed.ok) {
      return parsed.reply;
    }
    const draft = parsed.data as CmeEvaluationDraft;

    const existing = [...this.evaluations.values()].find((evaluation) => evaluation.draft.applicationId === draft.applicationId);
    if (existing) {
      return { status: 200, json: { evaluationId: existing.evaluationId } };
    }

    const evaluation: CmeSandboxEvaluation = { evaluationId: this.newEvaluationId(), draft, status: 'DRAFT', documents: {} };
    this.evaluations.set(evaluation.evaluationId, evaluation);
    this.scheduleWebhooks(evaluation);
    return { status: 201, json: { evaluationId: evaluation.evaluationId } };
  }

  /**
   * Pick a random id, so that a restarted sandbox does not reuse the id of a draft that a persisted
   * database still refers to. INTEGER in the database limits it to 31 bits.
   */
  private newEvaluationId(): number {
    let id: number;
    do {
      id = randomInt(1, 2 ** 31 - 1);
    } while (this.evaluations.has(id));
    return id;
  }

  private scheduleWebhooks(evaluation: CmeSandboxEvaluation): void {
    const delays = WEBHOOK_SEQUENCE.map((type) => this.delaysMs[type]).sort((a, b) => a - b);
    const order = this.outOfOrder ? [...WEBHOOK_SEQUENCE].reverse() : WEBHOOK_SEQUENCE;
    order.forEach((type, index) => {
      this.tasks.schedule(delays[index]!, `webhook ${type} of evaluation ${evaluation.evaluationId}`, () => this.finishStep(evaluation, type));
    });
  }

  /** Apply a step to the evaluation, then announce it; the document exists before its webhook leaves. */
  private async finishStep(evaluation: CmeSandboxEvaluation, type: CmeWebhookType): Promise<void> {
    const event: CmeWebhookEvent = { eventId: `evt-${randomUUID()}`, type, evaluationId: evaluation.evaluationId, occurredAt: new Date().toISOString() };
    if (type === 'evaluation.done') {
      evaluation.documents.evaluation = renderEvaluationDocument(evaluation.evaluationId, evaluation.draft);
      evaluation.status = 'EVALUATED';
    } else if (type === 'inspection.done') {
      evaluation.documents.inspection = renderInspectionDocument(evaluation.evaluationId, evaluation.draft, new Date());
      evaluation.status = 'INSPECTED';
    } else {
      evaluation.status = 'INSPECTION_SCHEDULED';
      event.status = evaluation.status;
    }

    for (let copy = 1; copy <= this.repeat; copy += 1) {
      const accepted = await deliverWithRetries(
        async () => {
          await this.sendWebhook(event);
        },
        {
          retries: this.options.deliveryRetries ?? 20,
          minDelayMs: this.options.deliveryRetryDelayMs ?? 200,
          signal: this.tasks.signal,
          logger: this.options.logger,
          description: `CME webhook ${type} ${event.eventId} of evaluation ${evaluation.evaluationId}`,
        },
      );
      if (accepted) {
        this.delivered.push(event);
      }
    }
  }

  private serveDocument(evaluationId: number, document: string): SandboxReply {
    const evaluation = this.evaluations.get(evaluationId);
    if (!evaluation || (document !== 'evaluation' && document !== 'inspection')) {
      return { status: 404, json: { error: 'not_found', message: `No ${document} document of evaluation ${evaluationId}.` } };
    }
    const finished = evaluation.documents[document];
    if (!finished) {
      return { status: 409, json: { error: 'not_ready', message: `The ${document} document of evaluation ${evaluationId} is not finished yet.` } };
    }
    return { body: finished.body, headers: { 'content-type': finished.contentType } };
  }
}
