/**
 * Which location time zones PostgreSQL knows. An order fact's zone is used in `AT TIME ZONE`
 * (its local day), where a zone the server does not know fails the statement, and with it the
 * whole batch. Node's zone list is not the server's (other tzdata, other spellings), so the
 * server is asked; a zone it does not know is stored as 'UTC' (docs/attribution.md, "Inputs").
 */
import { logger } from '@joinery/core';
import { Prisma } from '../generated/prisma/client';
import type { RunSql } from './attribution-store';

/**
 * Answers remembered per instance: reading pg_timezone_names scans the server's zone files
 * (about 80 ms), so each zone is asked about once, when first seen. One instance per consumer,
 * that is per database: PGlite and PostgreSQL do not know the same names.
 */
export class TimeZoneNames {
  /** Lower-cased zone → PostgreSQL's spelling of it, or null when it knows no such zone. */
  private readonly known = new Map<string, string | null>([['utc', 'UTC']]);

  /** Each zone as PostgreSQL spells it (matched ignoring case, as `AT TIME ZONE` does), or 'UTC' when it does not know it. */
  async resolve(run: RunSql, zones: string[]): Promise<Map<string, string>> {
    const unseen = [...new Set(zones.map((zone) => zone.toLowerCase()).filter((key) => !this.known.has(key)))];
    if (unseen.length) {
      const rows = await run<{ key: string; name: string }>(Prisma.sql`
        SELECT lower(name) AS key, min(name) AS name FROM pg_timezone_names WHERE lower(name) = ANY(${unseen}::text[]) GROUP BY lower(name)`);
      const found = new Map(rows.map((row) => [row.key, row.name]));
      for (const key of unseen) {
        this.known.set(key, found.get(key) ?? null);
        if (!found.has(key)) {
          logger('marketing').warn({ timeZone: zones.find((zone) => zone.toLowerCase() === key) }, 'order location time zone unknown to PostgreSQL; its orders count in UTC days');
        }
      }
    }
    return new Map(zones.map((zone) => [zone, this.known.get(zone.toLowerCase()) ?? 'UTC']));
  }
}
