import type { Connection } from '@joinery/core';
import type { RfmSegment } from '../generated/prisma/client';

/** One customer's RFM in one scope, as the graph reads it; decimals as text with 2 decimals. */
export interface CustomerRfmModel {
  customerId: string;
  /** Null: overall. */
  locationId: string | null;
  lastOrderAt: Date;
  recencyDays: number;
  frequency: number;
  monetary: string;
  recencyScore: number;
  frequencyScore: number;
  monetaryScore: number;
  segment: RfmSegment;
  segmentSince: Date;
  asOf: Date;
}

export interface CampaignAudienceMemberModel {
  customerId: string;
  matches: CustomerRfmModel[];
}

/** A page of a snapshot, with the snapshot's time. */
export type SnapshotConnection<T> = Connection<T> & { asOf: Date | null };
export type CustomerRfmConnectionModel = SnapshotConnection<CustomerRfmModel>;
export type CampaignAudienceConnectionModel = SnapshotConnection<CampaignAudienceMemberModel>;
