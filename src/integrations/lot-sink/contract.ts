/** Where a ready lot goes: the lots service, or at first a Telegram chat of the auction team. */
export interface LotSink {
  readonly kind: 'lots' | 'telegram';
  /**
   * Hand the lot on. `lot.idempotencyKey` is the same on every retry of one application, so a
   * sink that supports it accepts the lot once however often it is sent.
   */
  handOff(lot: Lot): Promise<{ reference: string }>;
}

export interface Lot {
  applicationId: string;
  idempotencyKey: string;
  offerId: string;
  vin: string;
  mark?: string;
  model?: string;
  year?: number;
  price?: number;
  mileage?: number;
  region?: string;
  inspectTime: string;
  inspectPlace: string;
  reports: { proAuto: string | null; cmeEvaluation: string | null; cmeInspection: string | null };
}
