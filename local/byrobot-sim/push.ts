import { INTENT_RESULT_NAME } from '../../shared/byrobot/enums.ts';
import { toBeijingDate, toBeijingDateTime, toBeijingIso } from '../../shared/time.ts';
import { INTENT_LABELS } from './conversation.ts';
import { type Faults, PUSH_TYPES, type PushType } from './faults.ts';
import { createRandom } from './prng.ts';
import { artificial, phoneLogInfo } from './views.ts';
import type {
  CallRecordRef,
  Level,
  SimCall,
  SimInbound,
  SimTask,
  UndeliveredQuery,
  World,
  WorldListener,
} from './world.ts';

/*
 * byrobot's push callbacks (reference/byrobot-docs/callback.md), as byrobot sends them: real HTTP
 * POSTs to the URLs registered per company, with the documented bodies and content types, retried
 * on the documented schedule on the virtual clock until the body `success` comes back. What was
 * never delivered is listed by queryUnCallBack. docs/simulator.md, "Push callbacks".
 */

const S = 1000;
const M = 60 * S;
const H = 60 * M;
/**
 * The wait before each retry, from the previous attempt. callback.md: the 16 listed intervals, then
 * every 2 h; "at most 27 callbacks, 26 h 46 min in all". The 16 intervals add up to 4 h 45 min 40 s,
 * so 26 h 46 min is reached only with 11 more 2-hour waits: 27 retries after the first POST
 * (28 POSTs, the last 26 h 45 min 40 s after the first). 27 POSTs in all would end at 24 h 45 min 40 s.
 */
export const RETRY_INTERVALS_MS: readonly number[] = [
  10 * S,
  30 * S,
  1 * M,
  2 * M,
  3 * M,
  4 * M,
  5 * M,
  6 * M,
  7 * M,
  8 * M,
  9 * M,
  10 * M,
  20 * M,
  30 * M,
  1 * H,
  2 * H,
  ...Array.from({ length: 11 }, () => 2 * H),
];

/** callback.md's content types: public cloud JSON, private cloud the same JSON as text/plain. */
export const CONTENT_TYPES = {
  json: 'application/json;charset=utf-8',
  text: 'text/plain;charset=utf-8',
} as const;
export type ContentTypeName = keyof typeof CONTENT_TYPES;

/** What byrobot's console configures per company: one URL for call records, one for task status. */
export interface CallbackRegistration {
  companyId: number;
  /** CALL_INSTANCE_RESULT (call records and manual intent changes) and INBOUND_CALL_INSTANCE_RESULT. */
  callRecordUrl: string | null;
  /** JOB_INFO_RESULT. */
  taskStatusUrl: string | null;
  contentType: ContentTypeName;
}

/** What the pusher counts per callback type. */
const PUSH_COUNTERS = [
  // Callbacks byrobot made (a duplicate counts once more).
  'created',
  // POSTs sent.
  'attempted',
  // Callbacks whose `success` counted.
  'delivered',
  // Attempts that failed: not `success`, a connection error, a timeout, an ignored `success`.
  'failed',
  // Callbacks that used up every retry.
  'exhausted',
  'dropped',
  'duplicated',
  'reordered',
  'delayed',
  // `success` answers treated as failures (answerIgnored).
  'ignored',
] as const;
export type PushCounters = Record<(typeof PUSH_COUNTERS)[number], number>;
export type PushStats = Record<PushType, PushCounters>;

const emptyCounters = () => Object.fromEntries(PUSH_COUNTERS.map((c) => [c, 0])) as PushCounters;
const emptyPushStats = (): PushStats =>
  Object.fromEntries(PUSH_TYPES.map((t) => [t, emptyCounters()])) as PushStats;

export interface PushAttempt {
  /** Virtual time it was sent, Beijing ISO. */
  at: string;
  atMs: number;
  /** Real time it was sent (epoch ms): benches time push → event from it. */
  wallMs: number;
  /** `success`, `success ignored`, `HTTP 500 "…"`, `timeout`, `connection error: …`, `no URL registered`. */
  outcome: string;
}

export type PushState = 'scheduled' | 'held' | 'sending' | 'waiting' | 'delivered' | 'dropped' | 'exhausted';

export interface Push {
  id: number;
  type: PushType;
  dataType: 'CALL_INSTANCE_RESULT' | 'JOB_INFO_RESULT' | 'INBOUND_CALL_INSTANCE_RESULT';
  companyId: number;
  /** The call (call, intent, inbound) or task (job) it is about. */
  callInstanceId: number | null;
  callJobId: number | null;
  state: PushState;
  attempts: PushAttempt[];
  /** When the next attempt is due (virtual, Beijing ISO); null when none is. */
  nextAt: string | null;
  /** The id of the callback this one duplicates (duplicate fault). */
  duplicateOf: number | null;
  /** The exact bytes every attempt sends ('' once it is delivered, exhausted or dropped). */
  body: string;
  record: CallRecordRef | null;
  /** An attempt failed and none has succeeded since (or it was dropped): queryUnCallBack lists it. */
  failed: boolean;
  /** intent: who re-graded it (the control's `by`); byrobot's body does not say, so it is not sent. */
  changedBy: string | null;
  generation: number;
}

export interface PusherOptions {
  faults: Faults;
  seed: number;
  /** Real milliseconds a receiver has to answer one POST; then the attempt failed. @default 5000 */
  timeoutMs?: number;
  /** POSTs in flight at once; the rest wait their turn in order. @default 16 */
  maxInFlight?: number;
}

/**
 * The simulator's pusher: the registrations and counters live as long as the simulator (a reset
 * keeps them); the callbacks themselves belong to the world they came from (`attach`).
 */
export class Pusher implements WorldListener {
  readonly registrations = new Map<number, CallbackRegistration>();
  stats: PushStats = emptyPushStats();
  readonly #faults: Faults;
  readonly #random: () => number;
  readonly #answerRandom: () => number;
  #closed = false;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  #world: World | undefined;
  #generation = 0;
  #nextId = 1;
  #pushes = new Map<number, Push>();
  #held = new Map<number, Push[]>();
  #queue: Push[] = [];
  #inFlight = 0;
  /** POSTs under way, so close() can cut them off. */
  readonly #controllers = new Set<AbortController>();

  constructor(options: PusherOptions) {
    this.#faults = options.faults;
    this.#random = createRandom(options.seed ^ 0x5eed).next;
    // answerIgnored draws as answers come in, in real time: a stream of its own keeps the draws made
    // as callbacks are created (drop, duplicate, reorder, delay) the same from run to run.
    this.#answerRandom = createRandom(options.seed ^ 0xa115).next;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxInFlight = options.maxInFlight ?? 16;
  }

  /** Pushes for this world from now on; the previous world's callbacks are forgotten. */
  attach(world: World): void {
    this.#generation++;
    if (this.#world) this.#world.pusher = undefined; // a world kept from before the reset pushes nothing
    this.#world = world;
    world.pusher = this;
    this.#pushes = new Map();
    this.#held = new Map();
    this.#queue = [];
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Every callback of the current world, oldest first. */
  list(filter: { type?: PushType; state?: PushState; callInstanceId?: number } = {}): Push[] {
    return [...this.#pushes.values()].filter(
      (p) =>
        (filter.type === undefined || p.type === filter.type) &&
        (filter.state === undefined || p.state === filter.state) &&
        (filter.callInstanceId === undefined || p.callInstanceId === filter.callInstanceId),
    );
  }

  resetStats(): void {
    this.stats = emptyPushStats();
  }

  /** Registers (or changes: absent fields keep their value) a company's callback URLs. */
  register(input: {
    companyId: unknown;
    callRecordUrl?: unknown;
    taskStatusUrl?: unknown;
    contentType?: unknown;
  }): CallbackRegistration {
    const world = this.#world!;
    const companyId = input.companyId;
    if (typeof companyId !== 'number' || !world.companies.has(companyId))
      throw new Error(`companyId must be one of ${[...world.companies.keys()].join(', ')}`);
    const previous = this.registrations.get(companyId);
    // A field left out keeps its value; null clears it.
    const url = (name: 'callRecordUrl' | 'taskStatusUrl'): string | null => {
      const value = input[name];
      if (value === undefined) return previous?.[name] ?? null;
      if (value === null) return null;
      let parsed: URL;
      try {
        parsed = new URL(String(value));
      } catch {
        throw new Error(`${name} must be an absolute http(s) URL`);
      }
      if (typeof value !== 'string' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
        throw new Error(`${name} must be an absolute http(s) URL`);
      return value;
    };
    if (input.contentType !== undefined && input.contentType !== 'json' && input.contentType !== 'text')
      throw new Error('contentType is "json" (public cloud) or "text" (private cloud)');
    const registration: CallbackRegistration = {
      companyId,
      callRecordUrl: url('callRecordUrl'),
      taskStatusUrl: url('taskStatusUrl'),
      contentType: (input.contentType as ContentTypeName | undefined) ?? previous?.contentType ?? 'json',
    };
    this.registrations.set(companyId, registration);
    return registration;
  }

  unregister(companyId: number): boolean {
    return this.registrations.delete(companyId);
  }

  // ---------- what the world tells us ----------

  callFinished(call: SimCall, task: SimTask, jobFinished: boolean): void {
    const world = this.#world!;
    // Benchmarks dial thousands of calls with nothing registered: build no body for them.
    if (!this.#url('call', task.companyId)) return;
    const detail = phoneLogInfo(world, call);
    this.#create('call', task.companyId, {
      dataType: 'CALL_INSTANCE_RESULT',
      callInstanceId: call.callInstanceId,
      callJobId: task.id,
      record: outboundRecord(call),
      data: {
        sceneInstance: detail.sceneInstance,
        taskResult: detail.taskResult,
        phoneLog: detail.phoneLog,
        jobFinished,
        sign: null,
        dateTime: gmt(world.now),
      },
      resultMsg: '成功',
    });
  }

  intentChanged(call: SimCall, level: Level, by: string | undefined): void {
    // Exactly callback.md's sample: nothing but the one result, its value the bare letter.
    this.#create('intent', call.companyId, {
      dataType: 'CALL_INSTANCE_RESULT',
      callInstanceId: call.callInstanceId,
      callJobId: call.taskId,
      record: outboundRecord(call),
      data: {
        taskResult: [
          {
            companyId: call.companyId,
            sceneInstanceId: call.callInstanceId,
            resultName: INTENT_RESULT_NAME,
            resultValue: level,
          },
        ],
      },
      resultMsg: '成功',
      changedBy: by ?? null,
    });
  }

  taskStatusChanged(task: SimTask): void {
    // callback.md: manual pause, automatic pause, line arrears, SMS arrears, completed.
    if (!REPORTED_STATUSES.has(task.status)) return;
    this.#create('job', task.companyId, {
      dataType: 'JOB_INFO_RESULT',
      callInstanceId: null,
      callJobId: task.id,
      record: null,
      data: jobInfo(task),
      resultMsg: '执行成功',
    });
  }

  inboundFinished(call: SimInbound): void {
    this.#create('inbound', call.companyId, {
      dataType: 'INBOUND_CALL_INSTANCE_RESULT',
      callInstanceId: call.inboundInstanceId,
      callJobId: call.callJobId,
      record: {
        dataType: 1,
        callInstanceId: call.inboundInstanceId,
        callJobId: call.callJobId,
        customerTelephone: call.phone,
        callerTime: call.startTime,
      },
      data: inboundData(call, this.#world!.now),
      resultMsg: '成功',
    });
  }

  // ---------- queryUnCallBack ----------

  /** The call records whose callback byrobot failed to deliver, by the call's dial time, oldest first. */
  undelivered(query: UndeliveredQuery): CallRecordRef[] {
    const seen = new Map<number, CallRecordRef>();
    for (const p of this.#pushes.values()) {
      const r = p.record;
      if (!r || !p.failed || p.companyId !== query.companyId || r.dataType !== query.dataType) continue;
      if (query.callJobId !== undefined && r.callJobId !== query.callJobId) continue;
      const day = toBeijingDate(r.callerTime);
      if (day < query.startDate || day > query.endDate) continue;
      if (!seen.has(r.callInstanceId)) seen.set(r.callInstanceId, r);
    }
    return [...seen.values()].sort(
      (a, b) => a.callerTime - b.callerTime || a.callInstanceId - b.callInstanceId,
    );
  }

  // ---------- delivery ----------

  #create(
    type: PushType,
    companyId: number,
    input: {
      dataType: Push['dataType'];
      callInstanceId: number | null;
      callJobId: number | null;
      record: CallRecordRef | null;
      data: unknown;
      resultMsg: string;
      changedBy?: string | null;
    },
  ): void {
    // No URL configured in the console: byrobot has nowhere to push, and nothing is recorded.
    if (!this.#url(type, companyId)) return;
    const body = JSON.stringify({
      code: 200,
      data: { dataType: input.dataType, data: input.data },
      resultMsg: input.resultMsg,
      errorStackTrace: null,
    });
    const make = (duplicateOf: number | null): Push => {
      const push: Push = {
        id: this.#nextId++,
        type,
        dataType: input.dataType,
        companyId,
        callInstanceId: input.callInstanceId,
        callJobId: input.callJobId,
        state: 'scheduled',
        attempts: [],
        nextAt: null,
        duplicateOf,
        body,
        record: input.record,
        failed: false,
        changedBy: input.changedBy ?? null,
        generation: this.#generation,
      };
      this.#pushes.set(push.id, push);
      this.stats[type].created++;
      return push;
    };
    const push = make(null);
    const counters = this.stats[type];
    const take = (kind: Parameters<Faults['takePush']>[0]) => this.#faults.takePush(kind, type, this.#random);
    if (take('drop')) {
      push.state = 'dropped';
      push.failed = true;
      push.body = '';
      counters.dropped++;
      return;
    }
    const copies = [push];
    if (take('duplicate')) {
      copies.push(make(push.id));
      counters.duplicated++;
    }
    const delay = take('delay');
    const reorder = take('reorder');
    if (delay) counters.delayed++;
    for (const p of copies) {
      if (reorder) {
        p.state = 'held';
        const held = this.#held.get(companyId) ?? [];
        held.push(p);
        this.#held.set(companyId, held);
      } else this.#schedule(p, this.#world!.now + (delay ? (delay.delayMs ?? 60_000) : 0));
    }
    if (reorder) counters.reordered++;
  }

  /** Where byrobot's console says this type of callback goes for the company (the URL now). */
  #url(type: PushType, companyId: number): string | null {
    const registration = this.registrations.get(companyId);
    return (type === 'job' ? registration?.taskStatusUrl : registration?.callRecordUrl) ?? null;
  }

  #schedule(push: Push, at: number): void {
    const world = this.#world!;
    push.nextAt = toBeijingIso(at);
    if (at <= world.now) this.#enqueue(push);
    else
      world.clock.at(at, () => {
        if (push.generation === this.#generation) this.#enqueue(push);
      });
  }

  #enqueue(push: Push): void {
    this.#queue.push(push);
    this.#drain();
  }

  #drain(): void {
    if (this.#closed) return;
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0)
      void this.#send(this.#queue.shift()!);
  }

  async #send(push: Push): Promise<void> {
    const world = this.#world!;
    const sentAt = world.now;
    const attempt: PushAttempt = {
      at: toBeijingIso(sentAt),
      atMs: sentAt,
      wallMs: Date.now(),
      outcome: 'sending',
    };
    push.attempts.push(attempt);
    push.state = 'sending';
    push.nextAt = null;
    const counters = this.stats[push.type];
    counters.attempted++;
    this.#inFlight++;
    const registration = this.registrations.get(push.companyId);
    const url = this.#url(push.type, push.companyId);
    let outcome: string;
    if (!url || !registration) outcome = 'no URL registered';
    else {
      const controller = new AbortController();
      this.#controllers.add(controller);
      const timer = setTimeout(() => controller.abort(new Error('timeout')), this.#timeoutMs);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': CONTENT_TYPES[registration.contentType] },
          body: push.body,
          signal: controller.signal,
        });
        const text = await response.text();
        // Delivered only on an exact `success` (not trimmed, not any case) in a 2xx answer.
        outcome =
          response.ok && text === 'success'
            ? 'success'
            : `HTTP ${response.status} ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`;
      } catch (error) {
        outcome = controller.signal.aborted
          ? `timeout (no answer within ${this.#timeoutMs} ms)`
          : `connection error: ${causeOf(error)}`;
      } finally {
        clearTimeout(timer);
        this.#controllers.delete(controller);
      }
    }
    this.#inFlight--;
    if (push.generation !== this.#generation) {
      this.#drain();
      return; // the world was reset meanwhile
    }
    if (outcome === 'success' && this.#faults.takePush('answerIgnored', push.type, this.#answerRandom)) {
      outcome = 'success ignored (answerIgnored fault)';
      counters.ignored++;
    }
    attempt.outcome = outcome;
    if (outcome === 'success') {
      push.state = 'delivered';
      push.failed = false;
      push.body = ''; // never sent again: a long benchmark keeps no bodies
      counters.delivered++;
    } else {
      counters.failed++;
      push.failed = true;
      const retry = push.attempts.length - 1;
      if (retry >= RETRY_INTERVALS_MS.length) {
        push.state = 'exhausted';
        push.body = '';
        counters.exhausted++;
      } else {
        push.state = 'waiting';
        this.#schedule(push, sentAt + RETRY_INTERVALS_MS[retry]!);
      }
    }
    // reorder: what was held back goes out after this company's next callback.
    const held = push.attempts.length === 1 ? this.#held.get(push.companyId) : undefined;
    if (held && !held.includes(push)) {
      this.#held.delete(push.companyId);
      for (const h of held) {
        h.state = 'scheduled';
        this.#schedule(h, world.now);
      }
    }
    this.#drain();
  }

  /** Cuts off POSTs still under way (the simulator is closing). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#generation++;
    for (const c of this.#controllers) c.abort(new Error('simulator closed'));
  }
}

/** The task statuses callback.md says byrobot reports: 4 paused by user, 5 by system, 9/10 arrears, 2 completed. */
const REPORTED_STATUSES: ReadonlySet<number> = new Set([2, 4, 5, 9, 10]);

const gmt = (ms: number) => new Date(ms).toUTCString();

function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}

function outboundRecord(call: SimCall): CallRecordRef {
  return {
    dataType: 0,
    callInstanceId: call.callInstanceId,
    callJobId: call.taskId,
    customerTelephone: call.phone,
    callerTime: call.startTime ?? call.createdAt,
  };
}

/** callback.md's JOB_INFO_RESULT fields, from the task as it is now. */
function jobInfo(task: SimTask) {
  return {
    callJobId: task.id,
    companyId: task.companyId,
    jobName: task.name,
    jobType: task.type,
    startDate: task.startDate,
    endDate: task.startDate,
    workingStartTime: task.workingStartTime,
    workingEndTime: task.workingEndTime,
    breakStartTime: task.breakStartTime,
    breakEndTime: task.breakEndTime,
    status: task.status,
    callType: task.callType,
    robotDefId: task.robotDefId,
    sceneDefId: task.sceneDefId,
    sceneRecordId: task.sceneRecordId,
    remark: task.remark,
    smsType: 0,
    smsCondition: null,
    smsTemplateId: null,
    userId: DEMO_USER.id + task.companyId,
    userName: DEMO_USER.name,
  };
}
const DEMO_USER = { id: 240, name: '演示管理员' };

const RECORDINGS = 'https://byrobot-sim-recordings.example.com/InboundRobotCommunicate';

/** callback.md's inbound sample, field for field. */
function inboundData(call: SimInbound, now: number) {
  const id = call.inboundInstanceId;
  const o = call.outcome;
  // As the sample names it: …/1091/20190124-152809_1010.wav
  const ended = toBeijingDateTime(call.endTime).replace(/[-:]/g, '').replace(' ', '-');
  const recording = `${RECORDINGS}/${id}/${ended}_${call.phone}.wav`;
  return {
    sceneInstance: {
      inboundInstanceId: id,
      companyId: call.companyId,
      callJobId: call.callJobId,
      customerId: call.customerId,
      customerTelephone: call.phone,
      customerName: '未知呼入客户',
      status: 2,
      finishStatus: o.finishStatus,
      duration: o.talkSeconds,
      chatRound: o.chatRound,
      startTime: toBeijingDateTime(call.startTime),
      endTime: toBeijingDateTime(call.endTime),
      calleePhone: call.calleePhone,
      luyinOssUrl: recording,
      userLuyinOssUrl: `${RECORDINGS}/${id}_user.wav`,
      properties: '{}',
      readStatus: null,
      robotDefId: call.robotDefId,
      sceneDefId: call.sceneDefId,
      sceneRecordId: call.sceneRecordId,
      transferStatus: null,
      transferInfo: null,
      userLevel: null,
      hangUp: o.hangUp,
      callbacked: null,
      propertiesMap: { 客户名称: '未知呼入客户', 联系方式: call.phone },
    },
    taskResult: o.results.map((r, i) => ({
      sceneInstanceResultId: id * 10 + i,
      companyId: call.companyId,
      callJobId: null,
      sceneInstanceId: id,
      resultName: r.name,
      resultValue: r.value,
      ...artificial(r, 'boolean'),
      resultDesc: r.desc,
    })),
    phoneLog: {
      phoneLogs: o.turns.map((t, i) => ({
        sceneInstanceLogId: id * 100 + i,
        sceneInstanceId: id,
        companyId: call.companyId,
        robotDefId: call.robotDefId,
        decisionId: null,
        speaker: t.speaker,
        content: t.content,
        userMean: t.userMean ?? '',
        userMeanDetail: null,
        aiUnknown: t.aiUnknown,
        answerStatus: null,
        studyStatus: null,
        startTime: t.startMs,
        endTime: t.endMs,
        knowledgeBaseId: null,
        correctionContent: null,
      })),
      luyinOssUrl: recording,
    },
    sign: null,
    dateTime: gmt(now),
  };
}

/** A level letter A–F from a control's body, or a 400 naming the rule. */
export function parseLevel(value: unknown): Level {
  if (typeof value === 'string' && value in INTENT_LABELS) return value as Level;
  throw new Error(
    `level must be one of ${Object.keys(INTENT_LABELS).join(', ')}, got ${JSON.stringify(value)}`,
  );
}
