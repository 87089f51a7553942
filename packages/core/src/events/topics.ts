/** Every topic the subgraphs publish on (docs/events.md), for operator tools that list them all. */
export const EVENT_TOPICS = ['inventory.stock', 'inventory.transfers', 'inventory.returns', 'sales.orders', 'marketing'] as const;
