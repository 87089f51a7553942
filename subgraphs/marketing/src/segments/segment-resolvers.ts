import { mutationPayload, requirePermission } from '@joinery/core';
import { audienceScopes, requireSegmentation } from '../access/customer-access';
import { requireEveryLocation } from '../access/scope';
import type { Resolvers } from '../generated/resolvers-types';

/** Thin: each resolver checks the caller (src/access) and translates GraphQL to one call on the SegmentService (context.segments) or the refresher. */
export const segmentQueries: NonNullable<Resolvers['Query']> = {
  customerSegments: (_root, { locationId }, { segments, identity }) => {
    requireSegmentation(identity, locationId, 'customerSegments');
    return segments.report(locationId);
  },
  customerRfm: (_root, { customerId, locationId }, { segments, identity }) => {
    requireSegmentation(identity, locationId, 'customerRfm');
    return segments.customer(customerId, locationId);
  },
  segmentCustomers: (_root, { segment, locationId, ...page }, { segments, identity }) => {
    requireSegmentation(identity, locationId, 'segmentCustomers');
    return segments.customers(segment, locationId, page);
  },
};

export const segmentMutations: NonNullable<Resolvers['Mutation']> = {
  // A refresh scores every location's customers and fires the rules of customers entering a
  // segment (webhooks, campaign actions, store tasks): a change, for those who manage automation
  // (admin, marketer) over every location. Analysts change nothing.
  refreshCustomerSegments: (_root, _args, { refreshSegments, identity }) => {
    requirePermission(identity, 'automation:manage');
    requireEveryLocation(identity, 'refreshCustomerSegments scores every location\'s customers');
    return mutationPayload(async () => ({ refresh: await refreshSegments() }));
  },
};

export const segmentCampaignFields: NonNullable<Resolvers['Campaign']> = {
  targetSegments: (campaign) => campaign.targetSegments ?? [],
  audience: (campaign, args, { segments, identity }) => segments.audience(campaign, args, audienceScopes(identity, campaign)),
};

export const segmentTypes: Pick<Resolvers, 'CustomerRfm'> = {
  CustomerRfm: {
    location: (rfm) => (rfm.locationId ? { id: rfm.locationId } : null),
  },
};
