/** What the generator produces: plain data shaped like the subgraphs' tables, money in cents. */

export type LocationKind = 'STORE' | 'WAREHOUSE' | 'ONLINE';
export type Region = 'Nordics' | 'DACH' | 'UK & Ireland' | 'Benelux';
export type Category = 'sofas' | 'tables' | 'chairs' | 'beds' | 'lighting' | 'storage' | 'rugs' | 'outdoor';
export type PaymentMethod = 'CARD' | 'CASH' | 'GIFT_CARD' | 'INVOICE' | 'FINANCING' | 'MOBILE_WALLET';
export type CampaignChannel = 'EMAIL' | 'SOCIAL' | 'SEARCH' | 'DISPLAY' | 'PRINT' | 'IN_STORE' | 'SMS' | 'AFFILIATE';
export type CampaignStatus = 'DRAFT' | 'SCHEDULED' | 'ACTIVE' | 'PAUSED' | 'COMPLETED';
export type MovementReason = 'RECEIVED' | 'CORRECTION' | 'RECOUNT' | 'DAMAGED' | 'SHRINKAGE' | 'RETURN' | 'SALE' | 'OTHER';

export const CATEGORIES: readonly Category[] = ['sofas', 'tables', 'chairs', 'beds', 'lighting', 'storage', 'rugs', 'outdoor'];

export interface Location {
  id: string;
  code: string;
  name: string;
  kind: LocationKind;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  region: Region;
  postalCode: string;
  country: string;
  timezone: string;
  createdAt: Date;
  /** Share of all orders taken here (0 for warehouses); the shares of a brand add up to 1. */
  salesShare: number;
  /** The warehouse that restocks this location; null for warehouses, which buy from suppliers. */
  supplierId: string | null;
}

export interface Product {
  sku: string;
  name: string;
  category: Category;
  priceCents: number;
  description: string;
  createdAt: Date;
  /** Relative chance of being picked for an order line, before the location's assortment. */
  popularity: number;
}

/** A product carried at a location. */
export interface Level {
  locationId: string;
  sku: string;
  reorderPoint: number;
  /** Stock after a restock ("order up to"); only the stock ledger uses it. */
  targetStock: number;
}

export interface Campaign {
  id: string;
  name: string;
  channel: CampaignChannel;
  status: CampaignStatus;
  startsAt: Date;
  endsAt: Date | null;
  budgetCents: number;
  /** Empty: every location. */
  targetLocationIds: string[];
  /** Empty: every product. */
  targetSkus: string[];
  createdAt: Date;
  /** Line discount given on orders attributed to the campaign. */
  discountPercent: number;
}

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
  discountCents: number;
  lineTotalCents: number;
}

export interface Order {
  id: string;
  locationId: string;
  orderedAt: Date;
  customerId: string | null;
  campaignId: string | null;
  paymentMethod: PaymentMethod;
  lines: OrderLine[];
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
  unitCount: number;
}

export interface StockMovement {
  /** 1-based position in the ledger; the loader offsets it past any rows already there. */
  id: number;
  locationId: string;
  sku: string;
  delta: number;
  quantityAfter: number;
  reason: MovementReason;
  reference: string | null;
  occurredAt: Date;
}

/** A level as the ledger leaves it at the end of the history. */
export interface LevelState {
  locationId: string;
  sku: string;
  onHand: number;
  reorderPoint: number;
  updatedAt: Date;
}
