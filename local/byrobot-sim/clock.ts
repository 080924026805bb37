/**
 * The simulator's virtual clock: tests advance it explicitly, demos let it run at a speed factor.
 * Due work sits in a binary heap, so advancing an hour with thousands of calls in flight costs only
 * the events that fall due, not a tick per task per second.
 */
interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
}

export class VirtualClock {
  #now: number;
  #seq = 0;
  readonly #heap: Scheduled[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  get now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#heap.length;
  }

  at(time: number, run: () => void): void {
    this.#push({ at: Math.max(time, this.#now), seq: this.#seq++, run });
  }

  /** Runs every event due up to now + ms, in time order, moving the clock to each in turn. */
  advance(ms: number): number {
    const target = this.#now + Math.max(0, ms);
    while (this.#heap.length > 0 && this.#heap[0]!.at <= target) {
      const event = this.#pop()!;
      this.#now = event.at;
      event.run();
    }
    this.#now = target;
    return this.#now;
  }

  #push(item: Scheduled) {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Scheduled | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Scheduled, b: Scheduled) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
