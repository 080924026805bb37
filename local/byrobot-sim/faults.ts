/** Faults switchable at run time, for all endpoints or one (`endpoint` matches a path suffix). */
export type FaultKind =
  | 'latency'
  | 'http5xx'
  | 'hang'
  | 'html'
  | 'malformedJson'
  | 'code500'
  | 'http429'
  | 'code401'
  | 'code408';

export const FAULT_KINDS: readonly FaultKind[] = [
  'latency',
  'http5xx',
  'hang',
  'html',
  'malformedJson',
  'code500',
  'http429',
  'code401',
  'code408',
];

export interface Fault {
  id: number;
  kind: FaultKind;
  endpoint?: string;
  /** Requests it still affects; undefined = until removed. */
  times?: number;
  latencyMs?: number;
  status?: number;
}

export class Faults {
  #next = 1;
  list: Fault[] = [];

  add(input: Omit<Fault, 'id'>): Fault {
    if (!FAULT_KINDS.includes(input.kind))
      throw new Error(`unknown fault kind ${input.kind}; one of ${FAULT_KINDS.join(', ')}`);
    const fault = { ...input, id: this.#next++ };
    this.list.push(fault);
    return fault;
  }

  remove(id?: number): void {
    this.list = id === undefined ? [] : this.list.filter((f) => f.id !== id);
  }

  /** The faults that apply to this request (using up one of each's `times`). */
  take(endpoint: string): Fault[] {
    const hits = this.list.filter((f) => !f.endpoint || endpoint.endsWith(f.endpoint));
    for (const f of hits) if (f.times !== undefined) f.times--;
    this.list = this.list.filter((f) => f.times === undefined || f.times > 0);
    return hits;
  }
}
