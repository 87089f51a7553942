import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type SubgraphName } from '@joinery/core';
import { backends } from '@joinery/core/testing';
import { checkInvariants, type SeededDatabases } from './check-invariants';

const migrations = (name: SubgraphName) => join(import.meta.dirname, '../../../../prisma', name, 'migrations');

describe.each(backends())('checkInvariants on $name', (backend) => {
  const opened: Database[] = [];
  let dbs: SeededDatabases;

  beforeAll(async () => {
    const targets = backend.targets();
    const open = async (name: SubgraphName) => {
      const database = await openDatabase(targets[name], migrations(name));
      opened.push(database);
      return { query: (sql: string, params?: unknown[]) => database.withConnection((connection) => connection.query(sql, params)) };
    };
    dbs = { inventory: await open('inventory'), sales: await open('sales'), marketing: await open('marketing') };
  });
  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await backend.cleanup();
  });

  it('reports no false failures for a level with committed and damaged stock: on hand is the sum of its AVAILABLE movements', async () => {
    const location = randomUUID();
    await dbs.inventory.query(`INSERT INTO locations (id, code, name, kind, address_line1, city, region, postal_code, country, timezone)
      VALUES ($1::uuid, 'WEB', 'Web', 'ONLINE', 'Storgata 1', 'Oslo', 'Nordics', '0155', 'NO', 'Europe/Oslo')`, [location]);
    await dbs.inventory.query(`INSERT INTO products (sku, name, category, price) VALUES ('INV-CHAIR', 'Chair', 'chairs', 10)`);
    await dbs.inventory.query(`INSERT INTO inventory_levels (location_id, sku, on_hand, committed, damaged) VALUES ($1::uuid, 'INV-CHAIR', 10, 4, 1)`, [location]);
    await dbs.inventory.query(`INSERT INTO stock_movements (location_id, sku, delta, quantity_after, reason, state) VALUES
      ($1::uuid, 'INV-CHAIR', 10, 10, 'RECEIVED', 'AVAILABLE'),
      ($1::uuid, 'INV-CHAIR', 4, 4, 'RESERVED', 'COMMITTED'),
      ($1::uuid, 'INV-CHAIR', 1, 1, 'DAMAGED', 'DAMAGED')`, [location]);

    expect((await checkInvariants(dbs, new Date())).failures).toEqual([]);

    await dbs.inventory.query(`UPDATE inventory_levels SET on_hand = 9 WHERE location_id = $1::uuid`, [location]);
    await dbs.inventory.query(`UPDATE stock_movements SET quantity_after = 5 WHERE state = 'COMMITTED'`);
    expect((await checkInvariants(dbs, new Date())).failures).toEqual([
      'on_hand equals the sum of its movements: 1 rows break it',
      'quantity_after is the running total of its state in id order: 1 rows break it',
    ]);
  });
});
