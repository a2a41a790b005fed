import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/domain/errors.js';
import { checkDigit, normalizeVin, validateVin } from '../src/domain/vin.js';

function rejection(raw: string): ValidationError {
  try {
    validateVin(raw, 'offer.documents.vin');
  } catch (error) {
    return error as ValidationError;
  }
  throw new Error(`VIN ${raw} was accepted.`);
}

describe('validateVin', () => {
  it('trims and upper-cases', () => {
    expect(normalizeVin('  xtagfk330jy144213\t')).toBe('XTAGFK330JY144213');
    expect(validateVin(' wbazv41070l123458 ').vin).toBe('WBAZV41070L123458');
  });

  it('accepts a valid check digit silently', () => {
    expect(validateVin('1M8GDM9AXKP042788').warnings).toEqual([]);
  });

  it('warns on a failed check digit', () => {
    expect(validateVin('XTAGFK330JY144213').warnings).toEqual([{ code: 'VIN_CHECK_DIGIT_MISMATCH', expected: '6', actual: '0' }]);
  });

  it('rejects a short VIN', () => {
    const error = rejection('XTAGFK330JY1442');
    expect(error.field).toBe('offer.documents.vin');
    expect(error.reason).toBe('vin_length');
    expect(error.params.length).toBe(15);
  });

  it('rejects a long VIN', () => {
    expect(rejection('XTAGFK330JY1442133').reason).toBe('vin_length');
  });

  it('rejects an empty VIN', () => {
    expect(rejection('   ').reason).toBe('required');
  });

  it.each([
    ['I', 'XTAGFK33IJY144213'],
    ['O', 'XTAGFK33OJY144213'],
    ['Q', 'XTAGFK33QJY144213'],
  ])('rejects the letter %s', (letter, vin) => {
    const error = rejection(vin);
    expect(error.reason).toBe('vin_forbidden_letter');
    expect(error.params.character).toBe(letter);
    expect(error.params.position).toBe(9);
  });

  it('rejects a lower-case forbidden letter', () => {
    expect(rejection('xtagfk33ojy144213').reason).toBe('vin_forbidden_letter');
  });

  it('rejects other characters', () => {
    const error = rejection('XTAGFK33-JY144213');
    expect(error.reason).toBe('vin_invalid_character');
    expect(error.params.character).toBe('-');
  });

  it('rejects Cyrillic look-alikes', () => {
    // "ХТА" typed in Cyrillic looks like the Latin "XTA".
    expect(rejection('ХТАGFK330JY144213').reason).toBe('vin_invalid_character');
  });
});

describe('checkDigit', () => {
  it('computes X for ten', () => {
    expect(checkDigit('1M8GDM9A0KP042788')).toBe('X');
  });
});
