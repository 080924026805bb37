/**
 * Faults switchable at run time, for all endpoints or one (`endpoint` matches a path suffix), and
 * optionally for one task only (`taskId`). Push faults (PUSH_FAULT_KINDS) strike the callbacks the
 * simulator pushes instead (push.ts), per callback type or for all, for `times` callbacks or at a
 * seeded `rate`.
 */
export const FAULT_KINDS = [
  'latency',
  'http5xx',
  'hang',
  'html',
  'malformedJson',
  'code500',
  'http429',
  'code401',
  // byrobot's 403: no permission (e.g. a company the app key does not manage).
  'code403',
  'code408',
  // Does the work, then answers `latencyMs` (default 12000) later: a client timing out first retries work already done.
  'lateAnswer',
  // Does the work, then drops the connection without an answer.
  'dropAfterWork',
  // `latencyMs` (default 2000) before answering pages after the first (`pageNum` ≥ 2) only.
  'slowPages',
  // getTasks lists every count as null (the seed's own example); getTaskDetail still has them.
  'nullCounts',
  // notDialedCustomerList answers GET with HTTP 405, as a server serving only the POST form would.
  'postOnlyNotDialed',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

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
export const isModifier = (kind: FaultKind | PushFaultKind): kind is ModifierKind =>
  (MODIFIER_KINDS as readonly string[]).includes(kind);

/** The callbacks byrobot pushes: call records, manual intent changes, task status, inbound calls. */
export const PUSH_TYPES = ['call', 'intent', 'job', 'inbound'] as const;
export type PushType = (typeof PUSH_TYPES)[number];

export const PUSH_FAULT_KINDS = [
  // Never sent; byrobot counts it failed (queryUnCallBack lists it) and does not retry it.
  'drop',
  // Sent twice.
  'duplicate',
  // Held back, sent after the company's next callback.
  'reorder',
  // First sent `delayMs` (default 60000) of virtual time late.
  'delay',
  // An attempt answered `success` counts as failed: a delivered callback is retried.
  'answerIgnored',
] as const;
export type PushFaultKind = (typeof PUSH_FAULT_KINDS)[number];
export const isPushFault = (kind: unknown): kind is PushFaultKind =>
  (PUSH_FAULT_KINDS as readonly unknown[]).includes(kind);

export interface Fault {
  id: number;
  kind: FaultKind | PushFaultKind;
  /** Push faults: the callback type it strikes; all types when absent. */
  callback?: PushType;
  /** Push faults: the share of callbacks (or, for answerIgnored, of answers) it strikes, 0–1, drawn from a PRNG seeded by the simulator's seed. */
  rate?: number;
  /** delay: virtual milliseconds. @default 60000 */
  delayMs?: number;
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
    if (isPushFault(input.kind)) return this.#addPush(input);
    if (!FAULT_KINDS.includes(input.kind as FaultKind))
      throw new Error(
        `unknown fault kind ${input.kind}; one of ${[...FAULT_KINDS, ...PUSH_FAULT_KINDS].join(', ')}`,
      );
    if (input.taskId !== undefined && !Number.isInteger(input.taskId))
      throw new Error(`a fault's taskId must be an integer, got ${JSON.stringify(input.taskId)}`);
    const fault = { ...input, id: this.#next++ };
    this.list.push(fault);
    return fault;
  }

  #addPush(input: Omit<Fault, 'id'>): Fault {
    if (input.callback !== undefined && !PUSH_TYPES.includes(input.callback))
      throw new Error(`a push fault's callback is one of ${PUSH_TYPES.join(', ')}, got ${input.callback}`);
    if (input.rate !== undefined && !(typeof input.rate === 'number' && input.rate >= 0 && input.rate <= 1))
      throw new Error(`a push fault's rate is a number 0–1, got ${JSON.stringify(input.rate)}`);
    if (input.times !== undefined && !(Number.isInteger(input.times) && input.times >= 1))
      throw new Error(`a fault's times is a whole number ≥ 1, got ${JSON.stringify(input.times)}`);
    if (input.delayMs !== undefined && !(Number.isFinite(input.delayMs) && input.delayMs >= 0))
      throw new Error(`a delay fault's delayMs is a number ≥ 0, got ${JSON.stringify(input.delayMs)}`);
    const fault: Fault = { kind: input.kind, id: this.#next++ };
    if (input.callback !== undefined) fault.callback = input.callback;
    if (input.rate !== undefined) fault.rate = input.rate;
    if (input.times !== undefined) fault.times = input.times;
    if (input.delayMs !== undefined) fault.delayMs = input.delayMs;
    this.list.push(fault);
    return fault;
  }

  /**
   * The push fault of `kind` that strikes this callback of `type`, if any (using up one of its
   * `times`): each matching fault with a `rate` draws from `random`.
   */
  takePush(kind: PushFaultKind, type: PushType, random: () => number): Fault | undefined {
    const hit = this.list.find(
      (f) =>
        f.kind === kind &&
        (f.callback === undefined || f.callback === type) &&
        (f.rate === undefined || random() < f.rate),
    );
    if (hit?.times !== undefined && --hit.times <= 0) this.list = this.list.filter((f) => f !== hit);
    return hit;
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
        !isPushFault(f.kind) &&
        (!f.endpoint || endpoint.endsWith(f.endpoint)) &&
        (f.taskId === undefined || f.taskId === taskId),
    );
    for (const f of hits) if (f.times !== undefined) f.times--;
    this.list = this.list.filter((f) => f.times === undefined || f.times > 0);
    return hits;
  }
}
