import { readFileSync } from 'node:fs';
import pg from 'pg';
import { MEDIUM_BRAND, generateBrand, stockLedger } from './index';
import { arrayLiteral } from './sql';
const brand = generateBrand(MEDIUM_BRAND);
const all: any[] = [];
const it = stockLedger(brand, 5000); let s = it.next(); while (!s.done) { all.push(...s.value); s = it.next(); }
console.log('movements', all.length);
const url = 'postgresql://postgres@127.0.0.1:5432/test';
const mode = process.argv[2];
const db = new pg.Client(url); await db.connect();
await db.query(`DROP SCHEMA IF EXISTS zz_inv CASCADE; CREATE SCHEMA zz_inv; SET search_path TO zz_inv`);
await db.query(readFileSync(`prisma/inventory/migrations/0001_init/migration.sql`, 'utf8'));
const B = Number(process.argv[3] ?? 5000);
const batches: string[][] = [];
for (let i = 0; i < all.length; i += B) {
  let rows = all.slice(i, i + B);
  if (mode === 'sorted') rows = rows.sort((a, b) => a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.id - b.id);
  batches.push([rows.map(r => r.id), rows.map(r => r.locationId), rows.map(r => r.sku), rows.map(r => r.delta), rows.map(r => r.quantityAfter), rows.map(r => r.reason), rows.map(r => r.reference), rows.map(r => r.occurredAt.toISOString())].map(arrayLiteral));
}
await db.query('BEGIN');
const t = performance.now();
for (const p of batches) await db.query('INSERT INTO stock_movements (id, location_id, sku, delta, quantity_after, reason, reference, occurred_at) SELECT * FROM unnest($1::int8[], $2::uuid[], $3::text[], $4::int4[], $5::int4[], $6::stock_movement_reason[], $7::text[], $8::timestamptz[])', p);
console.log(mode, B, 'insert', (performance.now() - t).toFixed(0));
await db.query('COMMIT');
await db.query(`DROP SCHEMA zz_inv CASCADE`);
await db.end();
