/**
 * Loads each key once and shares the pending or finished load with every later caller. A load
 * that fails is forgotten, so the next call tries again: a model whose files were still being
 * copied, or a session that ran out of memory, does not stay broken until the thread restarts.
 */
export class CachedLoader<K, V> {
  private readonly entries = new Map<K, Promise<V>>();

  constructor(private readonly load: (key: K) => Promise<V>) {}

  /** The value of `key`, loading it on the first call (and again after a failed load). */
  get(key: K): Promise<V> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = Promise.resolve().then(() => this.load(key));
      this.entries.set(key, entry);
      entry.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    return entry;
  }
}
