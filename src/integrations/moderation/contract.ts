/**
 * Moderation ("hobo"): we submit an application and get an acknowledgement; the verdict comes
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
  /** Why moderation failed the application, when it did. */
  reason?: string;
  decidedAt: string;
}
