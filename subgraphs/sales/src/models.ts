import type { ReturnCondition, SalesOrder, SalesOrderLine } from './generated/prisma/client';

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
  returnedAmount: string;
  netRevenue: string;
}

export interface CampaignPerformanceModel {
  orderCount: number;
  unitsSold: number;
  revenue: string;
  byLocation: { location: LocationRef; orderCount: number; unitsSold: number; revenue: string }[];
}

export interface SalesReturnLineModel {
  product: ProductRef;
  quantity: number;
  condition: ReturnCondition;
  refundAmount: string;
}

/** A completed return as GraphQL shows it, with the order it belongs to and its lines. */
export interface SalesReturnModel {
  id: string;
  order: SalesOrder;
  location: LocationRef;
  lines: SalesReturnLineModel[];
  refundTotal: string;
  reason: string | null;
  createdBy: string;
  createdAt: Date;
}
