import { INTENT_RESULT_NAME, TERMINAL_TASK_STATUSES } from '../../shared/byrobot/enums.ts';
import { clockMinutes, toBeijingDate, toBeijingDateTime } from '../../shared/time.ts';
import { VirtualClock } from './clock.ts';
import { generateOutcome, INTENT_LABELS, type Outcome } from './conversation.ts';
import { demoCompanies, type SimCompany, type SimRobot } from './demo-data.ts';
import { createRandom, type Random } from './prng.ts';

/** An error byrobot would answer with: its `code` and `resultMsg`. */
export class SimError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SimCall {
  callInstanceId: number;
  taskId: number;
  companyId: number;
  customerId: number;
  name: string;
  phone: string;
  properties: Record<string, string>;
  /** 0 not started, 1 in progress, 2 completed, 3 waiting for a redial */
  status: number;
  finishStatus: number | null;
  outcome: Outcome | null;
  attempts: number;
  startTime: number | null;
  endTime: number | null;
  nextRedialAt: number | null;
  callerPhone: string | null;
  createdAt: number;
  modifiedAt: number;
}

export interface RepeatRule {
  phoneStatus: number;
  times: number;
  interval: number;
}

export interface SimTask {
  id: number;
  companyId: number;
  name: string;
  type: number;
  startDate: string;
  workingStartTime: string;
  workingEndTime: string;
  breakStartTime: string | null;
  breakEndTime: string | null;
  status: number;
  robotDefId: number;
  sceneDefId: number;
  sceneRecordId: number;
  userPhoneIds: number[];
  callType: number;
  concurrency: number;
  remark: string;
  repeatRules: RepeatRule[];
  createdAt: number;
  calls: SimCall[];
  phones: Set<string>;
  /** Customers waiting to be dialled (status 0), in import order. */
  pending: SimCall[];
  active: number;
  redialsWaiting: number;
  /** Completed calls in the order they ended (oldest first). */
  done: SimCall[];
  counts: ReturnType<typeof noCounts>;
  wakeScheduled: boolean;
  /** Status 5 set by the simulator itself (out of working hours), not forced: it resumes by itself. */
  systemPaused: boolean;
  /** A check is due when the current working window ends (break or end of the working day). */
  leaveScheduled: boolean;
  /** Deleted (task/delete): out of getTasks unless needAll; every other endpoint answers 404. */
  deleted: boolean;
}

/** One intent level letter, as byrobot's CRM sets it. */
export type Level = keyof typeof INTENT_LABELS;

/** An inbound call (a customer rang one of the company's lines): made by POST /__sim/inbound. */
export interface SimInbound {
  inboundInstanceId: number;
  companyId: number;
  /** The company's inbound job (byrobot files inbound calls under one): 9000 + companyId. */
  callJobId: number;
  customerId: number;
  phone: string;
  calleePhone: string;
  robotDefId: number;
  sceneDefId: number;
  sceneRecordId: number;
  outcome: Outcome;
  startTime: number;
  endTime: number;
}

/** A task's counts (getTasks' totalCount, doneCount, …) before its first customer. */
const noCounts = () => ({ total: 0, done: 0, called: 0, rejected: 0, unavailable: 0, fromUnavailable: 0 });

/** byrobot answers clock times with seconds: `08:00` → `08:00:00`. */
const clockTime = (value: unknown) => `${String(value).slice(0, 5)}:00`;

/** finishStatus → which task count it adds to (see docs/simulator.md). */
const FROM_UNAVAILABLE = new Set([3, 9]);
const REDIALABLE = new Set([2, 3, 5, 6, 7, 9, 10]);

/** What the world tells as it happens, and the undelivered call records it is asked for (push.ts). */
export interface WorldListener {
  callFinished(call: SimCall, task: SimTask, jobFinished: boolean): void;
  intentChanged(call: SimCall, level: Level, by: string | undefined): void;
  taskStatusChanged(task: SimTask): void;
  inboundFinished(call: SimInbound): void;
  undelivered(query: UndeliveredQuery): CallRecordRef[];
}

/** A call record queryUnCallBack can list (dataType 0 outbound, 1 inbound). */
export interface CallRecordRef {
  dataType: 0 | 1;
  callInstanceId: number;
  callJobId: number;
  customerTelephone: string;
  /** When the call was dialled (epoch ms): queryUnCallBack's `callerTime` and date filter. */
  callerTime: number;
}

export interface UndeliveredQuery {
  companyId: number;
  callJobId?: number;
  dataType: 0 | 1;
  startDate: string;
  endDate: string;
}

export interface WorldOptions {
  seed: number;
  startTime: number;
  seats: number;
  /** Companies the app key manages (2 demo companies; more are shaped like company 2). */
  companies?: number;
}

/** The simulated byrobot account: companies, tasks, customers and calls on a virtual clock. */
export class World {
  readonly clock: VirtualClock;
  readonly companies = new Map<number, SimCompany>();
  readonly tasks = new Map<number, SimTask>();
  readonly tasksByCompany = new Map<number, SimTask[]>();
  readonly calls = new Map<number, SimCall>();
  readonly inboundCalls = new Map<number, SimInbound>();
  /** Told of call ends, status changes, re-grades and inbound calls, synchronously (push.ts). */
  pusher: WorldListener | undefined;
  #random: Random;
  #nextInboundId = 700_000;
  #nextTaskId = 1000;
  #nextCallId = 100_000;
  #nextCustomerId = 500_000;

  constructor(readonly options: WorldOptions) {
    this.clock = new VirtualClock(options.startTime);
    this.#random = createRandom(options.seed);
    for (const c of demoCompanies(options.seats, options.companies ?? 2)) {
      this.companies.set(c.companyId, c);
      this.tasksByCompany.set(c.companyId, []);
    }
  }

  get now(): number {
    return this.clock.now;
  }

  company(companyId: unknown): SimCompany {
    const company = typeof companyId === 'number' ? this.companies.get(companyId) : undefined;
    if (!company) throw new SimError(403, '权限不足：无权操作该公司');
    return company;
  }

  task(taskId: unknown, companyId?: number): SimTask {
    const task = typeof taskId === 'number' ? this.tasks.get(taskId) : undefined;
    if (!task || task.deleted || (companyId !== undefined && task.companyId !== companyId))
      throw new SimError(404, '任务不存在');
    return task;
  }

  /** The robot a task dials with. */
  robotOf(task: SimTask): SimRobot | undefined {
    return this.companies.get(task.companyId)?.robots.find((r) => r.robotDefId === task.robotDefId);
  }

  // ---------- tasks ----------

  createTask(input: Record<string, unknown>): number {
    const company = this.company(input.companyId);
    const name = input.taskName;
    if (typeof name !== 'string' || name.trim() === '' || name.length > 50)
      throw new SimError(412, '任务名称不能为空且不超过50字');
    const type = input.taskType;
    if (type !== 1 && type !== 2) throw new SimError(412, '任务类型错误');
    const startDate = input.startDate ?? toBeijingDate(this.now);
    if (typeof startDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(startDate))
      throw new SimError(412, '任务开始日期格式错误');
    if (type === 1 && input.startDate === undefined) throw new SimError(412, '定时任务必须设置开始日期');
    const workStart = (input.workingStartTime as string | undefined) ?? '09:00';
    const workEnd = (input.workingEndTime as string | undefined) ?? '20:00';
    const ws = clockMinutes(String(workStart));
    const we = clockMinutes(String(workEnd));
    if (ws === null || we === null) throw new SimError(412, '可拨打时间格式错误');
    // byrobot accepts any hours with start before end: its own examples use 08:00–22:00 and
    // 08:50–23:59, though task.md documents a 9:00–20:00 window (the bridge warns about it).
    if (ws >= we) throw new SimError(412, '可拨打结束时间须晚于开始时间');
    for (const field of ['breakStartTime', 'breakEndTime'] as const) {
      if (input[field] !== undefined && clockMinutes(String(input[field])) === null)
        throw new SimError(412, `${field}格式错误`);
    }
    const phoneIds = input.userPhoneIds;
    if (!Array.isArray(phoneIds) || phoneIds.length === 0) throw new SimError(412, '主叫号码不能为空');
    for (const id of phoneIds) {
      if (!company.phones.some((p) => p.userPhoneId === id)) throw new SimError(412, `主叫号码${id}不存在`);
    }
    const robot = company.robots.find((r) => r.robotDefId === input.robotDefId);
    if (!robot) throw new SimError(412, '机器人不存在');
    if (input.sceneDefId !== undefined && input.sceneDefId !== robot.sceneDefId)
      throw new SimError(412, '场景与机器人不匹配');
    const recordId = (input.sceneRecordId as number | undefined) ?? robot.sceneRecords[0]!.sceneRecordId;
    if (!robot.sceneRecords.some((r) => r.sceneRecordId === recordId)) throw new SimError(412, '录音不存在');
    const concurrency = (input.concurrencyQuota as number | undefined) ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > company.seats) {
      throw new SimError(412, `ai坐席数须为1-${company.seats}`);
    }
    const rules = (input.repeatCall === true ? (input.repeatCallRule ?? []) : []) as RepeatRule[];
    if (!Array.isArray(rules)) throw new SimError(412, '重拨规则格式错误');
    for (const r of rules) {
      if (
        !REDIALABLE.has(r?.phoneStatus) ||
        !(r.times >= 1 && r.times <= 5) ||
        !(r.interval >= 0 && r.interval <= 120)
      ) {
        throw new SimError(412, '重拨规则错误：phoneStatus须为可重拨状态，times 1-5，interval 0-120');
      }
    }
    const task: SimTask = {
      id: ++this.#nextTaskId,
      companyId: company.companyId,
      name,
      type,
      startDate,
      workingStartTime: clockTime(workStart),
      workingEndTime: clockTime(workEnd),
      breakStartTime: input.breakStartTime ? clockTime(input.breakStartTime) : null,
      breakEndTime: input.breakEndTime ? clockTime(input.breakEndTime) : null,
      status: 0,
      robotDefId: robot.robotDefId,
      sceneDefId: robot.sceneDefId,
      sceneRecordId: recordId,
      userPhoneIds: phoneIds as number[],
      callType: (input.callType as number | undefined) ?? 1,
      concurrency,
      remark: typeof input.remark === 'string' ? input.remark : '',
      repeatRules: rules,
      createdAt: this.now,
      calls: [],
      phones: new Set(),
      pending: [],
      active: 0,
      redialsWaiting: 0,
      done: [],
      counts: noCounts(),
      wakeScheduled: false,
      systemPaused: false,
      leaveScheduled: false,
      deleted: false,
    };
    this.tasks.set(task.id, task);
    this.tasksByCompany.get(company.companyId)!.push(task);
    if (type === 1) {
      // A scheduled task starts by itself on its start date at its working start time.
      const at = Date.parse(`${startDate}T${task.workingStartTime}+08:00`);
      this.clock.at(at, () => {
        if (task.status === 0 && task.pending.length > 0) this.#run(task);
      });
    }
    return task.id;
  }

  start(taskId: unknown): void {
    const task = this.task(taskId);
    if (task.status === 1 || task.status === 7 || task.status === 3)
      throw new SimError(412, '任务已在运行中');
    if (TERMINAL_TASK_STATUSES.has(task.status)) throw new SimError(412, '任务已结束，不能启动');
    if (task.status === 0 && task.pending.length === 0) throw new SimError(412, '任务没有待拨打的客户');
    this.#run(task);
    // Resumed with every customer already dialled: nothing is left, so it completes.
    this.#maybeComplete(task);
  }

  pause(taskId: unknown): void {
    const task = this.task(taskId);
    if (![1, 3, 5, 7].includes(task.status)) throw new SimError(412, '当前任务状态不能暂停');
    this.#setStatus(task, 4);
    this.#releaseSeats(task.companyId);
  }

  stop(taskId: unknown): void {
    const task = this.task(taskId);
    if (TERMINAL_TASK_STATUSES.has(task.status)) throw new SimError(412, '任务已结束');
    this.#setStatus(task, 6);
    // Calls in progress are cut off now, so the counts are final the moment the task is terminated.
    for (const call of task.calls) {
      if (call.status === 1) this.#finishCall(task, call, true);
      else if (call.status === 3) {
        call.status = 2;
        this.#recordDone(task, call);
      }
    }
    task.pending = [];
    this.#releaseSeats(task.companyId);
  }

  /** task/delete: stops dialling and frees the task's seats; the task vanishes from the API. */
  deleteTask(taskId: unknown): void {
    const task = this.task(taskId);
    if (!TERMINAL_TASK_STATUSES.has(task.status)) this.stop(task.id);
    task.deleted = true;
  }

  forceStatus(taskId: unknown, status: number): void {
    const task = this.task(taskId);
    this.#setStatus(task, status);
    if (status === 1) this.#pump(task);
    else this.#releaseSeats(task.companyId);
  }

  /** `bySystem`: the simulator's own pause out of working hours, which resumes by itself. */
  #setStatus(task: SimTask, status: number, bySystem = false): void {
    const previous = task.status;
    task.status = status;
    task.systemPaused = bySystem;
    if (previous !== status) this.pusher?.taskStatusChanged(task);
  }

  // ---------- what people do in byrobot's CRM ----------

  /**
   * A manual intent change (byrobot's CRM): the call's 客户意向等级 becomes `level`, marked as changed
   * by a person; phoneLogInfo answers the new level from now on.
   */
  regrade(callInstanceId: number, level: Level, by?: string): SimCall {
    const call = this.calls.get(callInstanceId);
    if (!call) throw new SimError(404, '通话记录不存在');
    if (!call.outcome || (call.status !== 2 && call.status !== 3))
      throw new SimError(412, '通话尚未完成，不能修改意向等级');
    let result = call.outcome.results.find((r) => r.name === INTENT_RESULT_NAME);
    if (!result) {
      result = { name: INTENT_RESULT_NAME, value: INTENT_LABELS[level], desc: null, analyzeType: null };
      call.outcome.results.unshift(result);
    }
    result.value = INTENT_LABELS[level];
    result.artificialChanged = true;
    result.modifiedAt = this.now;
    this.pusher?.intentChanged(call, level, by);
    return call;
  }

  /** An inbound call to one of the company's lines, answered by its first robot and ended now. */
  inbound(input: { companyId: unknown; phone?: unknown; level?: Level }): SimInbound {
    const company = this.company(input.companyId);
    const phone = typeof input.phone === 'string' && input.phone.trim() ? input.phone.trim() : undefined;
    if (input.phone !== undefined && !phone) throw new SimError(412, '来电号码格式错误');
    const robot = company.robots[0]!;
    // A customer who calls in is on the line: draw until the outcome is an answered conversation.
    let outcome = generateOutcome(this.#random, '未知呼入客户');
    for (let i = 0; i < 100 && outcome.finishStatus !== 0; i++)
      outcome = generateOutcome(this.#random, '未知呼入客户');
    if (input.level) {
      const intent = outcome.results.find((r) => r.name === INTENT_RESULT_NAME);
      if (intent) intent.value = INTENT_LABELS[input.level];
    }
    const id = ++this.#nextInboundId;
    const call: SimInbound = {
      inboundInstanceId: id,
      companyId: company.companyId,
      callJobId: 9000 + company.companyId,
      customerId: ++this.#nextCustomerId,
      phone: phone ?? `1390000${String(id % 10_000).padStart(4, '0')}`,
      calleePhone: company.phones[0]!.phone,
      robotDefId: robot.robotDefId,
      sceneDefId: robot.sceneDefId,
      sceneRecordId: robot.sceneRecords[0]!.sceneRecordId,
      outcome,
      startTime: this.now - outcome.talkSeconds * 1000,
      endTime: this.now,
    };
    this.inboundCalls.set(id, call);
    this.pusher?.inboundFinished(call);
    return call;
  }

  // ---------- customers ----------

  importCustomers(input: Record<string, unknown>): {
    successNum: number;
    repeatNum: number;
    placeFailNum: number;
  } {
    const company = this.company(input.companyId);
    const task = this.task(input.taskId, company.companyId);
    const list = input.customerInfoList;
    if (!Array.isArray(list) || list.length === 0) throw new SimError(412, '客户列表不能为空');
    if (list.length > 10_000) throw new SimError(412, '单次导入最大10000条');
    if (TERMINAL_TASK_STATUSES.has(task.status)) throw new SimError(412, '任务已结束，不能导入客户');
    const variables = this.robotOf(task)?.variables ?? [];
    let successNum = 0;
    let repeatNum = 0;
    let placeFailNum = 0;
    for (const raw of list) {
      const c = raw as { name?: unknown; phone?: unknown; properties?: unknown };
      if (typeof c?.phone !== 'string' || c.phone.trim() === '') throw new SimError(412, '客户电话不能为空');
      const phone = c.phone.trim();
      if (task.phones.has(phone)) {
        repeatNum++;
        continue;
      }
      const properties: Record<string, string> = {};
      if (c.properties && typeof c.properties === 'object') {
        for (const [k, v] of Object.entries(c.properties)) properties[k] = String(v);
      }
      if (variables.some((v) => !properties[v])) {
        placeFailNum++;
        continue;
      }
      task.phones.add(phone);
      const call: SimCall = {
        callInstanceId: ++this.#nextCallId,
        taskId: task.id,
        companyId: task.companyId,
        customerId: ++this.#nextCustomerId,
        name: typeof c.name === 'string' ? c.name : '',
        phone,
        properties,
        status: 0,
        finishStatus: null,
        outcome: null,
        attempts: 0,
        startTime: null,
        endTime: null,
        nextRedialAt: null,
        callerPhone: null,
        createdAt: this.now,
        modifiedAt: this.now,
      };
      task.calls.push(call);
      task.pending.push(call);
      this.calls.set(call.callInstanceId, call);
      task.counts.total++;
      successNum++;
    }
    if (task.status === 1) this.#pump(task);
    return { successNum, repeatNum, placeFailNum };
  }

  // ---------- the dialler ----------

  #seatsInUse(companyId: number): number {
    let used = 0;
    // A task the system paused for the night keeps its seats (byrobot's FAQ: an automatic pause still
    // takes AI concurrency); a user's pause frees them.
    for (const t of this.tasksByCompany.get(companyId) ?? [])
      if (t.status === 1 || (t.status === 5 && t.systemPaused)) used += t.concurrency;
    return used;
  }

  #run(task: SimTask): void {
    const company = this.companies.get(task.companyId)!;
    task.systemPaused = false; // its own seats are not in use while it asks for them
    this.#setStatus(task, this.#seatsInUse(task.companyId) + task.concurrency <= company.seats ? 1 : 7);
    if (task.status === 1) this.#pump(task);
  }

  /** Queued tasks take seats as they free up, oldest first. */
  #releaseSeats(companyId: number): void {
    const company = this.companies.get(companyId)!;
    for (const t of this.tasksByCompany.get(companyId) ?? []) {
      if (t.status === 7 && this.#seatsInUse(companyId) + t.concurrency <= company.seats) {
        this.#setStatus(t, 1);
        this.#pump(t);
      }
    }
  }

  #inHours(task: SimTask, at: number): boolean {
    const minutes = clockMinutes(toBeijingDateTime(at).slice(11, 16))!;
    const ws = clockMinutes(task.workingStartTime)!;
    const we = clockMinutes(task.workingEndTime)!;
    if (minutes < ws || minutes >= we) return false;
    if (task.breakStartTime && task.breakEndTime) {
      const bs = clockMinutes(task.breakStartTime)!;
      const be = clockMinutes(task.breakEndTime)!;
      if (minutes >= bs && minutes < be) return false;
    }
    return true;
  }

  /** The next minute at which the task may dial again. */
  #nextWindow(task: SimTask, from: number): number {
    let t = Math.ceil(from / 60_000) * 60_000;
    for (let i = 0; i < 2 * 24 * 60; i++, t += 60_000) if (this.#inHours(task, t)) return t;
    return from + 24 * 3600_000;
  }

  /**
   * The end of the working window `at` is in (its break or the end of its working day): where a
   * running task is paused by the system.
   */
  #windowEnd(task: SimTask, at: number): number {
    const day = 24 * 3600_000;
    const dayStart = at - ((at + 8 * 3600_000) % day); // Beijing midnight
    const minutes = Math.floor((at - dayStart) / 60_000);
    let end = clockMinutes(task.workingEndTime)!;
    if (task.breakStartTime && task.breakEndTime) {
      const bs = clockMinutes(task.breakStartTime)!;
      if (bs > minutes && bs < end) end = bs;
    }
    return dayStart + end * 60_000;
  }

  /**
   * Out of its working hours a running task is paused by the system (status 5), as byrobot does, and
   * resumes (status 1) when its next window opens. Calls in progress finish meanwhile.
   */
  #pauseBySystem(task: SimTask): void {
    this.#setStatus(task, 5, true);
    if (task.wakeScheduled) return;
    task.wakeScheduled = true;
    this.clock.at(this.#nextWindow(task, this.now), () => {
      task.wakeScheduled = false;
      if (task.status !== 5 || !task.systemPaused) return; // paused, stopped or forced meanwhile
      this.#setStatus(task, 1);
      this.#pump(task);
    });
  }

  #pump(task: SimTask): void {
    if (task.status !== 1) {
      this.#maybeComplete(task);
      return;
    }
    if (!this.#inHours(task, this.now)) {
      this.#pauseBySystem(task);
      this.#maybeComplete(task);
      return;
    }
    if (!task.leaveScheduled) {
      task.leaveScheduled = true;
      this.clock.at(this.#windowEnd(task, this.now), () => {
        task.leaveScheduled = false;
        if (task.status === 1 && !this.#inHours(task, this.now)) this.#pauseBySystem(task);
        else this.#pump(task);
      });
    }
    const company = this.companies.get(task.companyId)!;
    const lines = company.phones.filter((p) => task.userPhoneIds.includes(p.userPhoneId));
    while (task.active < task.concurrency && task.pending.length > 0) {
      const call = task.pending.shift()!;
      const line = lines[call.callInstanceId % Math.max(1, lines.length)];
      const outcome =
        line && !line.available
          ? {
              ...generateOutcome(this.#random, call.name),
              finishStatus: 3,
              talkSeconds: 0,
              chatRound: 0,
              turns: [],
            }
          : generateOutcome(this.#random, call.name);
      call.status = 1;
      call.outcome = outcome;
      call.startTime = this.now;
      call.callerPhone = line?.phone ?? null;
      call.modifiedAt = this.now;
      task.active++;
      this.clock.at(this.now + (outcome.ringSeconds + outcome.talkSeconds) * 1000, () => {
        if (call.status === 1) this.#finishCall(task, call, false);
      });
    }
    this.#maybeComplete(task);
  }

  #finishCall(task: SimTask, call: SimCall, cutOff: boolean): void {
    const outcome = call.outcome!;
    task.active--;
    call.endTime = this.now;
    call.modifiedAt = this.now;
    call.finishStatus = outcome.finishStatus;
    if (cutOff && outcome.finishStatus === 0) {
      outcome.talkSeconds = Math.max(
        0,
        Math.round((this.now - (call.startTime ?? this.now)) / 1000) - outcome.ringSeconds,
      );
    }
    const rule = task.repeatRules.find((r) => r.phoneStatus === outcome.finishStatus);
    if (!cutOff && rule && call.attempts < rule.times && task.status !== 6) {
      // byrobot redials the same call instance later; it is not "done" until its last attempt.
      call.status = 3;
      call.nextRedialAt = this.now + rule.interval * 60_000;
      task.redialsWaiting++;
      this.clock.at(call.nextRedialAt, () => {
        task.redialsWaiting--;
        if (call.status !== 3) return;
        call.attempts++;
        call.status = 0;
        task.pending.unshift(call);
        this.#pump(task);
        this.#maybeComplete(task);
      });
    } else {
      call.status = 2;
      this.#recordDone(task, call);
    }
    // Whether this was the task's last call: what #maybeComplete will find once the dialler has
    // looked, or the task was stopped.
    this.pusher?.callFinished(call, task, this.#nothingLeft(task) || TERMINAL_TASK_STATUSES.has(task.status));
    if (!cutOff) this.#pump(task);
  }

  #recordDone(task: SimTask, call: SimCall): void {
    task.done.push(call);
    const c = task.counts;
    const fs = call.finishStatus ?? 2;
    c.done++;
    if (fs === 0) c.called++;
    else if (fs === 1) c.rejected++;
    else if (FROM_UNAVAILABLE.has(fs)) c.fromUnavailable++;
    else c.unavailable++;
  }

  /** A dialling task with nothing waiting, dialling or due for a redial: it is complete. */
  #nothingLeft(task: SimTask): boolean {
    const live = task.status === 1 || (task.status === 5 && task.systemPaused);
    return live && task.pending.length === 0 && task.active === 0 && task.redialsWaiting === 0;
  }

  #maybeComplete(task: SimTask): void {
    if (this.#nothingLeft(task)) {
      this.#setStatus(task, 2);
      this.#releaseSeats(task.companyId);
    }
  }

  // ---------- bulk helpers for benchmarks ----------

  /** Many tasks at once, without HTTP: `count` tasks with `customersPerTask` each, in `status`. */
  bulkCreateTasks(options: {
    companyId: number;
    count: number;
    customersPerTask?: number;
    status?: 'not-started' | 'running' | 'completed' | 'paused';
    concurrency?: number;
  }): number[] {
    const company = this.company(options.companyId);
    const robot = company.robots.find((r) => r.variables.length === 0) ?? company.robots[0]!;
    const ids: number[] = [];
    for (let i = 0; i < options.count; i++) {
      const id = this.createTask({
        companyId: company.companyId,
        taskName: `批量任务${i}`,
        taskType: 2,
        userPhoneIds: [company.phones.find((p) => p.available)!.userPhoneId],
        robotDefId: robot.robotDefId,
        concurrencyQuota: Math.min(options.concurrency ?? 1, company.seats),
      });
      const n = options.customersPerTask ?? 0;
      if (n > 0) {
        const customers = Array.from({ length: n }, (_, k) => ({
          name: `客户${k}`,
          phone: `13${String(id).padStart(5, '0')}${String(k).padStart(4, '0')}`,
          properties: Object.fromEntries(robot.variables.map((v) => [v, '1'])),
        }));
        for (let k = 0; k < customers.length; k += 10_000) {
          this.importCustomers({
            companyId: company.companyId,
            taskId: id,
            customerInfoList: customers.slice(k, k + 10_000),
          });
        }
      }
      const task = this.tasks.get(id)!;
      if (options.status === 'running') {
        task.status = 1; // benchmarks ignore seat limits
        this.#pump(task);
      } else if (options.status === 'completed') task.status = 2;
      else if (options.status === 'paused') task.status = 4;
      ids.push(id);
    }
    return ids;
  }
}
