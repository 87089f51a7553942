import { mutationPayload } from '@joinery/core';
import type { CampaignResolvers, MutationResolvers, QueryResolvers, Resolvers } from '../generated/resolvers-types';
import { ENGAGEMENT_PATH_PREFIX } from './engagement-route';

const webhookQueries: QueryResolvers = {
  webhookEndpoint: (_root, { id }, { webhooks }) => webhooks.endpoints.endpoint(id),
  webhookEndpoints: (_root, args, { webhooks }) => webhooks.endpoints.list(args),
  webhookDelivery: (_root, { id }, { webhooks }) => webhooks.endpoints.delivery(id),
  engagementSource: (_root, { id }, { webhooks }) => webhooks.engagement.source(id),
  engagementSources: (_root, args, { webhooks }) => webhooks.engagement.sources(args),
  touchpoints: (_root, args, { webhooks }) => webhooks.engagement.touchpoints(args, args.filter ?? {}),
  inboundWebhookRejections: (_root, args, { webhooks }) => webhooks.engagement.rejections(args),
};

const webhookMutations: MutationResolvers = {
  createWebhookEndpoint: (_root, { input }, { webhooks }) => mutationPayload(() => webhooks.endpoints.create(input)),
  updateWebhookEndpoint: (_root, { input }, { webhooks }) => mutationPayload(() => webhooks.endpoints.update(input)),
  rotateWebhookSecret: (_root, { input }, { webhooks }) => mutationPayload(() => webhooks.endpoints.rotateSecret(input)),
  deleteWebhookEndpoint: (_root, { input }, { webhooks }) => mutationPayload(() => webhooks.endpoints.delete(input)),
  createEngagementSource: (_root, { input }, { webhooks }) => mutationPayload(() => webhooks.engagement.createSource(input)),
  rotateEngagementSourceSecret: (_root, { input }, { webhooks }) => mutationPayload(() => webhooks.engagement.rotateSourceSecret(input)),
};

const campaignFields: Pick<CampaignResolvers, 'touchpoints'> = {
  touchpoints: (campaign, args, { webhooks }) => webhooks.engagement.touchpoints(args, { campaignIds: [campaign.id] }),
};

/** Thin, like the rest: merged into resolvers.ts with one spread per root type. */
export const webhookResolvers = {
  Query: webhookQueries,
  Mutation: webhookMutations,
  Campaign: campaignFields,
  types: {
    WebhookEndpoint: {
      hasAuthorizationHeader: (endpoint) => endpoint.authorizationHeader !== null,
      deliveries: (endpoint, args, { webhooks }) => webhooks.endpoints.deliveries(endpoint.id, args),
    },
    WebhookDelivery: {
      endpoint: async (delivery, _args, { webhooks }) => (await webhooks.endpoints.endpointEvenIfDeleted(delivery.endpointId))!,
      attempts: (delivery, _args, { webhooks }) => webhooks.endpoints.attempts(delivery.id),
    },
    EngagementSource: {
      path: (source) => `${ENGAGEMENT_PATH_PREFIX}${source.id}`,
    },
    Touchpoint: {
      campaign: (touchpoint, _args, { campaigns }) => (touchpoint.campaignId ? campaigns.campaign(touchpoint.campaignId) : null),
      source: async (touchpoint, _args, { webhooks }) => (await webhooks.engagement.source(touchpoint.sourceId))!,
    },
    InboundWebhookRejection: {
      httpStatus: (rejection) => rejection.status,
      source: (rejection, _args, { webhooks }) => (rejection.sourceId ? webhooks.engagement.source(rejection.sourceId) : null),
    },
  } satisfies Resolvers,
};
