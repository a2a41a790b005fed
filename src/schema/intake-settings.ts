import { actorOf } from '../auth/caller.js';
import { ValidationError } from '../domain/errors.js';
import { readIntakeSettings, writeIntakeSettings, type GlobalFilter, type IntakeSettingsVersion } from '../domain/intake-settings.js';
import { builder, internalOnly } from './builder.js';
import { AUTH_ERRORS } from './errors.js';

const GlobalFilterRef = builder.objectRef<GlobalFilter>('GlobalFilter').implement({
  description: 'Offers that may go to auction. An empty list or a null bound does not restrict.',
  fields: (t) => ({
    regions: t.exposeStringList('regions', { description: 'Geobase region ids of the seller location, such as 213 for Moscow.' }),
    marks: t.exposeStringList('marks', { description: 'Mark codes, such as VAZ or BMW.' }),
    yearMin: t.exposeInt('yearMin', { nullable: true }),
    yearMax: t.exposeInt('yearMax', { nullable: true }),
    priceMin: t.exposeInt('priceMin', { nullable: true, description: 'In roubles, inclusive.' }),
    priceMax: t.exposeInt('priceMax', { nullable: true, description: 'In roubles, inclusive.' }),
    mileageMax: t.exposeInt('mileageMax', { nullable: true, description: 'In kilometres, inclusive.' }),
  }),
});

const IntakeSettingsRef = builder.objectRef<IntakeSettingsVersion>('IntakeSettings').implement({
  description: 'The kill switch and the global filter in force.',
  fields: (t) => ({
    version: t.string({ nullable: true, description: 'Null until the settings are first changed.', resolve: (settings) => settings.id?.toString() ?? null }),
    turnOff: t.exposeBoolean('turnOff', { description: 'True while intake of new applications is closed.' }),
    globalFilter: t.field({ type: GlobalFilterRef, resolve: (settings) => settings.globalFilter }),
    changedBy: t.exposeString('changedBy'),
    changedAt: t.field({ type: 'DateTime', nullable: true, resolve: (settings) => settings.createdAt }),
  }),
});

const GlobalFilterInput = builder.inputType('GlobalFilterInput', {
  description: 'A whole new filter: fields left out do not restrict.',
  fields: (t) => ({
    regions: t.stringList({ required: false }),
    marks: t.stringList({ required: false }),
    yearMin: t.int({ required: false }),
    yearMax: t.int({ required: false }),
    priceMin: t.int({ required: false }),
    priceMax: t.int({ required: false }),
    mileageMax: t.int({ required: false }),
  }),
});

const SetIntakeSettingsPayload = builder.objectRef<{ settings: IntakeSettingsVersion }>('SetIntakeSettingsPayload').implement({
  fields: (t) => ({
    settings: t.field({ type: IntakeSettingsRef, resolve: (payload) => payload.settings }),
  }),
});

builder.queryField('intakeSettings', (t) =>
  t.field({
    type: IntakeSettingsRef,
    ...internalOnly,
    errors: { types: [...AUTH_ERRORS], directResult: true, union: { name: 'IntakeSettingsResult' } },
    resolve: (_root, _args, context) => readIntakeSettings(context.service.db.prisma),
  }),
);

builder.mutationField('setIntakeSettings', (t) =>
  t.field({
    type: SetIntakeSettingsPayload,
    description: 'Close or reopen intake, or replace the global filter. An argument left out keeps its current value.',
    ...internalOnly,
    errors: { types: [ValidationError, ...AUTH_ERRORS], directResult: true, union: { name: 'SetIntakeSettingsResult' } },
    args: {
      turnOff: t.arg.boolean({ required: false, description: 'True closes intake; false reopens it.' }),
      globalFilter: t.arg({ type: GlobalFilterInput, required: false }),
    },
    resolve: async (_root, args, context) => {
      const globalFilter = args.globalFilter
        ? Object.fromEntries(Object.entries(args.globalFilter).filter(([, value]) => value !== null && value !== undefined))
        : undefined;
      const settings = await context.service.db.prisma.$transaction((tx) =>
        writeIntakeSettings(tx, { turnOff: args.turnOff ?? undefined, globalFilter, actor: actorOf(context.caller) }),
      );
      context.logger.info(
        { intakeSettingsVersion: settings.id?.toString(), turnOff: settings.turnOff, globalFilter: settings.globalFilter },
        `Intake settings version ${settings.id} was written by ${settings.changedBy}: intake is ${settings.turnOff ? 'closed' : 'open'}.`,
      );
      return { settings };
    },
  }),
);
