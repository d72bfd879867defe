/**
 * An in-process mutex per key (repository + candidate): two commands for the same commit never publish at the
 * same time, so the second one finds the first one's branch and PR instead of racing it.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // drop the entry once nobody queued behind us, so the map does not grow with every candidate ever seen
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  get size(): number {
    return this.tails.size;
  }
}

/** A bounded set of recently seen ids (webhook delivery ids): GitHub redelivers, we act once. */
export class RecentIds {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 5000) {}

  /** true the first time an id is seen */
  add(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}
