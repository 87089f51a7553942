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

export interface SalesReportMetricsModel {
  orderCount: number;
  unitsSold: number;
  revenue: string;
  discount: string;
  averageOrderValue: string;
}

/** Dimensions not grouped by are null; dates are YYYY-MM-DD in the location's time zone. */
export interface SalesReportRowModel extends SalesReportMetricsModel {
  location: LocationRef | null;
  region: string | null;
  channel: 'STORE' | 'WAREHOUSE' | 'ONLINE' | null;
  day: string | null;
  week: string | null;
  month: string | null;
  category: string | null;
  product: ProductRef | null;
}

export interface SalesReportModel {
  rows: SalesReportRowModel[];
  totals: SalesReportMetricsModel;
  from: Date;
  to: Date;
  asOf: Date;
  source: 'ROLLUP' | 'ORDER_LINES';
}
