/**
 * A secondary index from a key (user id, rotation family, federated identity) to the session ids
 * filed under it, for in-process stores. Most keys hold a single id (one live session per family,
 * often one per user), so a key holds the id itself until a second one arrives, and only then a
 * `Set`: a `Set` per key costs about 200 bytes of heap, which was half a memory-store record.
 */
export class IdIndex {
  readonly #map = new Map<string, string | Set<string>>();

  /** Files `id` under `key`. */
  add(key: string, id: string): void {
    const cur = this.#map.get(key);
    if (cur === undefined) this.#map.set(key, id);
    else if (typeof cur === 'string') {
      if (cur !== id) this.#map.set(key, new Set([cur, id]));
    } else cur.add(id);
  }

  /** Removes `id` from `key`; the key goes when its last id does. */
  remove(key: string, id: string): void {
    const cur = this.#map.get(key);
    if (cur === undefined) return;
    if (typeof cur === 'string') {
      if (cur === id) this.#map.delete(key);
      return;
    }
    cur.delete(id);
    if (cur.size === 1) this.#map.set(key, cur.values().next().value as string);
    else if (cur.size === 0) this.#map.delete(key);
  }

  /** The ids filed under `key` (a new array the caller may keep). */
  ids(key: string): string[] {
    const cur = this.#map.get(key);
    if (cur === undefined) return [];
    return typeof cur === 'string' ? [cur] : [...cur];
  }

  /** Forgets everything. */
  clear(): void {
    this.#map.clear();
  }
}
