import { z } from 'zod';
import { ValidationError } from './errors.js';
import { REASON_PARSE_OPTIONS, validationErrorFromIssues } from './validation.js';
import { validateVin, type VinWarning } from './vin.js';

/**
 * A listing in the classifieds site's public API shape, reduced to the fields the service reads.
 * Everything else in the listing is kept only in the stored offer body.
 */
export interface ParsedOffer {
  /** The listing id, such as `1114782187-3302e085`. */
  id: string;
  /** The seller, from `user_ref` (`user:<id>`). */
  userId: string;
  /** Trimmed and upper-cased. */
  vin: string;
  vinWarnings: VinWarning[];
  /** The mark code, such as `VAZ` or `BMW`. */
  mark: string;
  model: string;
  year: number;
  /** In the listing's currency, usually roubles. */
  price: number;
  currency?: string;
  /** In kilometres. */
  mileage: number;
  /** The seller's region by its geobase id, such as `213` for Moscow. */
  region: { id: string; name?: string };
  category: 'CARS';
  section: 'USED';
}

/** The oldest model year accepted: the first production car. */
const MIN_YEAR = 1886;

const USER_REF = /^user:([A-Za-z0-9_-]{1,64})$/;

/**
 * Build a schema for a number that the API sends as a JSON number or, sometimes, as a string of
 * digits. Strings with spaces, currency signs or separators are rejected, because guessing
 * their meaning could misread a price by a factor of a thousand.
 */
function numeric(notANumber: string) {
  return z.unknown().transform((value, context) => {
    if (value === undefined || value === null) {
      context.addIssue({ code: 'custom', message: 'required', input: value });
      return z.NEVER;
    }
    if (typeof value === 'number' && Number.isFinite(value)) {
      return value;
    }
    if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) {
      return Number(value.trim());
    }
    context.addIssue({ code: 'custom', message: notANumber, input: value });
    return z.NEVER;
  });
}

const requiredText = z.string().trim().min(1, { error: 'required' });

function offerSchema(now: Date) {
  const maxYear = now.getUTCFullYear() + 1;
  return z.object({
    id: requiredText.max(64).regex(/^[A-Za-z0-9_-]+$/, { error: 'invalid_format' }),
    category: z.string().refine((value) => value.trim().toUpperCase() === 'CARS', { error: 'category_not_cars' }),
    section: z.string().refine((value) => value.trim().toUpperCase() === 'USED', { error: 'section_not_used' }),
    user_ref: z.string().regex(USER_REF, { error: 'user_ref_format' }),
    car_info: z.object({
      mark: requiredText.max(64),
      model: requiredText.max(64),
    }),
    documents: z.object({
      vin: z.string(),
      year: numeric('wrong_type').pipe(
        z.number().int({ error: 'wrong_type' }).min(MIN_YEAR, { error: 'year_out_of_range' }).max(maxYear, { error: 'year_out_of_range' }),
      ),
    }),
    price_info: z.object({
      price: numeric('price_not_a_number').pipe(z.number().positive({ error: 'price_not_positive' })),
      currency: z.string().optional(),
    }),
    state: z.object({
      mileage: numeric('wrong_type').pipe(z.number().int({ error: 'wrong_type' }).min(0, { error: 'mileage_negative' })),
    }),
    seller: z.object({
      location: z.object({
        geobase_id: z.union([z.string(), z.number()]).optional(),
        region_info: z.object({ id: z.union([z.string(), z.number()]).optional(), name: z.string().optional() }).optional(),
      }),
    }),
  });
}

/**
 * Parse and validate an offer. Throws a ValidationError naming the first wrong field as
 * `offer.<path>`, such as `offer.price_info.price`. When `sellerId` is given, the offer's
 * `user_ref` must name that seller, so a seller cannot submit another seller's listing.
 */
export function parseOffer(raw: unknown, options: { sellerId?: string; now?: Date } = {}): ParsedOffer {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError('offer', 'wrong_type', { expected: 'object' });
  }
  const parsed = offerSchema(options.now ?? new Date()).safeParse(raw, REASON_PARSE_OPTIONS);
  if (!parsed.success) {
    throw validationErrorFromIssues(parsed.error.issues, 'offer');
  }
  const offer = parsed.data;

  const userId = USER_REF.exec(offer.user_ref)![1]!;
  if (options.sellerId !== undefined && userId !== options.sellerId) {
    throw new ValidationError('offer.user_ref', 'user_ref_mismatch', { value: offer.user_ref });
  }

  const { vin, warnings } = validateVin(offer.documents.vin, 'offer.documents.vin');

  const location = offer.seller.location;
  const regionId = location.region_info?.id ?? location.geobase_id;
  if (regionId === undefined || String(regionId).trim() === '') {
    throw new ValidationError('offer.seller.location.region_info.id', 'region_missing');
  }

  return {
    id: offer.id,
    userId,
    vin,
    vinWarnings: warnings,
    mark: offer.car_info.mark.toUpperCase(),
    model: offer.car_info.model,
    year: offer.documents.year,
    price: offer.price_info.price,
    currency: offer.price_info.currency,
    mileage: offer.state.mileage,
    region: { id: String(regionId).trim(), name: location.region_info?.name },
    category: 'CARS',
    section: 'USED',
  };
}
