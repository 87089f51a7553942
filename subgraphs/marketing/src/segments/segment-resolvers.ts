import { mutationPayload } from '@joinery/core';
import type { Resolvers } from '../generated/resolvers-types';

/** Thin: each resolver translates GraphQL to one call on the SegmentService (context.segments) or the refresher. */
export const segmentQueries: NonNullable<Resolvers['Query']> = {
  customerSegments: (_root, { locationId }, { segments }) => segments.report(locationId),
  customerRfm: (_root, { customerId, locationId }, { segments }) => segments.customer(customerId, locationId),
  segmentCustomers: (_root, { segment, locationId, ...page }, { segments }) => segments.customers(segment, locationId, page),
};

export const segmentMutations: NonNullable<Resolvers['Mutation']> = {
  refreshCustomerSegments: (_root, _args, { refreshSegments }) => mutationPayload(async () => ({ refresh: await refreshSegments() })),
};

export const segmentCampaignFields: NonNullable<Resolvers['Campaign']> = {
  targetSegments: (campaign) => campaign.targetSegments ?? [],
  audience: (campaign, args, { segments }) => segments.audience(campaign, args),
};

export const segmentTypes: Pick<Resolvers, 'CustomerRfm'> = {
  CustomerRfm: {
    location: (rfm) => (rfm.locationId ? { id: rfm.locationId } : null),
  },
};
