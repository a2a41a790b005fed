import { z } from 'zod';

/**
 * Moderation ("hobo"): we submit an application and get an acknowledgement. The verdict comes
 * later, on a Kafka topic or, without Kafka, through our signed HTTP endpoint.
 */
export interface ModerationClient {
  submit(submission: ModerationSubmission): Promise<ModerationAcknowledgement>;
}

export interface ModerationSubmission {
  applicationId: string;
  userId: string;
  offerId: string;
  vin: string;
  inspectPlace: string;
  offer: unknown;
}

export interface ModerationAcknowledgement {
  /** Moderation's own id of the case. */
  ticketId: string;
}

/** A verdict as it arrives from moderation, on either path. */
export interface ModerationVerdict {
  /** Unique per verdict; a verdict delivered twice carries the same id. */
  verdictId: string;
  applicationId: string;
  verdict: 'OK' | 'FAILED';
  /** Reason that moderation gives for failing the application, when it did. */
  reason?: string;
  decidedAt: string;
}

/**
 * Hands a verdict to our service: the sandbox calls it on the path the wiring chose (a Kafka
 * producer, or a signed HTTP POST). It throws when the verdict was not accepted, so the caller retries.
 */
export type DeliverVerdict = (verdict: ModerationVerdict) => Promise<void>;

/** Our endpoint that receives signed verdicts over HTTP when no Kafka broker is configured. */
export const MODERATION_VERDICT_PATH = '/internal/moderation/verdicts';

/** The wire form of a verdict, shared by the Kafka consumer and the HTTP endpoint. */
export const moderationVerdictSchema = z.object({
  verdictId: z.string().min(1).max(200),
  applicationId: z.string().regex(/^\d{1,19}$/, 'expected the application id as a decimal string'),
  verdict: z.enum(['OK', 'FAILED']),
  reason: z.string().max(2000).optional(),
  decidedAt: z.iso.datetime({ offset: true }),
}) satisfies z.ZodType<ModerationVerdict>;
