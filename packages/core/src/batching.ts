/**
 * Groups DataLoader keys that share every argument but their `parent` field (page size, cursor,
 * filters), so each group is answered by one query over all its parents.
 */
export function groupBesides<K extends object>(keys: readonly K[], parent: keyof K): K[][] {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const { [parent]: _parent, ...rest } = key;
    const id = JSON.stringify(rest);
    groups.set(id, [...(groups.get(id) ?? []), key]);
  }
  return [...groups.values()];
}

/** Keys that share every argument but `locationId`: one query over all their locations. */
export function groupByArgumentsBesidesLocation<K extends { locationId: string }>(keys: readonly K[]): K[][] {
  return groupBesides(keys, 'locationId');
}

/** A DataLoader cache key for a plain key object (built with its fields always in one order). */
export const pageKey = (key: object) => JSON.stringify(key);
