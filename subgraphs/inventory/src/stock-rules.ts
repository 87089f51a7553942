import { DomainError, isUuid, userError, type InputErrors, type UserError } from '@joinery/core';
import type { StockMovementReason } from './generated/prisma/client';
import type { Loaders } from './loaders';

/** Largest single change, line or quantity set accepted; larger values are typing mistakes. */
export const MAX_QUANTITY = 1_000_000;
/** Most any quantity of a level may hold: the largest PostgreSQL `integer` its columns store. */
export const MAX_LEVEL = 2_147_483_647;
/** Most lines of one sale, transfer or return. */
export const MAX_LINES = 100;

/** Reasons only the graph itself records: sales, transfers. */
const RECORDED_BY_THE_GRAPH: Partial<Record<StockMovementReason, string>> = {
  SALE: 'recordSale',
  RESERVED: 'createTransfer',
  RELEASED: 'cancelTransfer',
  TRANSFER_OUT: 'shipTransfer',
  TRANSFER_IN: 'receiveTransfer',
  TRANSFER_SHORTFALL: 'receiveTransfer',
};

export const bySku = (a: { sku: string }, b: { sku: string }) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);

/** UUIDs in lower case, as movements store them and filters match them; other text as given. */
export function canonicalReference<T extends string | null | undefined>(reference: T): T {
  return (isUuid(reference) ? reference.toLowerCase() : reference) as T;
}

export function tooMuch(field: string[], sku: string, locationId: string, what: string, wouldBe: number): UserError {
  return userError('BAD_USER_INPUT', `Too much stock for sku ${sku} at location ${locationId}: ${what} would be ${wouldBe}, more than the ${MAX_LEVEL} a level holds`, field);
}

export function checkClientReason(errors: InputErrors, reason: StockMovementReason | null | undefined): void {
  const owner = reason ? RECORDED_BY_THE_GRAPH[reason] : undefined;
  if (owner) errors.add(['input', 'reason'], `reason ${reason} is recorded by ${owner} only`);
}

export function checkReferenceAndKey(errors: InputErrors, input: { reference?: string | null; idempotencyKey?: string | null }): void {
  if (input.reference != null) errors.text(['input', 'reference'], input.reference, { max: 200 });
  if (input.idempotencyKey != null) errors.text(['input', 'idempotencyKey'], input.idempotencyKey, { max: 200 });
}

export function insufficient(field: string[], sku: string, locationId: string, requested: number, available: number, what = 'stock'): UserError {
  return userError('INSUFFICIENT_STOCK', `Not enough ${what} for sku ${sku} at location ${locationId}: requested ${requested}, available ${available}`, field);
}

export function requireLocation(loaders: Loaders, locationId: string, field: string[]): Promise<void> {
  return requireLocations(loaders, [{ locationId, field }]);
}

/** Looks every location up at once and names each unknown one. */
export async function requireLocations(loaders: Loaders, wanted: { locationId: string; field: string[] }[]): Promise<void> {
  const found = await Promise.all(wanted.map(({ locationId }) => (isUuid(locationId) ? loaders.location.load(locationId) : null)));
  const problems = wanted.filter((_, index) => !found[index]).map(({ locationId, field }) => userError('NOT_FOUND', `No location with id ${locationId}`, field));
  if (problems.length) throw new DomainError(problems);
}

export async function requireLocationAndProduct(loaders: Loaders, locationId: string, sku: string): Promise<void> {
  const [location, product] = await Promise.all([isUuid(locationId) ? loaders.location.load(locationId) : null, loaders.product.load(sku)]);
  const problems: UserError[] = [];
  if (!location) problems.push(userError('NOT_FOUND', `No location with id ${locationId}`, ['input', 'locationId']));
  if (!product) problems.push(userError('NOT_FOUND', `No product with sku ${sku}`, ['input', 'sku']));
  if (problems.length) throw new DomainError(problems);
}

/** Each line's quantity in 1..MAX_QUANTITY, 1..MAX_LINES lines, each SKU once. */
export function checkLines(errors: InputErrors, lines: { sku: string; quantity: number }[], what: string): void {
  if (!lines.length) errors.add(['input', 'lines'], `a ${what} needs at least one line`);
  if (lines.length > MAX_LINES) errors.add(['input', 'lines'], `a ${what} has at most ${MAX_LINES} lines; got ${lines.length}`);
  lines.forEach((line, index) => errors.integer(['input', 'lines', String(index), 'quantity'], line.quantity, { min: 1, max: MAX_QUANTITY }));
  if (new Set(lines.map((line) => line.sku)).size !== lines.length) errors.add(['input', 'lines'], `each sku may appear once per ${what}`);
}
