import type { InventoryLevel, Location, Product, StockMovement } from './generated/prisma/client';

export type { Connection } from '@joinery/core';
export type LocationModel = Location;
export type ProductModel = Product;
export type InventoryLevelModel = InventoryLevel;
export type StockMovementModel = StockMovement;
