import { checkEligibility, type Eligibility } from '../domain/eligibility.js';
import { PartnerUnavailableError, ValidationError } from '../domain/errors.js';
import { parseOffer, type ParsedOffer } from '../domain/offer.js';
import { FINAL_STATUSES } from '../domain/statuses.js';
import { validateVin } from '../domain/vin.js';
import { builder, sellerOrService } from './builder.js';
import { AUTH_ERRORS, EligibilityCheckEnum, ErrorInterface } from './errors.js';
import { VinWarningRef } from './vin.js';

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
      type: ErrorInterface,
      nullable: true,
      description: 'Why the offer may not go to auction, with a message for the seller.',
      resolve: ({ eligibility }) => (eligibility.eligible ? null : eligibility.error),
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
