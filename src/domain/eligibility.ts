import { Prisma, type Transaction } from '../db/prisma.js';
import { PartnerError } from '../integrations/http.js';
import type { TradeInClient } from '../integrations/trade-in/contract.js';
import type { Logger } from '../logger.js';
import { ActiveApplicationExistsError, IntakeClosedError, OfferNotEligibleError, PartnerUnavailableError } from './errors.js';
import { findFilterMismatch, readIntakeSettings } from './intake-settings.js';
import type { ParsedOffer } from './offer.js';
import { FINAL_STATUSES } from './statuses.js';

/**
 * Eligibility of an offer for auction. The checks run from the cheapest to the one that calls a
 * partner, and the first that rejects the offer decides, so a closed intake never costs a
 * trade-in call.
 */

const FINAL_STATUS_LIST = Prisma.raw([...FINAL_STATUSES].map((status) => `'${status}'`).join(', '));

export const ELIGIBILITY_CHECKS = ['KILL_SWITCH', 'GLOBAL_FILTER', 'ACTIVE_APPLICATION', 'TRADE_IN'] as const;

export type EligibilityCheck = (typeof ELIGIBILITY_CHECKS)[number];

export type Eligibility =
  | { eligible: true }
  | { eligible: false; check: EligibilityCheck; error: IntakeClosedError | OfferNotEligibleError | ActiveApplicationExistsError };

export interface EligibilityDependencies {
  db: Transaction;
  tradeIn: TradeInClient;
  logger: Logger;
}

/**
 * Run the checks in order: kill switch, global filter, an active application for the same VIN,
 * trade-in. Throws PartnerUnavailableError when the trade-in service fails, because then
 * eligibility is unknown rather than denied.
 */
export async function checkEligibility(dependencies: EligibilityDependencies, offer: ParsedOffer, rawOffer: unknown): Promise<Eligibility> {
  const settings = await readIntakeSettings(dependencies.db);
  if (settings.turnOff) {
    return { eligible: false, check: 'KILL_SWITCH', error: new IntakeClosedError() };
  }

  const mismatch = findFilterMismatch(settings.globalFilter, offer);
  if (mismatch) {
    const error = new OfferNotEligibleError('GLOBAL_FILTER', {
      dimension: mismatch.dimension,
      value: mismatch.value,
      allowed: mismatch.allowed?.join(', '),
      min: mismatch.min,
      max: mismatch.max,
    });
    return { eligible: false, check: 'GLOBAL_FILTER', error };
  }

  // Raw, because a Prisma model query costs about a millisecond of CPU on every submission. The
  // statuses are literals, so that the planner can use the partial unique index on VINs.
  const active = await dependencies.db.$queryRaw<unknown[]>`
    SELECT 1 FROM auction_applications WHERE vin = ${offer.vin} AND status NOT IN (${FINAL_STATUS_LIST}) LIMIT 1`;
  if (active.length > 0) {
    return { eligible: false, check: 'ACTIVE_APPLICATION', error: new ActiveApplicationExistsError(offer.vin) };
  }

  const answer = await askTradeIn(dependencies, offer, rawOffer);
  if (!answer.eligible) {
    dependencies.logger.info(
      { offerId: offer.id, vin: offer.vin, tradeInReason: answer.reason },
      `Trade-in rejected offer ${offer.id}: ${answer.reason ?? 'no reason given'}.`,
    );
    return { eligible: false, check: 'TRADE_IN', error: new OfferNotEligibleError('TRADE_IN') };
  }
  return { eligible: true };
}

async function askTradeIn(dependencies: EligibilityDependencies, offer: ParsedOffer, rawOffer: unknown) {
  try {
    return await dependencies.tradeIn.checkEligibility({ offerId: offer.id, userId: offer.userId, vin: offer.vin, offer: rawOffer });
  } catch (error) {
    if (!(error instanceof PartnerError)) {
      throw error;
    }
    dependencies.logger.warn({ offerId: offer.id, err: error }, `Trade-in check of offer ${offer.id} failed (${error.kind}), so eligibility is unknown.`);
    throw new PartnerUnavailableError(error.partner, 'TRADE_IN', error.message);
  }
}
