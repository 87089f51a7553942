/**
 * How the location-scope attack suite judges an answer. Each judge returns the problems it found
 * as sentences naming the attack (empty: the answer held), so one test lists every leak at once
 * instead of stopping at the first.
 */
import type { Answer } from './scope-attacks-fixture';

type Path = (string | number)[];

/** Decides that a string at `path` may show a marker after all (e.g. the other end of one's own transfer). */
export type Exemption = (path: Path, value: string) => boolean;

/** Every string in `value` holding one of `markers` (lower case), as "path: value". */
export function markersIn(value: unknown, markers: readonly string[], exempt?: Exemption, path: Path = []): string[] {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    return markers.some((marker) => lower.includes(marker)) && !exempt?.(path, value) ? [`${path.join('.') || '(root)'} = ${JSON.stringify(value)}`] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => markersIn(item, markers, exempt, [...path, index]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => markersIn(item, markers, exempt, [...path, key]));
  return [];
}

const brief = (answer: Answer) => JSON.stringify(answer).slice(0, 600);

/**
 * A refusal: at least one error, every one FORBIDDEN, `field` null (or no data at all), no marker
 * in what data there is, and (when given) the message naming `naming` (case-insensitive).
 */
export function refusalProblems(attack: string, answer: Answer, field: string, markers: readonly string[], naming?: string): string[] {
  const problems: string[] = [];
  const errors = answer.errors ?? [];
  if (!errors.length) problems.push(`${attack}: answered without an error (expected FORBIDDEN): ${brief(answer)}`);
  for (const error of errors) {
    if (error.extensions?.code !== 'FORBIDDEN') problems.push(`${attack}: error ${String(error.extensions?.code)} "${error.message}" instead of FORBIDDEN`);
  }
  const data = answer.data as Record<string, unknown> | null | undefined;
  if (data && data[field] != null) problems.push(`${attack}: ${field} answered data despite the refusal: ${brief(answer)}`);
  for (const leak of markersIn(data, markers)) problems.push(`${attack}: B/W data in the refused answer at ${leak}`);
  if (naming && errors.length && !errors.some((error) => error.message.toLowerCase().includes(naming.toLowerCase()))) {
    problems.push(`${attack}: the FORBIDDEN message does not name ${naming}: ${errors.map((error) => error.message).join(' | ')}`);
  }
  return problems;
}

/** An allowed answer: no error, and no marker anywhere in its data (but where `exempt` allows). */
export function allowedProblems(attack: string, answer: Answer, markers: readonly string[], exempt?: Exemption): string[] {
  const problems: string[] = [];
  for (const error of answer.errors ?? []) problems.push(`${attack}: unexpected error ${String(error.extensions?.code)} "${error.message}"`);
  if (answer.data == null) problems.push(`${attack}: no data: ${brief(answer)}`);
  for (const leak of markersIn(answer.data, markers, exempt)) problems.push(`${attack}: B/W data at ${leak}`);
  return problems;
}

/** `actual` equal to `expected` (as JSON), else one problem showing both. */
export function sameProblems(attack: string, actual: unknown, expected: unknown): string[] {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  return a === e ? [] : [`${attack}: got ${a.slice(0, 800)}, expected ${e.slice(0, 800)}`];
}

/** A copy of `value` without the keys in `drop` at any depth: instants that differ between two asks of one question. */
export function without(value: unknown, drop: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => without(item, drop));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([key]) => !drop.includes(key)).map(([key, item]) => [key, without(item, drop)]));
  return value;
}
