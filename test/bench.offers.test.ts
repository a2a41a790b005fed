import { describe, expect, it } from 'vitest';
import { makeOffer, makeVin, vinCheckDigit } from '../bench/offers.js';
import { validateVin } from '../src/domain/vin.js';

describe('bench offers', () => {
  it('makes VINs the service accepts without warnings', () => {
    const vins = [0, 1, 32, 33, 1_000, 123_456, 33 ** 6 - 1].map((serial) => makeVin(serial, 7));
    expect(vins.map((vin) => validateVin(vin).warnings)).toEqual(vins.map(() => []));
  });

  it('makes a different VIN per serial', () => {
    const vins = new Set(Array.from({ length: 5_000 }, (_, serial) => makeVin(serial)));
    expect(vins.size).toBe(5_000);
  });

  it('keeps series apart', () => {
    expect(makeVin(5, 1)).not.toBe(makeVin(5, 2));
  });

  it('computes a known check digit', () => {
    expect(vinCheckDigit('1M8GDM9AXKP042788')).toBe('X');
  });

  it('rejects a serial out of range', () => {
    expect(() => makeVin(33 ** 6)).toThrow(/out of range/);
  });

  it('puts the VIN and seller into the offer', () => {
    const offer = makeOffer(3, 'seller-1') as { documents: { vin: string }; user_ref: string };
    expect([offer.documents.vin, offer.user_ref]).toEqual([makeVin(3), 'user:seller-1']);
  });
});
