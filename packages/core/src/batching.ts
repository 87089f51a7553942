/**
 * Groups DataLoader keys that share every argument but `locationId` (page size, cursor, filters),
 * so each group is answered by one query over all its locations.
 */
export function groupByArgumentsBesidesLocation<K extends { locationId: string }>(keys: readonly K[]): K[][] {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const { locationId: _location, ...rest } = key;
    const id = JSON.stringify(rest);
    groups.set(id, [...(groups.get(id) ?? []), key]);
  }
  return [...groups.values()];
}
