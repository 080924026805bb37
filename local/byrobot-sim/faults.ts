/**
 * Faults switchable at run time, for all endpoints or one (`endpoint` matches a path suffix), and
 * optionally for one task only (`taskId`).
 */
export type FaultKind =
  | 'latency'
  | 'http5xx'
  | 'hang'
  | 'html'
  | 'malformedJson'
  | 'code500'
  | 'http429'
  | 'code401'
  /** byrobot's 403: no permission (e.g. a company the app key does not manage). */
  | 'code403'
  | 'code408'
  /** Does the work, then answers `latencyMs` (default 12000) later: a client timing out first retries work already done. */
  | 'lateAnswer'
  /** Does the work, then drops the connection without an answer. */
  | 'dropAfterWork'
  /** `latencyMs` (default 2000) before answering pages after the first (`pageNum` ≥ 2) only. */
  | 'slowPages'
  /** getTasks lists every count as null (the seed's own example); getTaskDetail still has them. */
  | 'nullCounts'
  /** notDialedCustomerList answers GET with HTTP 405, as a server serving only the POST form would. */
  | 'postOnlyNotDialed';

export const FAULT_KINDS: readonly FaultKind[] = [
  'latency',
  'http5xx',
  'hang',
  'html',
  'malformedJson',
  'code500',
  'http429',
  'code401',
  'code403',
  'code408',
  'lateAnswer',
  'dropAfterWork',
  'slowPages',
  'nullCounts',
  'postOnlyNotDialed',
];

/** Kinds that change how a request is answered (late, lost, reshaped) without replacing the answer. */
export const MODIFIER_KINDS = [
  'latency',
  'lateAnswer',
  'dropAfterWork',
  'slowPages',
  'nullCounts',
  'postOnlyNotDialed',
] as const satisfies readonly FaultKind[];
export type ModifierKind = (typeof MODIFIER_KINDS)[number];
/** Kinds that answer in place of byrobot: an error, a broken body, no answer at all. */
export type FailureKind = Exclude<FaultKind, ModifierKind>;
export const isModifier = (kind: FaultKind): kind is ModifierKind =>
  (MODIFIER_KINDS as readonly FaultKind[]).includes(kind);

export interface Fault {
  id: number;
  kind: FaultKind;
  endpoint?: string;
  /**
   * Only requests about this task: `taskId` or `callJobId` in the parameters, or (phoneLogInfo) a
   * `callInstanceId` of one of its calls. Requests about no task (getTasks, company/…) are spared.
   */
  taskId?: number;
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
    if (input.taskId !== undefined && !Number.isInteger(input.taskId))
      throw new Error(`a fault's taskId must be an integer, got ${JSON.stringify(input.taskId)}`);
    const fault = { ...input, id: this.#next++ };
    this.list.push(fault);
    return fault;
  }

  remove(id?: number): void {
    this.list = id === undefined ? [] : this.list.filter((f) => f.id !== id);
  }

  /**
   * The faults that apply to this request (using up one of each's `times`). `taskId`: the task the
   * request is about, if any.
   */
  take(endpoint: string, taskId?: number): Fault[] {
    const hits = this.list.filter(
      (f) =>
        (!f.endpoint || endpoint.endsWith(f.endpoint)) && (f.taskId === undefined || f.taskId === taskId),
    );
    for (const f of hits) if (f.times !== undefined) f.times--;
    this.list = this.list.filter((f) => f.times === undefined || f.times > 0);
    return hits;
  }
}
