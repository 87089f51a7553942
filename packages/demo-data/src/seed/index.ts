/**
 * Seed data for the three subgraphs: `generateBrand(size)` makes a whole furniture brand from a
 * seed, and `seedInventory`, `seedSales` and `seedMarketing` bulk-load it, each into its own
 * subgraph's database through one connection. Try it with `npx tsx packages/demo-data/src/seed/try-seed.ts demo`.
 */
export { generateBrand, type Brand } from './brand';
export { DEMO_BRAND, MEDIUM_BRAND, type BrandSize } from './brand-size';
export { seedInventory } from './load-inventory';
export { seedMarketing } from './load-marketing';
export { seedSales } from './load-sales';
export type { Campaign, Level, LevelState, Location, Order, OrderLine, Product, StockMovement } from './model';
export { formatCents } from './money';
export { isEmpty, type SqlExecutor } from './sql';
export { stockLedger } from './stock-ledger';
