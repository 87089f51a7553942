import type { SalesOrder, SalesOrderLine } from './generated/prisma/client';

export type { Connection } from '@joinery/core';
export type SalesOrderModel = SalesOrder;
export type SalesOrderLineModel = SalesOrderLine;
/** Entities owned elsewhere are passed on as references the router resolves. */
export type LocationRef = { id: string };
export type ProductRef = { sku: string };
export type CampaignRef = { id: string };

export interface SalesSummaryModel {
  orderCount: number;
  unitsSold: number;
  revenue: string;
  averageOrderValue: string;
}

export interface CampaignPerformanceModel {
  orderCount: number;
  unitsSold: number;
  revenue: string;
  byLocation: { location: LocationRef; orderCount: number; unitsSold: number; revenue: string }[];
}
