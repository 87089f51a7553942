import type { Location } from './model';
import { CITIES, HEAD_OFFICE, streetLine, WAREHOUSES } from './places';
import type { Rng } from './prng';

const DAY_MS = 86_400_000;
const ONLINE_SHARE = 0.3;
/** Later stores in a city are neighbourhood shops, smaller than the first. */
const LATER_STORE_WEIGHT = 0.65;

/**
 * Location ids take their time bits from a fixed date rather than the opening date, which moves
 * with `until`: the same seed then gives the same ids on every run, handy for saved queries.
 */
const stableId = (rng: Rng, index: number) => rng.uuid(Date.UTC(2021, 0, 4) + index * DAY_MS);

export function warehouseCount(locations: number): number {
  return Math.min(WAREHOUSES.length, Math.max(2, Math.round(locations / 16)));
}

/**
 * One online channel, a few warehouses and the rest stores, opened city by city (see CITIES);
 * a city's second store gets code XXX-STORE-2 and the next street in its list.
 */
export function generateLocations(rng: Rng, count: number, historyStart: Date): Location[] {
  const opened = () => new Date(historyStart.getTime() - rng.int(90, 2_500) * DAY_MS);
  const warehouses = WAREHOUSES.slice(0, warehouseCount(count));
  const storeCount = count - 1 - warehouses.length;
  const locations: Location[] = [];

  const onlineOpened = opened();
  locations.push({
    id: stableId(rng, locations.length), code: 'WEB-ONLINE-1', name: 'Online Store', kind: 'ONLINE',
    addressLine1: streetLine(HEAD_OFFICE.country, HEAD_OFFICE.street, HEAD_OFFICE.number), addressLine2: HEAD_OFFICE.line2,
    city: HEAD_OFFICE.city, region: HEAD_OFFICE.region, postalCode: HEAD_OFFICE.postalCode, country: HEAD_OFFICE.country,
    timezone: HEAD_OFFICE.timezone, createdAt: onlineOpened, salesShare: ONLINE_SHARE, supplierId: null,
  });

  for (const site of warehouses) {
    const createdAt = opened();
    locations.push({
      id: stableId(rng, locations.length), code: `${site.code}-WH-1`, name: `${site.city} Distribution Centre`, kind: 'WAREHOUSE',
      addressLine1: streetLine(site.country, site.street, site.number), addressLine2: null, city: site.city, region: site.region,
      postalCode: site.postalCode, country: site.country, timezone: site.timezone, createdAt, salesShare: 0, supplierId: null,
    });
  }

  const storeWeights: number[] = [];
  for (let i = 0; i < storeCount; i += 1) {
    const city = CITIES[i % CITIES.length];
    const nth = Math.floor(i / CITIES.length);
    const site = city.sites[nth % city.sites.length];
    // Past the listed streets, further stores take higher house numbers on the same streets.
    const round = Math.floor(nth / city.sites.length);
    const number = site.number + 10 * round;
    const createdAt = opened();
    locations.push({
      id: stableId(rng, locations.length), code: `${city.code}-STORE-${nth + 1}`, name: `${city.name} ${site.district}${round ? ` ${round + 1}` : ''}`, kind: 'STORE',
      addressLine1: streetLine(city.country, site.street, number), addressLine2: site.line2 ?? null, city: city.name, region: city.region,
      postalCode: site.postalCode, country: city.country, timezone: city.timezone, createdAt, salesShare: 0, supplierId: null,
    });
    storeWeights.push(city.weight * (nth === 0 ? 1 : LATER_STORE_WEIGHT) * rng.between(0.85, 1.15));
  }

  const storeTotal = storeWeights.reduce((sum, weight) => sum + weight, 0);
  const stores = locations.filter((location) => location.kind === 'STORE');
  stores.forEach((store, i) => { store.salesShare = ((1 - ONLINE_SHARE) * storeWeights[i]) / storeTotal; });

  const warehouseLocations = locations.filter((location) => location.kind === 'WAREHOUSE');
  for (const location of locations) {
    if (location.kind === 'WAREHOUSE') continue;
    const index = warehouses.findIndex((site) => site.serves.includes(location.region));
    location.supplierId = warehouseLocations[Math.max(0, index)].id;
  }
  return locations;
}
