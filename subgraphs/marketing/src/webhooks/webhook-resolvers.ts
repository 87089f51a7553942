import { mutationPayload } from '@joinery/core';
import { requireTouchpoints } from '../access/customer-access';
import { requireCampaignRead } from '../access/campaign-access';
import { requireWebhooks } from '../access/webhook-access';
import type { CampaignResolvers, MutationResolvers, QueryResolvers, Resolvers } from '../generated/resolvers-types';
import { ENGAGEMENT_PATH_PREFIX } from './engagement-route';

const webhookQueries: QueryResolvers = {
  webhookEndpoint: (_root, { id }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:read', 'endpoints');
    return webhooks.endpoints.endpoint(id);
  },
  webhookEndpoints: (_root, args, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:read', 'endpoints');
    return webhooks.endpoints.list(args);
  },
  webhookDelivery: (_root, { id }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:read', 'endpoints');
    return webhooks.endpoints.delivery(id);
  },
  engagementSource: (_root, { id }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:read', 'sources');
    return webhooks.engagement.source(id);
  },
  engagementSources: (_root, args, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:read', 'sources');
    return webhooks.engagement.sources(args);
  },
  touchpoints: (_root, args, { webhooks, identity }) => {
    requireTouchpoints(identity);
    return webhooks.engagement.touchpoints(args, args.filter ?? {});
  },
  inboundWebhookRejections: (_root, args, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:read', 'sources');
    return webhooks.engagement.rejections(args);
  },
};

/** Every change to endpoints and sources needs automation:manage over every location, checked before anything is read or written. */
const webhookMutations: MutationResolvers = {
  createWebhookEndpoint: (_root, { input }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:manage', 'endpoints');
    return mutationPayload(() => webhooks.endpoints.create(input));
  },
  updateWebhookEndpoint: (_root, { input }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:manage', 'endpoints');
    return mutationPayload(() => webhooks.endpoints.update(input));
  },
  rotateWebhookSecret: (_root, { input }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:manage', 'endpoints');
    return mutationPayload(() => webhooks.endpoints.rotateSecret(input));
  },
  deleteWebhookEndpoint: (_root, { input }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:manage', 'endpoints');
    return mutationPayload(() => webhooks.endpoints.delete(input));
  },
  createEngagementSource: (_root, { input }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:manage', 'sources');
    return mutationPayload(() => webhooks.engagement.createSource(input));
  },
  rotateEngagementSourceSecret: (_root, { input }, { webhooks, identity }) => {
    requireWebhooks(identity, 'automation:manage', 'sources');
    return mutationPayload(() => webhooks.engagement.rotateSourceSecret(input));
  },
};

const campaignFields: Pick<CampaignResolvers, 'touchpoints'> = {
  touchpoints: (campaign, args, { webhooks, identity }) => {
    requireTouchpoints(identity);
    return webhooks.engagement.touchpoints(args, { campaignIds: [campaign.id] });
  },
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
      campaign: async (touchpoint, _args, { campaigns, identity }) => (touchpoint.campaignId ? requireCampaignRead(identity, await campaigns.campaign(touchpoint.campaignId)) : null),
      source: async (touchpoint, _args, { webhooks, identity }) => {
        requireWebhooks(identity, 'automation:read', 'sources');
        return (await webhooks.engagement.source(touchpoint.sourceId))!;
      },
    },
    InboundWebhookRejection: {
      httpStatus: (rejection) => rejection.status,
      source: (rejection, _args, { webhooks }) => (rejection.sourceId ? webhooks.engagement.source(rejection.sourceId) : null),
    },
  } satisfies Resolvers,
};
