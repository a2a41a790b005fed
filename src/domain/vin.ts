import { ValidationError } from './errors.js';

/**
 * Vehicle identification numbers (ISO 3779): 17 characters from A-Z and 0-9 without I, O and Q,
 * which are left out because they read like 1 and 0.
 */

export const VIN_LENGTH = 17;

const FORBIDDEN_LETTERS = new Set(['I', 'O', 'Q']);

/**
 * Values of letters in the North American check digit scheme (49 CFR 565), which ISO 3779
 * describes as optional: digits count as themselves.
 */
const TRANSLITERATION: Record<string, number> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
};

const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** Position of the check digit, counted from 0. */
const CHECK_DIGIT_INDEX = 8;

/** Something odd about a VIN that is still accepted. */
export interface VinWarning {
  code: 'VIN_CHECK_DIGIT_MISMATCH';
  /** The check digit the VIN's other characters give. */
  expected: string;
  /** The character at position 9. */
  actual: string;
}

export interface ValidatedVin {
  vin: string;
  warnings: VinWarning[];
}

/** Trim and upper-case a VIN as sellers type it. */
export function normalizeVin(raw: string): string {
  return raw.trim().toUpperCase();
}

/**
 * Normalize and validate a VIN. Throws a ValidationError on `field` when it is not 17
 * characters of A-Z and 0-9 without I, O and Q. A wrong check digit is only a warning, because
 * only North American VINs must carry one: Russian and most European VINs legitimately fail it.
 */
export function validateVin(raw: string, field = 'vin'): ValidatedVin {
  const vin = normalizeVin(raw);
  if (vin.length === 0) {
    throw new ValidationError(field, 'required');
  }
  if (vin.length !== VIN_LENGTH) {
    throw new ValidationError(field, 'vin_length', { value: vin, length: vin.length });
  }
  for (const [index, character] of [...vin].entries()) {
    if (FORBIDDEN_LETTERS.has(character)) {
      throw new ValidationError(field, 'vin_forbidden_letter', { value: vin, character, position: index + 1 });
    }
    if (!/^[A-Z0-9]$/.test(character)) {
      throw new ValidationError(field, 'vin_invalid_character', { value: vin, character, position: index + 1 });
    }
  }

  const expected = checkDigit(vin);
  const actual = vin[CHECK_DIGIT_INDEX]!;
  const warnings: VinWarning[] = expected === actual ? [] : [{ code: 'VIN_CHECK_DIGIT_MISMATCH', expected, actual }];
  return { vin, warnings };
}

/** Compute the check digit of a 17-character VIN of valid characters: `0`-`9` or `X` for 10. */
export function checkDigit(vin: string): string {
  let sum = 0;
  for (const [index, character] of [...vin].entries()) {
    const value = /[0-9]/.test(character) ? Number(character) : TRANSLITERATION[character]!;
    sum += value * WEIGHTS[index]!;
  }
  const remainder = sum % 11;
  return remainder === 10 ? 'X' : String(remainder);
}
