import { checkEligibility, type Eligibility } from '../domain/eligibility.js';
import { PartnerUnavailableError, ValidationError } from '../domain/errors.js';
import { parseOffer, type ParsedOffer } from '../domain/offer.js';
import { FINAL_STATUSES } from '../domain/statuses.js';
import { validateVin } from '../domain/vin.js';
import { translateError } from '../i18n/index.js';
import { builder, sellerOrService } from './builder.js';
import { AUTH_ERRORS, EligibilityCheckEnum, ErrorCodeEnum } from './errors.js';
import { VinWarningRef } from './vin.js';

type Ineligibility = Extract<Eligibility, { eligible: false }>;

// The reason is an object of its own rather than the error itself, because graphql-js treats
// an Error returned by a resolver as a failure of the field.
const IneligibilityRef = builder.objectRef<Ineligibility>('Ineligibility').implement({
  description: 'The check that rejected an offer, and a message for the seller.',
  fields: (t) => ({
    check: t.field({ type: EligibilityCheckEnum, resolve: (ineligibility) => ineligibility.check }),
    code: t.field({ type: ErrorCodeEnum, resolve: (ineligibility) => ineligibility.error.code }),
    message: t.string({ resolve: (ineligibility, _args, context) => translateError(ineligibility.error, context.locale) }),
    dimension: t.string({
      nullable: true,
      description: 'The dimension of the global filter the offer did not match: region, mark, year, price or mileage.',
      resolve: (ineligibility) => (ineligibility.error.params.dimension === undefined ? null : String(ineligibility.error.params.dimension)),
    }),
  }),
});

const AuctionabilityRef = builder.objectRef<{ offer: ParsedOffer; eligibility: Eligibility }>('Auctionability').implement({
  description: 'Whether an offer may go to auction now, and if not, which check rejected it and why.',
  fields: (t) => ({
    auctionable: t.boolean({ resolve: ({ eligibility }) => eligibility.eligible }),
    failedCheck: t.field({
      type: EligibilityCheckEnum,
      nullable: true,
      resolve: ({ eligibility }) => (eligibility.eligible ? null : eligibility.check),
    }),
    reason: t.field({
      type: IneligibilityRef,
      nullable: true,
      description: 'Why the offer may not go to auction; null when it may.',
      resolve: ({ eligibility }) => (eligibility.eligible ? null : eligibility),
    }),
    vin: t.string({ resolve: ({ offer }) => offer.vin }),
    vinWarnings: t.field({ type: [VinWarningRef], resolve: ({ offer }) => offer.vinWarnings }),
  }),
});

builder.queryField('offerAuctionability', (t) =>
  t.field({
    type: AuctionabilityRef,
    description:
      'Check an offer against the kill switch, the global filter, active applications for its VIN and the trade-in service, in that order. A seller may check only their own offers.',
    ...sellerOrService,
    errors: {
      types: [ValidationError, PartnerUnavailableError, ...AUTH_ERRORS],
      directResult: true,
      union: { name: 'OfferAuctionabilityResult' },
    },
    args: { offer: t.arg({ type: 'JSONObject', required: true }) },
    resolve: async (_root, args, context) => {
      const sellerId = context.caller.kind === 'seller' ? context.caller.userId : undefined;
      const offer = parseOffer(args.offer, { sellerId });
      const eligibility = await checkEligibility(
        { db: context.service.db.prisma, tradeIn: context.service.integrations.tradeIn, logger: context.logger },
        offer,
        args.offer,
      );
      return { offer, eligibility };
    },
  }),
);

builder.queryField('hasActiveApplication', (t) =>
  t.boolean({
    description: 'Whether any seller has an active application for this VIN.',
    ...sellerOrService,
    errors: {
      types: [ValidationError, ...AUTH_ERRORS],
      union: { name: 'HasActiveApplicationResult' },
      result: { name: 'HasActiveApplicationSuccess' },
      dataField: { name: 'active' },
    },
    args: { vin: t.arg.string({ required: true }) },
    resolve: async (_root, args, context) => {
      const { vin } = validateVin(args.vin, 'vin');
      const active = await context.service.db.prisma.auctionApplication.findFirst({
        where: { vin, status: { notIn: [...FINAL_STATUSES] } },
        select: { id: true },
      });
      return active !== null;
    },
  }),
);
