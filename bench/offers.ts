/**
 * Offers for load: every one with its own valid VIN and offer id, in the classifieds site's API
 * shape that createApplication takes.
 */

const VIN_ALPHABET = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';
const TRANSLITERATION: Record<string, number> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
};
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** Compute the North American check digit (position 9, 49 CFR 565) of a 17-character VIN. */
export function vinCheckDigit(vin: string): string {
  let sum = 0;
  for (let index = 0; index < 17; index += 1) {
    const character = vin[index]!;
    const value = /\d/.test(character) ? Number(character) : TRANSLITERATION[character];
    if (value === undefined) {
      throw new Error(`VIN ${vin} has the invalid character ${character} at position ${index + 1}: VINs use digits and letters other than I, O and Q.`);
    }
    sum += value * WEIGHTS[index]!;
  }
  const remainder = sum % 11;
  return remainder === 10 ? 'X' : String(remainder);
}

/**
 * Make a valid VIN from a number: each number below 33^6 (about 1.3 billion) gives a different
 * car. `series` (0 to 32) fills the plant position, so that runs on one database stay apart.
 */
export function makeVin(serial: number, series = 0): string {
  if (!Number.isInteger(serial) || serial < 0 || serial >= VIN_ALPHABET.length ** 6) {
    throw new Error(`VIN serial ${serial} is out of range: expected a whole number from 0 to ${VIN_ALPHABET.length ** 6 - 1}.`);
  }
  let tail = '';
  for (let rest = serial, index = 0; index < 6; index += 1) {
    tail = VIN_ALPHABET[rest % VIN_ALPHABET.length] + tail;
    rest = Math.floor(rest / VIN_ALPHABET.length);
  }
  // Manufacturer and descriptor, a placeholder check digit, model year 2019 (K), plant, serial.
  const draft = `XW8ZZZ610K${VIN_ALPHABET[series % VIN_ALPHABET.length]}${tail}`;
  return `${draft.slice(0, 8)}${vinCheckDigit(draft)}${draft.slice(9)}`;
}

/** Return the id of seller number `sellerIndex`, as the `X-User-Id` header carries it. */
export function sellerId(sellerIndex: number): string {
  return `bench-seller-${sellerIndex}`;
}

/** Make a used-car offer of one seller, with the VIN and offer id of `serial`. */
export function makeOffer(serial: number, userId: string, series = 0): Record<string, unknown> {
  const vin = makeVin(serial, series);
  return {
    id: `${1_200_000_000 + serial}-${vin.slice(-8).toLowerCase()}`,
    category: 'CARS',
    section: 'USED',
    status: 'ACTIVE',
    user_ref: `user:${userId}`,
    car_info: {
      mark: 'SKODA',
      model: 'OCTAVIA',
      body_type: 'LIFTBACK',
      engine_type: 'GASOLINE',
      transmission: 'AUTOMATIC',
      horse_power: 150,
      steering_wheel: 'LEFT',
    },
    documents: { vin, year: 2019, owners_number: 1, pts: 'ORIGINAL', custom_cleared: true },
    price_info: { price: 1_650_000, currency: 'RUR', rur_price: 1_650_000 },
    state: { mileage: 64_000, condition: 'CONDITION_OK' },
    seller: {
      name: 'Seller',
      location: { address: 'Moscow, Tverskaya street, 1', geobase_id: '213', region_info: { id: '213', name: 'Moscow' } },
    },
  };
}
