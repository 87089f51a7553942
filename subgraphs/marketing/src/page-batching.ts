/**
 * Keys of a connection on many parents (one page per parent), grouped by everything but the
 * parent: each group is answered by one query, whichever number of parents asked.
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

/** A DataLoader cache key for a plain key object (built with its fields always in one order). */
export const pageKey = (key: object) => JSON.stringify(key);
