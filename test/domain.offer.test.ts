import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/domain/errors.js';
import { parseOffer } from '../src/domain/offer.js';
import { INVALID_FIXTURES, loadOffer, offerWith, VALID_FIXTURES } from './support/api.js';

const EXPECTED: Record<string, { field: string; reason: string }> = {
  'category-trucks.json': { field: 'offer.category', reason: 'category_not_cars' },
  'id-missing.json': { field: 'offer.id', reason: 'required' },
  'mileage-negative.json': { field: 'offer.state.mileage', reason: 'mileage_negative' },
  'price-not-a-number.json': { field: 'offer.price_info.price', reason: 'price_not_a_number' },
  'section-new.json': { field: 'offer.section', reason: 'section_not_used' },
  'vin-missing.json': { field: 'offer.documents.vin', reason: 'required' },
  'vin-too-short.json': { field: 'offer.documents.vin', reason: 'vin_length' },
  'vin-with-letter-o.json': { field: 'offer.documents.vin', reason: 'vin_forbidden_letter' },
};

function rejection(raw: unknown, options: { sellerId?: string } = {}): ValidationError {
  try {
    parseOffer(raw, options);
  } catch (error) {
    if (error instanceof ValidationError) {
      return error;
    }
    throw error;
  }
  throw new Error('The offer was accepted.');
}

describe('parseOffer', () => {
  it.each(VALID_FIXTURES)('accepts %s', (name) => {
    const offer = loadOffer(name);
    const parsed = parseOffer(offer);
    expect(parsed.id).toBe(offer.id);
    expect(parsed.category).toBe('CARS');
    expect(parsed.section).toBe('USED');
  });

  it('reads every field of the lada', () => {
    expect(parseOffer(loadOffer('lada-vesta-2018.json'), { sellerId: '41872156' })).toEqual({
      id: '1114782187-3302e085',
      userId: '41872156',
      vin: 'XTAGFK330JY144213',
      vinWarnings: [{ code: 'VIN_CHECK_DIGIT_MISMATCH', expected: '6', actual: '0' }],
      mark: 'VAZ',
      model: 'VESTA',
      year: 2018,
      price: 1050000,
      currency: 'RUR',
      mileage: 84000,
      region: { id: '213', name: 'Москва' },
      category: 'CARS',
      section: 'USED',
    });
  });

  it('reads a price sent as a string', () => {
    expect(parseOffer(loadOffer('kia-rio-2021.json')).price).toBe(1480000);
  });

  it.each(INVALID_FIXTURES)('rejects %s naming the field', (name) => {
    const error = rejection(loadOffer(`invalid/${name}`));
    expect(error.field).toBe(EXPECTED[name]!.field);
    expect(error.reason).toBe(EXPECTED[name]!.reason);
  });

  it('rejects another seller’s offer', () => {
    const error = rejection(loadOffer('lada-vesta-2018.json'), { sellerId: '50321778' });
    expect(error.field).toBe('offer.user_ref');
    expect(error.reason).toBe('user_ref_mismatch');
  });

  it('rejects a malformed user_ref', () => {
    const offer = { ...loadOffer('lada-vesta-2018.json'), user_ref: 'dealer:1' };
    expect(rejection(offer).reason).toBe('user_ref_format');
  });

  it('rejects a zero price', () => {
    expect(rejection(offerWith('lada-vesta-2018.json', { price: 0 })).reason).toBe('price_not_positive');
  });

  it('rejects a price with separators', () => {
    expect(rejection(offerWith('lada-vesta-2018.json', { price: '1,050,000' })).reason).toBe('price_not_a_number');
  });

  it('rejects a future model year', () => {
    const error = rejection(offerWith('lada-vesta-2018.json', { year: new Date().getUTCFullYear() + 2 }));
    expect(error.field).toBe('offer.documents.year');
    expect(error.reason).toBe('year_out_of_range');
  });

  it('rejects an offer without a region', () => {
    const offer = loadOffer('lada-vesta-2018.json') as any;
    offer.seller.location = { address: 'Москва' };
    const error = rejection(offer);
    expect(error.field).toBe('offer.seller.location.region_info.id');
    expect(error.reason).toBe('region_missing');
  });

  it('rejects an offer that is not an object', () => {
    expect(rejection([1, 2]).field).toBe('offer');
  });

  it('rejects a missing mark', () => {
    const offer = loadOffer('lada-vesta-2018.json') as any;
    delete offer.car_info.mark;
    const error = rejection(offer);
    expect(error.field).toBe('offer.car_info.mark');
    expect(error.reason).toBe('required');
  });
});
