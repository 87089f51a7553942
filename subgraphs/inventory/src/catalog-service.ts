import type Decimal from 'decimal.js';
import { connection, DomainError, InputErrors, isString, isTextAndUuid, isUuid, readPage, userError, uuidv7, type PageArgs } from '@joinery/core';
import { Prisma, type Location, type LocationKind, type PrismaClient, type Product } from './generated/prisma/client';
import type { Loaders } from './loaders';

const LOCATION_CODE = /^[A-Z0-9][A-Z0-9-]{0,31}$/;
const SKU = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;
const COUNTRY = /^[A-Z]{2}$/;

export interface AddressInput {
  line1: string;
  line2?: string | null;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}

export interface LocationFilter {
  kinds?: LocationKind[] | null;
  query?: string | null;
}

export interface ProductFilter {
  categories?: string[] | null;
  query?: string | null;
}

function readAddress(errors: InputErrors, address: AddressInput) {
  const field = (name: string) => ['input', 'address', name];
  return {
    addressLine1: errors.text(field('line1'), address.line1),
    addressLine2: address.line2?.trim() ? errors.text(field('line2'), address.line2) : null,
    city: errors.text(field('city'), address.city, { max: 100 }),
    region: errors.text(field('region'), address.region, { max: 100 }),
    postalCode: errors.text(field('postalCode'), address.postalCode, { max: 20 }),
    country: errors.pattern(field('country'), address.country.trim().toUpperCase(), COUNTRY, 'expected an ISO 3166-1 alpha-2 code such as "NO"'),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/**
 * How long a product change waits for a lock. A price or category change revalues the product's
 * stock in stock_value_rollups and takes a SHARE lock on inventory_levels for it (migration 0005):
 * from the moment it asks, every stock write at every location queues behind it. Waiting at most
 * this long bounds that stall, well inside the 5 s transaction timeout of the stock changes queued.
 */
export const PRODUCT_LOCK_TIMEOUT_MS = 2_000;

/** PostgreSQL's lock_not_available (55P03), as the driver adapter passes it on. */
function isLockTimeout(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    const { code, meta, message } = current as { code?: unknown; meta?: { code?: unknown }; message?: unknown };
    if (code === '55P03' || meta?.code === '55P03' || (typeof message === 'string' && /lock timeout/i.test(message))) return true;
  }
  return false;
}

/** Locations and products: the catalogue every other subgraph refers to. */
export class CatalogService {
  constructor(private readonly prisma: PrismaClient, private readonly loaders: Loaders) {}

  /** Locations ordered by name; `within` (lower-case ids) narrows them to a caller's locations, count included. */
  async listLocations(args: PageArgs, filter: LocationFilter = {}, within?: readonly string[]) {
    const page = readPage(args, isTextAndUuid);
    const where: Prisma.LocationWhereInput = {
      ...(within ? { id: { in: [...within] } } : {}),
      ...(filter.kinds?.length ? { kind: { in: filter.kinds } } : {}),
      ...(filter.query?.trim()
        ? { OR: [{ name: { contains: filter.query.trim(), mode: 'insensitive' } }, { code: { contains: filter.query.trim(), mode: 'insensitive' } }] }
        : {}),
    };
    const after: Prisma.LocationWhereInput = page.after
      ? { OR: [{ name: { gt: page.after[0] } }, { name: page.after[0], id: { gt: page.after[1] } }] }
      : {};
    const rows = await this.prisma.location.findMany({ where: { AND: [where, after] }, orderBy: [{ name: 'asc' }, { id: 'asc' }], take: page.take });
    rows.forEach((row) => this.loaders.location.prime(row.id, row));
    return connection(rows, page, (row) => [row.name, row.id], () => this.prisma.location.count({ where }));
  }

  location(id: string): Promise<Location | null> {
    return this.loaders.location.load(id);
  }

  async createLocation(input: { code: string; name: string; kind: LocationKind; address: AddressInput; timezone: string }): Promise<{ location: Location }> {
    const errors = new InputErrors();
    const code = errors.pattern(['input', 'code'], input.code.trim().toUpperCase(), LOCATION_CODE, 'expected 1-32 letters, digits or dashes, e.g. "OSL-STORE-1"');
    const name = errors.text(['input', 'name'], input.name);
    const timezone = errors.timeZone(['input', 'timezone'], input.timezone.trim());
    const address = readAddress(errors, input.address);
    errors.throwIfAny();
    try {
      const location = await this.prisma.location.create({ data: { id: uuidv7(), code, name, kind: input.kind, timezone, ...address } });
      return { location };
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError(userError('CONFLICT', `A location with code ${code} already exists`, ['input', 'code']));
      throw error;
    }
  }

  async updateLocation(input: { id: string; name?: string | null; address?: AddressInput | null; timezone?: string | null }): Promise<{ location: Location }> {
    const errors = new InputErrors();
    const data: Prisma.LocationUpdateInput = { updatedAt: new Date() };
    if (input.name != null) data.name = errors.text(['input', 'name'], input.name);
    if (input.timezone != null) data.timezone = errors.timeZone(['input', 'timezone'], input.timezone.trim());
    if (input.address != null) Object.assign(data, readAddress(errors, input.address));
    errors.throwIfAny();
    const existing = await this.loaders.location.load(input.id);
    if (!existing) throw new DomainError(userError('NOT_FOUND', `No location with id ${input.id}`, ['input', 'id']));
    return { location: await this.prisma.location.update({ where: { id: input.id }, data }) };
  }

  async listProducts(args: PageArgs, filter: ProductFilter = {}) {
    const page = readPage(args, isString);
    const query = filter.query?.trim();
    const where: Prisma.ProductWhereInput = {
      ...(filter.categories?.length ? { category: { in: filter.categories.map((category) => category.trim().toLowerCase()) } } : {}),
      ...(query ? { OR: [{ name: { contains: query, mode: 'insensitive' } }, { sku: { contains: query, mode: 'insensitive' } }] } : {}),
    };
    const rows = await this.prisma.product.findMany({
      where: page.after ? { AND: [where, { sku: { gt: page.after } }] } : where,
      orderBy: { sku: 'asc' },
      take: page.take,
    });
    rows.forEach((row) => this.loaders.product.prime(row.sku, row));
    return connection(rows, page, (row) => row.sku, () => this.prisma.product.count({ where }));
  }

  product(sku: string): Promise<Product | null> {
    return this.loaders.product.load(sku);
  }

  async createProduct(input: { sku: string; name: string; category: string; price: Decimal; description?: string | null }): Promise<{ product: Product }> {
    const errors = new InputErrors();
    const sku = errors.pattern(['input', 'sku'], input.sku.trim().toUpperCase(), SKU, 'expected 1-64 letters, digits, dots, dashes or underscores, e.g. "OAK-TBL-180"');
    const name = errors.text(['input', 'name'], input.name);
    const category = errors.text(['input', 'category'], input.category.toLowerCase(), { max: 64 });
    const price = errors.money(['input', 'price'], input.price);
    const description = input.description?.trim() ? errors.text(['input', 'description'], input.description, { max: 5_000 }) : null;
    errors.throwIfAny();
    try {
      return { product: await this.prisma.product.create({ data: { sku, name, category, price: price.toFixed(2), description } }) };
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError(userError('CONFLICT', `A product with sku ${sku} already exists`, ['input', 'sku']));
      throw error;
    }
  }

  async updateProduct(input: { sku: string; name?: string | null; category?: string | null; price?: Decimal | null; description?: string | null }): Promise<{ product: Product }> {
    const errors = new InputErrors();
    const data: Prisma.ProductUpdateInput = { updatedAt: new Date() };
    if (input.name != null) data.name = errors.text(['input', 'name'], input.name);
    if (input.category != null) data.category = errors.text(['input', 'category'], input.category.toLowerCase(), { max: 64 });
    if (input.price != null) data.price = errors.money(['input', 'price'], input.price).toFixed(2);
    if (input.description !== undefined) data.description = input.description?.trim() ? errors.text(['input', 'description'], input.description, { max: 5_000 }) : null;
    errors.throwIfAny();
    const existing = await this.loaders.product.load(input.sku);
    if (!existing) throw new DomainError(userError('NOT_FOUND', `No product with sku ${input.sku}`, ['input', 'sku']));
    try {
      const product = await this.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT set_config('lock_timeout', ${`${PRODUCT_LOCK_TIMEOUT_MS}ms`}, true)`;
        return tx.product.update({ where: { sku: input.sku }, data });
      });
      return { product };
    } catch (error) {
      if (isLockTimeout(error)) {
        throw new DomainError(userError('UNAVAILABLE',
          `The change to ${input.sku} waited over ${PRODUCT_LOCK_TIMEOUT_MS / 1000} s for stock changes in flight and was not made, so as not to hold up stock changes at every location; try again`,
          ['input', 'sku']));
      }
      throw error;
    }
  }

  /** For entity references: malformed ids resolve to null rather than reaching SQL. */
  locationReference(id: unknown): Promise<Location | null> | null {
    return isUuid(id) ? this.loaders.location.load(id) : null;
  }
}
