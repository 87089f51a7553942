/** Rows of the inventory reports as the services return them, with their locations and products attached. */
import type { Location, Product } from '../generated/prisma/client';

/** The keys of a group: null for a dimension it is not grouped by. */
export interface GroupKeys {
  locationId: string | null;
  category: string | null;
  sku: string | null;
}

/**
 * The location and product of a row, loaded for all rows at once before GraphQL walks them: a
 * field that resolves without a promise per row keeps a 4,000-row report cheap to serialize.
 */
export interface GroupEntities {
  location?: Location | null;
  product?: Product | null;
}

/** Money as the database computed it, a string with 2 decimals. */
export type Money = string;

export interface StockValueRowModel extends GroupKeys, GroupEntities {
  onHand: number;
  available: number;
  value: Money;
}

export interface SellThroughFigures {
  onHandAtStart: number;
  unitsReceived: number;
  unitsSold: number;
  unitsReturned: number;
  sellThroughRate: number | null;
}

export interface SellThroughRowModel extends GroupKeys, GroupEntities {
  figures: SellThroughFigures;
}

export interface DaysOfSupplyRowModel extends GroupKeys, GroupEntities {
  onHand: number;
  available: number;
  netUnitsSold: number;
  dailySalesRate: number | null;
  daysOfSupply: number | null;
}

export interface SlowMoverRowModel extends GroupKeys, GroupEntities {
  onHand: number;
  available: number;
  value: Money;
  netUnitsSold: number;
}

export interface StockOutPeriodModel {
  start: Date;
  end: Date | null;
  startedBeforeFrom: boolean;
  seconds: number;
}

export interface LevelStockOutsModel extends GroupEntities {
  locationId: string;
  sku: string;
  stockOutCount: number;
  totalSeconds: number;
  outNow: boolean;
  periods: StockOutPeriodModel[];
}
