import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../src/domain/errors.js';
import { findFilterMismatch, parseGlobalFilter, readIntakeSettings, writeIntakeSettings } from '../src/domain/intake-settings.js';
import { parseOffer } from '../src/domain/offer.js';
import { loadOffer } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const operator = { type: 'SERVICE' as const, id: 'operator' };
const lada = parseOffer(loadOffer('lada-vesta-2018.json'));

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

function rejection(raw: unknown): ValidationError {
  try {
    parseGlobalFilter(raw);
  } catch (error) {
    return error as ValidationError;
  }
  throw new Error('The filter was accepted.');
}

describe('parseGlobalFilter', () => {
  it('normalizes codes', () => {
    expect(parseGlobalFilter({ marks: [' vaz', 'VAZ', 'bmw'], regions: ['213'] })).toEqual({ marks: ['VAZ', 'BMW'], regions: ['213'] });
  });

  it('accepts an empty filter', () => {
    expect(parseGlobalFilter({})).toEqual({ regions: [], marks: [] });
  });

  it('rejects an unknown field', () => {
    const error = rejection({ colour: ['red'] });
    expect(error.field).toBe('globalFilter.colour');
    expect(error.reason).toBe('unknown_field');
  });

  it('rejects a reversed price range', () => {
    const error = rejection({ priceMin: 10, priceMax: 5 });
    expect(error.field).toBe('globalFilter.priceMin');
    expect(error.reason).toBe('range_reversed');
  });

  it('rejects a fractional year', () => {
    expect(rejection({ yearMin: 2010.5 }).field).toBe('globalFilter.yearMin');
  });
});

describe('findFilterMismatch', () => {
  it('passes an open filter', () => {
    expect(findFilterMismatch({ regions: [], marks: [] }, lada)).toBeUndefined();
  });

  it('reports the first mismatching dimension', () => {
    expect(findFilterMismatch({ regions: ['2'], marks: ['BMW'] }, lada)?.dimension).toBe('region');
  });

  it('shows the region name', () => {
    expect(findFilterMismatch({ regions: ['2'], marks: [] }, lada)).toEqual({ dimension: 'region', value: 'Москва', allowed: ['2'] });
  });

  it('treats bounds as inclusive', () => {
    expect(findFilterMismatch({ regions: [], marks: [], mileageMax: 84_000, priceMin: 1_050_000, priceMax: 1_050_000 }, lada)).toBeUndefined();
  });
});

describe('writeIntakeSettings', () => {
  it('reads the default before any write', async () => {
    const settings = await readIntakeSettings(db.prisma);
    expect(settings.id).toBeNull();
    expect(settings.turnOff).toBe(false);
  });

  it('keeps values left out', async () => {
    await db.prisma.$transaction((tx) => writeIntakeSettings(tx, { globalFilter: { marks: ['VAZ'] }, actor: operator }));
    await db.prisma.$transaction((tx) => writeIntakeSettings(tx, { turnOff: true, actor: operator }));

    const settings = await readIntakeSettings(db.prisma);
    expect(settings.turnOff).toBe(true);
    expect(settings.globalFilter.marks).toEqual(['VAZ']);
    expect(settings.changedBy).toBe('operator');
  });

  it('serializes concurrent writers', async () => {
    await Promise.all([
      db.prisma.$transaction((tx) => writeIntakeSettings(tx, { turnOff: false, actor: operator })),
      db.prisma.$transaction((tx) => writeIntakeSettings(tx, { globalFilter: { regions: ['43'] }, actor: operator })),
    ]);

    const settings = await readIntakeSettings(db.prisma);
    expect(settings.globalFilter.regions).toEqual(['43']);
  });
});
