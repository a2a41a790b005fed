import { z } from 'zod';

/**
 * CME, the inspection company: we create an evaluation draft; CME calls our webhooks when the
 * evaluation list or the inspection is done and when its own status changes, and we fetch the
 * documents it names.
 */
export interface CmeClient {
  createEvaluationDraft(draft: CmeEvaluationDraft): Promise<{ evaluationId: number }>;
  /** Download a finished document of an evaluation. */
  fetchDocument(evaluationId: number, document: CmeDocumentType): Promise<CmeDocument>;
}

export type CmeDocumentType = 'evaluation' | 'inspection';

export interface CmeEvaluationDraft {
  applicationId: string;
  vin: string;
  inspectTime: string;
  inspectPlace: string;
  mark?: string;
  model?: string;
  year?: number;
}

export interface CmeDocument {
  body: Uint8Array;
  contentType: string;
}

export type CmeWebhookType = 'evaluation.done' | 'inspection.done' | 'status.changed';

/** The JSON body of a CME webhook, signed with HMAC-SHA256 over `${timestamp}.${rawBody}`. */
export interface CmeWebhookEvent {
  /** Unique per event; a repeated delivery carries the same id. */
  eventId: string;
  type: CmeWebhookType;
  evaluationId: number;
  /** CME's own status of the evaluation, on `status.changed`. */
  status?: string;
  occurredAt: string;
}

/** Our endpoint that receives CME's webhooks. */
export const CME_WEBHOOK_PATH = '/webhooks/cme';

/** CME's own statuses of an evaluation, as `status.changed` carries them. */
export const CME_STATUSES = ['DRAFT', 'EVALUATED', 'INSPECTION_SCHEDULED', 'INSPECTED', 'CANCELLED'] as const;

/** The wire form of a webhook body, for the endpoint to check after the signature. */
export const cmeWebhookEventSchema = z.object({
  eventId: z.string().min(1).max(200),
  type: z.enum(['evaluation.done', 'inspection.done', 'status.changed']),
  evaluationId: z.number().int().positive(),
  status: z.string().max(64).optional(),
  occurredAt: z.iso.datetime({ offset: true }),
}) satisfies z.ZodType<CmeWebhookEvent>;
