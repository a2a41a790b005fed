import type { ServiceContext } from '../context.js';
import type { CarfaxReport } from '../integrations/carfax/contract.js';
import { parseOffer } from '../domain/offer.js';
import type { Lot } from '../integrations/lot-sink/contract.js';

/**
 * Store a complete ProAuto report in S3 under `${applicationId}/pro-auto` and return its URL.
 * The key is fixed per application, so storing again after a crash replaces the same object.
 */
export async function storeProAutoReport(ctx: ServiceContext, applicationId: string, report: CarfaxReport): Promise<string> {
  const body = new TextEncoder().encode(JSON.stringify(report));
  return ctx.integrations.reports.put(applicationId, 'pro-auto', body, 'application/json');
}

/** Car details from the stored offer that the partners and the lot need. */
export type OfferDetails = Pick<Lot, 'mark' | 'model' | 'year' | 'price' | 'mileage' | 'region'>;

/**
 * Read the car's details from the stored offer body. The API validated the offer at creation.
 * An offer that no longer parses, as after a rule change, gives no details rather than stopping
 * the pipeline, because the partners accept a draft without them.
 */
export function offerDetails(offerBody: Uint8Array): OfferDetails {
  try {
    const offer = parseOffer(JSON.parse(new TextDecoder().decode(offerBody)));
    return { mark: offer.mark, model: offer.model, year: offer.year, price: offer.price, mileage: offer.mileage, region: offer.region.name ?? offer.region.id };
  } catch {
    return {};
  }
}
