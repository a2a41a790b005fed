/** The trade-in service decides whether an offer may go to a dealer auction at all. */
export interface TradeInClient {
  /** Ask whether the offer is eligible. Throws PartnerError when the service fails. */
  checkEligibility(request: TradeInEligibilityRequest): Promise<TradeInEligibilityAnswer>;
}

export interface TradeInEligibilityRequest {
  offerId: string;
  userId: string;
  vin: string;
  /** The offer as the seller submitted it. */
  offer: unknown;
}

export interface TradeInEligibilityAnswer {
  eligible: boolean;
  /** The partner's reason when `eligible` is false, for operators; not shown to sellers. */
  reason?: string;
}
