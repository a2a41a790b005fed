import type { VinWarning } from '../domain/vin.js';
import { translateWarning } from '../i18n/index.js';
import { builder } from './builder.js';

export const VinWarningRef = builder.objectRef<VinWarning>('VinWarning').implement({
  description: 'Something odd about a VIN that is still accepted.',
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.string({ resolve: (warning, _args, context) => translateWarning(warning, context.locale) }),
  }),
});
