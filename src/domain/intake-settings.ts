import { z } from 'zod';
import type { Transaction } from '../db/prisma.js';
import type { Actor } from './actor.js';
import type { ParsedOffer } from './offer.js';
import { REASON_PARSE_OPTIONS, validationErrorFromIssues } from './validation.js';

/**
 * The operators' controls over intake: a kill switch that closes it, and a global filter that
 * narrows it to some regions, marks, model years, prices and mileages. Every change is a new
 * row, so the table is also the record of who changed intake and when.
 */

export const FILTER_DIMENSIONS = ['region', 'mark', 'year', 'price', 'mileage'] as const;

export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

/** Offers that may go to auction. An empty list or a missing bound does not restrict. */
export interface GlobalFilter {
  /** Geobase region ids of the seller's location, such as `213` for Moscow. */
  regions: string[];
  /** Mark codes as the classifieds site spells them, such as `VAZ` or `BMW`. */
  marks: string[];
  yearMin?: number;
  yearMax?: number;
  /** In roubles, inclusive. */
  priceMin?: number;
  priceMax?: number;
  /** In kilometres, inclusive. */
  mileageMax?: number;
}

export interface IntakeSettingsVersion {
  /** Null for the built-in default, before anyone has changed the settings. */
  id: bigint | null;
  /** Whether intake is closed: no new applications at all. */
  turnOff: boolean;
  globalFilter: GlobalFilter;
  /** The service that wrote this version. */
  changedBy: string;
  createdAt: Date | null;
}

/** The settings in force until an operator changes them: intake open to every offer. */
export const DEFAULT_INTAKE_SETTINGS: IntakeSettingsVersion = {
  id: null,
  turnOff: false,
  globalFilter: { regions: [], marks: [] },
  changedBy: 'default',
  createdAt: null,
};

const codeList = z
  .array(z.string().trim().min(1).max(64))
  .max(1000)
  .default([])
  .transform((values) => [...new Set(values.map((value) => value.toUpperCase()))]);

const year = z.number().int().min(1886).max(3000);
const amount = z.number().int().min(0);

const globalFilterSchema = z
  .strictObject({
    regions: codeList,
    marks: codeList,
    yearMin: year.optional(),
    yearMax: year.optional(),
    priceMin: amount.optional(),
    priceMax: amount.optional(),
    mileageMax: amount.optional(),
  })
  .check((context) => {
    const filter = context.value;
    for (const [min, max] of [['yearMin', 'yearMax'], ['priceMin', 'priceMax']] as const) {
      const low = filter[min];
      const high = filter[max];
      if (low !== undefined && high !== undefined && low > high) {
        context.issues.push({ code: 'custom', message: 'range_reversed', path: [min], input: low });
      }
    }
  });

/**
 * Validate a global filter. Throws a ValidationError naming the field, such as
 * `globalFilter.yearMin`. Region ids and mark codes are upper-cased and deduplicated.
 */
export function parseGlobalFilter(raw: unknown, field = 'globalFilter'): GlobalFilter {
  const parsed = globalFilterSchema.safeParse(raw ?? {}, REASON_PARSE_OPTIONS);
  if (!parsed.success) {
    throw validationErrorFromIssues(parsed.error.issues, field);
  }
  const filter: GlobalFilter = { regions: parsed.data.regions, marks: parsed.data.marks };
  for (const key of ['yearMin', 'yearMax', 'priceMin', 'priceMax', 'mileageMax'] as const) {
    if (parsed.data[key] !== undefined) {
      filter[key] = parsed.data[key];
    }
  }
  return filter;
}

/** Read the settings in force: the newest version, or the default when there is none. */
export async function readIntakeSettings(db: Transaction): Promise<IntakeSettingsVersion> {
  const row = await db.intakeSettings.findFirst({ orderBy: { id: 'desc' } });
  if (!row) {
    return DEFAULT_INTAKE_SETTINGS;
  }
  let globalFilter: GlobalFilter;
  try {
    globalFilter = parseGlobalFilter(row.globalFilter);
  } catch (error) {
    throw new Error(`Intake settings version ${row.id} contains an invalid global filter. Write a new version with setIntakeSettings.`, { cause: error });
  }
  return { id: row.id, turnOff: row.turnOff, globalFilter, changedBy: row.changedBy, createdAt: row.createdAt };
}

/**
 * Write a new version of the settings. A value left out keeps the current one, so closing
 * intake does not reset the filter. An advisory lock orders concurrent writers, so neither
 * overwrites the other's change with a stale copy.
 */
export async function writeIntakeSettings(
  tx: Transaction,
  input: { turnOff?: boolean; globalFilter?: unknown; actor: Actor },
): Promise<IntakeSettingsVersion> {
  const globalFilter = input.globalFilter === undefined ? undefined : parseGlobalFilter(input.globalFilter);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('intake_settings'))`;
  const current = await readIntakeSettings(tx);
  const row = await tx.intakeSettings.create({
    data: {
      turnOff: input.turnOff ?? current.turnOff,
      globalFilter: { ...(globalFilter ?? current.globalFilter) },
      changedBy: input.actor.id,
    },
  });
  return { id: row.id, turnOff: row.turnOff, globalFilter: globalFilter ?? current.globalFilter, changedBy: row.changedBy, createdAt: row.createdAt };
}

/** The dimension of the filter an offer does not match, with the offer's value and the allowed ones. */
export interface FilterMismatch {
  dimension: FilterDimension;
  value: string | number;
  /** The allowed values of a list dimension. */
  allowed?: string[];
  min?: number;
  max?: number;
}

/** Check an offer against the filter, dimension by dimension in a fixed order. */
export function findFilterMismatch(filter: GlobalFilter, offer: ParsedOffer): FilterMismatch | undefined {
  if (filter.regions.length > 0 && !filter.regions.includes(offer.region.id.toUpperCase())) {
    return { dimension: 'region', value: offer.region.name ?? offer.region.id, allowed: filter.regions };
  }
  if (filter.marks.length > 0 && !filter.marks.includes(offer.mark.toUpperCase())) {
    return { dimension: 'mark', value: offer.mark, allowed: filter.marks };
  }
  if (outside(offer.year, filter.yearMin, filter.yearMax)) {
    return { dimension: 'year', value: offer.year, min: filter.yearMin, max: filter.yearMax };
  }
  if (outside(offer.price, filter.priceMin, filter.priceMax)) {
    return { dimension: 'price', value: offer.price, min: filter.priceMin, max: filter.priceMax };
  }
  if (outside(offer.mileage, undefined, filter.mileageMax)) {
    return { dimension: 'mileage', value: offer.mileage, max: filter.mileageMax };
  }
  return undefined;
}

function outside(value: number, min: number | undefined, max: number | undefined): boolean {
  return (min !== undefined && value < min) || (max !== undefined && value > max);
}
