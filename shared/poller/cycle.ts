import type { ByrobotClient } from '../byrobot/client.ts';
import { DELETED_TASK_STATUS, TERMINAL_TASK_STATUSES } from '../byrobot/enums.ts';
import { ByrobotNotFoundError } from '../byrobot/errors.ts';
import type { CallDetail, DoneCall, Task, TaskDetail } from '../byrobot/models.ts';
import { type Announcement, type AnnounceReport, announceCalls } from '../calls/ledger.ts';
import {
  type BridgeEvent,
  callCompleted,
  callKey,
  taskCompleted,
  taskStatusChanged,
} from '../events/builders.ts';
import { type PublishResult, publishOrThrow } from '../events/publisher.ts';
import { toBeijingIso } from '../time.ts';
import { type ListingPlan, needsNextPage, planListing } from './listing.ts';
import {
  type CallbackMode,
  callGap,
  type FailedCallback,
  type FailedCallbacks,
  findMissedCalls,
  gapTiming,
  startingCounter,
} from './reconcile.ts';
import { RECENT_KEYS_KEPT, statusOfSnapshot, type TaskSnapshot, taskOfSnapshot } from './snapshot.ts';
import type { PollerStore } from './store.ts';

export interface PollerLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface PollerOptions {
  /** Identifies this invocation as the lease holder. */
  ownerId: string;
  /** Announce the calls a task already had when first seen. @default false */
  backfill?: boolean;
  /** Start no new task once the invocation has less time left than this. @default 15000 */
  reserveMs?: number;
  /** Abort work still in flight when this little time is left; it is redone next cycle. @default 3000 */
  hardStopMs?: number;
  /** How long a lease lasts: longer than one invocation can run. @default 120000 */
  leaseMs?: number;
  /** Tasks worked on at once (byrobot requests are capped by the client). @default 16 */
  taskConcurrency?: number;
  /** Room for a Call Completed detail: 256 KB less Source, DetailType and slack. @default 261120 */
  maxDetailBytes?: number;
}

export interface PollerDeps {
  byrobot: ByrobotClient;
  store: PollerStore;
  publish: (events: readonly BridgeEvent[]) => Promise<PublishResult>;
  now?: () => Date;
  /** Time left in the invocation (Lambda's getRemainingTimeInMillis). @default unlimited */
  remainingMs?: () => number;
  logger?: PollerLogger;
  /**
   * Push callbacks are on (BRIDGE_CALLBACKS=on): byrobot pushes call records to the callback
   * processor, and the poller only reconciles, reading the calls no push announced within the grace
   * period, and announcing through the same ledger. Absent: the poller reads every call (off).
   */
  callbacks?: CallbackMode;
  /**
   * byrobot's list of calls whose push failed (queryUnCallBack), consulted before the done list when
   * a task's gap is past its grace period: its calls are read directly, with no done-list pages.
   * The lead wires it to the byrobot client's queryUnCallBack in createPollerRuntime; without it the
   * done list alone finds the calls push missed. Used only with `callbacks`.
   */
  failedCallbacks?: FailedCallbacks;
}

export interface CompanyCycleReport {
  companyId: number;
  outcome: 'done' | 'lease-held' | 'listing-failed';
  pagesListed: number;
  tasksListed: number;
  tasksChanged: number;
  tasksCommitted: number;
  /** Not started because the invocation ran low on time: untouched, done next cycle. */
  tasksDeferred: number;
  failures: Array<{ taskId: number | null; reason: string }>;
  events: Record<string, number>;
  /** Callbacks on: Call Completed events this cycle published for calls no push announced. */
  callsReconciled: number;
  durationMs: number;
}

const silent: PollerLogger = { info() {}, warn() {}, error() {} };
const isTerminal = (code: number) => TERMINAL_TASK_STATUSES.has(code);
const reason = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The listing stopped part-way: `partial` holds the tasks of the pages read before it failed. */
export class ListingError extends Error {
  readonly partial: Task[];
  constructor(partial: Task[], cause: unknown) {
    super(`listing failed after ${partial.length} task(s): ${reason(cause)}`, { cause });
    this.name = 'ListingError';
    this.partial = partial;
  }
}

/**
 * One poll cycle for one company (see docs/architecture.md, "The poller's cycle"): take the lease,
 * list the tasks that may have changed, and for each changed task publish its events, then commit its
 * snapshot. A task whose work fails keeps its old snapshot and is redone next cycle with the same
 * event ids, so delivery is at least once and never lost.
 */
export async function pollCompany(
  companyId: number,
  deps: PollerDeps,
  options: PollerOptions,
): Promise<CompanyCycleReport> {
  const started = performance.now();
  const now = deps.now ?? (() => new Date());
  const remaining = deps.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const logger = deps.logger ?? silent;
  const report: CompanyCycleReport = {
    companyId,
    outcome: 'done',
    pagesListed: 0,
    tasksListed: 0,
    tasksChanged: 0,
    tasksCommitted: 0,
    tasksDeferred: 0,
    failures: [],
    events: {},
    callsReconciled: 0,
    durationMs: 0,
  };
  const fail = (taskId: number, message: string, error: unknown) => {
    report.failures.push({ taskId, reason: reason(error) });
    logger.warn(message, { companyId, taskId, error: reason(error) });
  };
  const leaseMs = options.leaseMs ?? 120_000;
  if (!(await deps.store.acquireLease(companyId, options.ownerId, now().getTime(), leaseMs))) {
    logger.info('lease held by another invocation; skipping company', { companyId });
    report.outcome = 'lease-held';
    return finish(report, started);
  }

  // Abort in-flight byrobot work shortly before the invocation would be killed.
  const deadline = new AbortController();
  const hardStopMs = options.hardStopMs ?? 3000;
  const left = remaining();
  const timer = Number.isFinite(left)
    ? setTimeout(
        () => deadline.abort(new Error('invocation time running out')),
        Math.max(0, left - hardStopMs),
      )
    : undefined;
  try {
    const [snapshots, companyKnown] = await Promise.all([
      deps.store.loadSnapshots(companyId),
      deps.store.isCompanyKnown(companyId),
    ]);
    const plan = planListing(snapshots);
    let listed: Task[];
    try {
      listed = await listTasks(deps.byrobot, companyId, plan, report, deadline.signal);
    } catch (error) {
      if (!(error instanceof ListingError)) throw error;
      // Tasks we could not list keep their snapshots and are read next cycle.
      report.outcome = 'listing-failed';
      report.failures.push({ taskId: null, reason: `listing: ${reason(error.cause)}` });
      listed = error.partial;
    }
    report.tasksListed = listed.length;
    const work = listed.filter((task) => hasChanged(task, snapshots.get(task.taskId), deps.callbacks));
    report.tasksChanged = work.length;
    // Callbacks on: every task's announced-call counter, read once, after the listing (so a call
    // the listing counts as done and push announced meanwhile is in it).
    const counters =
      deps.callbacks && work.length > 0 ? await deps.callbacks.ledger.counts(companyId) : new Map();

    const ctx: TaskContext = {
      companyId,
      deps,
      options,
      plan,
      companyKnown,
      now,
      signal: deadline.signal,
      report,
      counters,
      failedCallbacks: failedCallbacksOnce(companyId, deps, snapshots, now, deadline.signal),
    };
    await runPool(work, options.taskConcurrency ?? 16, async (task) => {
      if (remaining() < (options.reserveMs ?? 15_000) || deadline.signal.aborted) {
        report.tasksDeferred++;
        return;
      }
      try {
        await processTask(task, snapshots.get(task.taskId), ctx);
      } catch (error) {
        fail(task.taskId, 'task not committed; it will be redone next cycle', error);
      }
    });
    if (
      !companyKnown &&
      report.outcome === 'done' &&
      report.failures.length === 0 &&
      report.tasksDeferred === 0
    ) {
      await deps.store.markCompanyKnown(companyId, toBeijingIso(now()));
    }
    if (report.outcome === 'done') {
      // The listing reached below every open task (planListing), so an open task it lacks was
      // deleted: byrobot's getTasks leaves deleted tasks out unless needAll (obtain-task.md).
      const seen = new Set(listed.map((t) => t.taskId));
      for (const id of [...plan.openIds].filter((id) => !seen.has(id))) {
        if (deadline.signal.aborted) break;
        try {
          await retireDeleted(snapshots.get(id)!, ctx);
        } catch (error) {
          fail(id, 'deleted task not retired; it will be redone next cycle', error);
        }
      }
    }
  } finally {
    clearTimeout(timer);
    await deps.store.releaseLease(companyId, options.ownerId).catch((error: unknown) => {
      logger.warn('could not release the lease; it will expire', { companyId, error: reason(error) });
    });
  }
  return finish(report, started);
}

function finish(report: CompanyCycleReport, started: number): CompanyCycleReport {
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

async function listTasks(
  byrobot: ByrobotClient,
  companyId: number,
  plan: ListingPlan,
  report: CompanyCycleReport,
  signal: AbortSignal,
): Promise<Task[]> {
  const tasks = new Map<number, Task>();
  let fullScan = false;
  for (let pageNum = 1; ; pageNum++) {
    let page: Awaited<ReturnType<ByrobotClient['getTasks']>>;
    try {
      page = await byrobot.getTasks({ companyId, pageNum, pageSize: 100 }, { signal });
    } catch (error) {
      throw new ListingError([...tasks.values()], error);
    }
    report.pagesListed++;
    for (const task of page.items) if (!tasks.has(task.taskId)) tasks.set(task.taskId, task);
    const decision = needsNextPage(
      page.items.map((t) => t.taskId),
      plan,
      page,
    );
    fullScan ||= decision.orderBroken;
    const more = fullScan ? page.items.length > 0 && pageNum < page.pages : decision.next;
    if (!more) return [...tasks.values()];
  }
}

function hasChanged(task: Task, snapshot: TaskSnapshot | undefined, callbacks?: CallbackMode): boolean {
  if (!snapshot) return true;
  if (snapshot.closed) return false;
  return (
    (callbacks !== undefined && snapshot.gapSince !== undefined) ||
    snapshot.status !== task.status.code ||
    task.counts.done === null ||
    snapshot.counts.done !== task.counts.done ||
    isTerminal(task.status.code)
  );
}

/** What a cycle does with one changed task, decided from the listing and the snapshot alone. */
export interface TaskDecision {
  /** The snapshot version this cycle commits. */
  version: number;
  terminal: boolean;
  /** Created after the company was first polled: its whole life is announced. */
  createdSince: boolean;
  /** Seen for the first time as history: record a baseline, announce nothing. */
  baselineOnly: boolean;
  /** The list lacks counts, or the task ended (its final statistics): read getTaskDetail. */
  readDetail: boolean;
  /** Publish a Task Status Changed. */
  announceStatus: boolean;
  /** Publish a Task Completed: terminal, and neither a push nor an earlier cycle published it. */
  announceCompleted: boolean;
}

/** The per-task decision, apart from its I/O (processTask carries it out). */
export function decideTask(
  task: Task,
  snapshot: TaskSnapshot | undefined,
  context: { companyKnown: boolean; newestKnownId: number; backfill: boolean },
): TaskDecision {
  const terminal = isTerminal(task.status.code);
  // A task that appeared after the company was first polled is new: its whole life is announced.
  // On the company's first cycle, tasks are history: a baseline, unless backfill is asked for.
  const createdSince = !snapshot && context.companyKnown && task.taskId > context.newestKnownId;
  const baselineOnly = !snapshot && !createdSince && !context.backfill;
  const announceCompleted = terminal && !baselineOnly && snapshot?.completedAnnounced !== true;
  return {
    version: (snapshot?.version ?? 0) + 1,
    terminal,
    createdSince,
    baselineOnly,
    // Lists sometimes carry null counts (the seed's example); the detail always has them. Once Task
    // Completed is out, the list's counts do.
    readDetail: task.counts.done === null || (terminal && snapshot?.completedAnnounced !== true),
    announceStatus: !baselineOnly && (snapshot ? snapshot.status !== task.status.code : createdSince),
    announceCompleted,
  };
}

interface TaskContext {
  companyId: number;
  deps: PollerDeps;
  options: PollerOptions;
  plan: ListingPlan;
  /** A first cycle completed before: tasks without a snapshot are new, not history. */
  companyKnown: boolean;
  now: () => Date;
  signal: AbortSignal;
  report: CompanyCycleReport;
  /** Callbacks on: announced calls per task, from the ledger's counters (read once a cycle). */
  counters: ReadonlyMap<number, number>;
  /** Callbacks on: byrobot's failed pushes, read at most once a cycle; null when unavailable. */
  failedCallbacks: () => Promise<FailedCallback[] | null>;
}

async function processTask(task: Task, snapshot: TaskSnapshot | undefined, ctx: TaskContext): Promise<void> {
  const { companyId, deps, options, signal } = ctx;
  const detectedAt = toBeijingIso(ctx.now());
  const decision = decideTask(task, snapshot, {
    companyKnown: ctx.companyKnown,
    newestKnownId: ctx.plan.newestKnownId,
    backfill: options.backfill ?? false,
  });
  const { version, terminal, baselineOnly } = decision;

  let detail: TaskDetail | null = null;
  let counts = task.counts;
  if (decision.readDetail) {
    detail = await deps.byrobot.getTaskDetail({ companyId, taskId: task.taskId }, { signal });
    counts = detail.counts;
  }
  const base: TaskSnapshot = {
    companyId,
    taskId: task.taskId,
    name: task.name,
    status: task.status.code,
    statusLabel: task.status.label,
    counts,
    version,
    baselineDone: snapshot?.baselineDone ?? (baselineOnly ? (counts.done ?? 0) : 0),
    announced: snapshot?.announced ?? 0,
    recentKeys: snapshot?.recentKeys ?? [],
    closed: terminal,
    updatedAt: detectedAt,
    ...(snapshot?.completedAnnounced ? { completedAnnounced: true } : {}),
  };
  if (deps.callbacks) {
    base.baselineCounter = startingCounter(snapshot, ctx.counters.get(task.taskId) ?? 0, baselineOnly);
  }
  if (baselineOnly) {
    await commit(base, ctx);
    return;
  }

  const events: BridgeEvent[] = [];
  if (decision.announceStatus) {
    const previous = snapshot ? statusOfSnapshot(snapshot) : null;
    events.push(taskStatusChanged({ companyId, detectedAt, version }, { ...task, counts }, previous));
  }
  if (deps.callbacks) {
    await reconcileTask(task, base, snapshot, decision, detail, events, ctx);
    return;
  }

  const previouslyDone = snapshot ? (snapshot.counts.done ?? 0) : base.baselineDone;
  const known = new Set(base.recentKeys);
  let newCalls =
    (counts.done ?? 0) > previouslyDone
      ? await readNewDoneCalls(deps.byrobot, task.taskId, (counts.done ?? 0) - previouslyDone, known, signal)
      : [];
  if (
    terminal &&
    counts.done !== null &&
    base.baselineDone + base.announced + newCalls.length < counts.done
  ) {
    // The counts say calls were missed (listed out of order, or lost to a failure): sweep them all once.
    newCalls = newCalls.concat(await sweepMissedCalls(task.taskId, base, newCalls, ctx));
  }

  const newKeys = newCalls.map((c) => callKey(c.callInstanceId, c.redial.times));
  const details = await Promise.all(
    newCalls.map((c) => deps.byrobot.phoneLogInfo(c.callInstanceId, { signal })),
  );
  for (const call of details) events.push(callEvent(task, call, detectedAt, ctx));
  if (decision.announceCompleted && detail) events.push(taskCompleted({ companyId, detectedAt }, detail));

  if (events.length > 0) await publishAll(events, ctx);
  if (newKeys.length > 0) await deps.store.recordAnnounced(companyId, task.taskId, version, newKeys);
  await commit(
    {
      ...base,
      announced: base.announced + newKeys.length,
      recentKeys: [...newKeys, ...base.recentKeys].slice(0, RECENT_KEYS_KEPT),
    },
    ctx,
  );
}

/**
 * Callbacks on: the task's calls are push's to announce. Only a gap between byrobot's done count and
 * the calls either path announced (the ledger's counter) makes the poller read calls, and only once
 * it is older than the grace period; what it finds it announces through the same ledger, so a late
 * push finds it announced. A terminal task's Task Completed goes out at once; the task closes when
 * no gap is left.
 */
async function reconcileTask(
  task: Task,
  base: TaskSnapshot,
  snapshot: TaskSnapshot | undefined,
  decision: TaskDecision,
  detail: TaskDetail | null,
  events: BridgeEvent[],
  ctx: TaskContext,
): Promise<void> {
  const { companyId, deps, signal } = ctx;
  const { ledger, graceMs } = deps.callbacks!;
  const counter = ctx.counters.get(task.taskId) ?? 0;
  let baselineCounter = base.baselineCounter ?? 0;
  let gap = callGap({ done: base.counts.done, baselineDone: base.baselineDone, counter, baselineCounter });
  const timing = gapTiming(gap, snapshot?.gapSince, base.updatedAt, graceMs);

  // An ended task's counts are final and every push is of a done call, so more calls announced
  // than done means some were counted that the gap should not hold (a history call's push retried
  // after the baseline), and they may hide a missed one: check every call since the baseline once.
  const sweep = decision.terminal && gap < 0;

  let missed: CallDetail[] = [];
  let young = 0;
  let complete = false;
  if (timing.read || sweep) {
    const failed = timing.read && deps.failedCallbacks ? await ctx.failedCallbacks() : null;
    const found = await findMissedCalls({
      byrobot: deps.byrobot,
      ledger,
      companyId,
      taskId: task.taskId,
      gap: sweep ? Number.POSITIVE_INFINITY : gap,
      window: (base.counts.done ?? 0) - base.baselineDone,
      known: new Set(base.recentKeys),
      cutoffMs: Date.parse(base.updatedAt) - graceMs,
      failed: (failed ?? []).filter((f) => f.taskId === task.taskId).map((f) => f.callInstanceId),
      signal,
    });
    ({ calls: missed, young, complete } = found);
  }

  const detectedAt = base.updatedAt;
  const announcements: Announcement[] = missed.map((call) => {
    const event = callEvent(task, call, detectedAt, ctx);
    return {
      ref: {
        companyId,
        callInstanceId: call.callInstanceId,
        attempt: call.redial.times,
        taskId: task.taskId,
      },
      event,
      intentLevel: call.intentLevel,
      extra: { taskName: event.detail.taskName, properties: call.properties },
    };
  });
  const after: BridgeEvent[] = [];
  if (decision.announceCompleted && detail) after.push(taskCompleted({ companyId, detectedAt }, detail));

  // The task's own events go out in the same PutEvents batch as the calls claimed, status first.
  let published: readonly BridgeEvent[] = [];
  const publishWith = async (calls: readonly BridgeEvent[]) => {
    published = [...events, ...calls, ...after];
    return deps.publish(published);
  };
  let outcome: AnnounceReport = { published: [], already: [], inFlight: [] };
  if (announcements.length > 0) outcome = await announceCalls(ledger, announcements, 'poll', publishWith);
  if (published.length === 0 && events.length + after.length > 0) {
    published = [...events, ...after];
    await publishAll(published, ctx);
  } else {
    // Reaching here, every entry of the batch was accepted (announceCalls throws otherwise).
    countEvents(published, ctx.report);
  }
  ctx.report.callsReconciled += outcome.published.length;

  // Found announced by the other path meanwhile, or announced now: both fill the gap. Claimed by a
  // live push, or too young: left for the next cycle.
  gap -= outcome.published.length + outcome.already.length;
  const waiting = young + outcome.inFlight.length;
  if (complete && gap !== waiting) {
    // Every call since the baseline was looked at, and the counter disagrees with what was found:
    // short (a crash between an announcement and its count) or long (see sweep). Take the calls as
    // found: later cycles measure the gap from there.
    deps.logger?.warn('call counter disagrees with the done list; corrected', {
      companyId,
      taskId: task.taskId,
      off: gap - waiting,
    });
    baselineCounter -= gap - waiting;
    gap = waiting;
  }
  const open = gap > 0;
  await commit(
    {
      ...base,
      baselineCounter,
      announced: counter + outcome.published.length - baselineCounter,
      closed: decision.terminal && !open,
      ...(open ? { gapSince: timing.since ?? detectedAt } : {}),
      ...(base.completedAnnounced || after.length > 0 ? { completedAnnounced: true } : {}),
    },
    ctx,
  );
}

/**
 * byrobot's failed pushes of the company, asked for at most once a cycle and only when a task's
 * gap needs them. A failure to read them is logged and the done list does the work instead.
 */
function failedCallbacksOnce(
  companyId: number,
  deps: PollerDeps,
  snapshots: ReadonlyMap<number, TaskSnapshot>,
  now: () => Date,
  signal: AbortSignal,
): () => Promise<FailedCallback[] | null> {
  let pending: Promise<FailedCallback[] | null> | undefined;
  return () => {
    if (!deps.failedCallbacks) return Promise.resolve(null);
    // Before any call an open gap can be missing: the oldest gap, or now, less a day
    // (queryUnCallBack's window is whole days).
    let oldest = now().getTime();
    for (const s of snapshots.values()) if (s.gapSince) oldest = Math.min(oldest, Date.parse(s.gapSince));
    pending ??= deps.failedCallbacks(companyId, new Date(oldest - 86_400_000), { signal }).catch((error) => {
      deps.logger?.warn('could not read byrobot’s failed callbacks; reading the done list instead', {
        companyId,
        error: reason(error),
      });
      return null;
    });
    return pending;
  };
}

/**
 * A deleted task's snapshot is retired once: a Task Status Changed to the bridge's own status
 * `-1 deleted` (byrobot has no code for it), with the last counts byrobot gives, then a closed
 * snapshot, so later cycles neither list it nor look for it. A task byrobot still reads (a soft
 * delete) gives its final counts; one it no longer knows (404) keeps the snapshot's.
 */
async function retireDeleted(snapshot: TaskSnapshot, ctx: TaskContext): Promise<void> {
  const { companyId, deps, signal } = ctx;
  let counts = snapshot.counts;
  try {
    counts = (await deps.byrobot.getTaskDetail({ companyId, taskId: snapshot.taskId }, { signal })).counts;
  } catch (error) {
    if (!(error instanceof ByrobotNotFoundError)) throw error;
  }
  const detectedAt = toBeijingIso(ctx.now());
  const version = snapshot.version + 1;
  const event = taskStatusChanged(
    { companyId, detectedAt, version },
    taskOfSnapshot(snapshot, DELETED_TASK_STATUS, counts),
    statusOfSnapshot(snapshot),
  );
  await publishAll([event], ctx);
  await commit(
    {
      ...snapshot,
      status: DELETED_TASK_STATUS.code,
      statusLabel: DELETED_TASK_STATUS.label,
      counts,
      version,
      closed: true,
      updatedAt: detectedAt,
    },
    ctx,
  );
}

/** Publishes a task's events in one PutEvents batch: all accepted, or the task is redone next cycle. */
async function publishAll(events: readonly BridgeEvent[], ctx: TaskContext): Promise<void> {
  await publishOrThrow(ctx.deps.publish, events);
  countEvents(events, ctx.report);
}

function countEvents(events: readonly BridgeEvent[], report: CompanyCycleReport): void {
  for (const e of events) report.events[e.detailType] = (report.events[e.detailType] ?? 0) + 1;
}

/** A call's Call Completed, as either path of the poller finds it. */
function callEvent(task: Task, call: CallDetail, detectedAt: string, ctx: TaskContext) {
  const maxDetailBytes = ctx.options.maxDetailBytes ?? 256 * 1024 - 1024;
  return callCompleted(
    { companyId: ctx.companyId, detectedAt, taskId: task.taskId, taskName: task.name },
    call,
    maxDetailBytes,
  );
}

async function commit(snapshot: TaskSnapshot, ctx: TaskContext): Promise<void> {
  if (await ctx.deps.store.commitSnapshot(snapshot)) ctx.report.tasksCommitted++;
  else {
    // Someone committed this task meanwhile (a lease that expired under a slow run): theirs stands.
    ctx.deps.logger?.warn('snapshot changed underneath; keeping the other commit', {
      companyId: snapshot.companyId,
      taskId: snapshot.taskId,
    });
  }
}

/**
 * The calls done since the last cycle: the done list is newest first, so read pages until a call
 * already announced shows up or the count of new calls is reached. Without any announced call to
 * stop at (a task seen only as a baseline), exactly the newest `expected` are new.
 */
async function readNewDoneCalls(
  byrobot: ByrobotClient,
  taskId: number,
  expected: number,
  known: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<DoneCall[]> {
  const found: DoneCall[] = [];
  const seen = new Set<string>();
  for (let pageNum = 1; ; pageNum++) {
    const page = await byrobot.queryDoneTaskPhones({ taskId, pageNum, pageSize: 50 }, { signal });
    let hitKnown = false;
    for (const call of page.items) {
      const key = callKey(call.callInstanceId, call.redial.times);
      if (seen.has(key)) continue;
      seen.add(key);
      if (known.has(key)) {
        hitKnown = true;
        break;
      }
      if (known.size === 0 && found.length >= expected) break;
      found.push(call);
    }
    if (hitKnown || found.length >= expected || page.items.length === 0 || pageNum >= page.pages)
      return found;
  }
}

async function sweepMissedCalls(
  taskId: number,
  snapshot: TaskSnapshot,
  alreadyFound: readonly DoneCall[],
  ctx: TaskContext,
): Promise<DoneCall[]> {
  const all: DoneCall[] = [];
  for await (const call of ctx.deps.byrobot.doneCalls({ taskId }, { signal: ctx.signal })) all.push(call);
  // Oldest first: the first `baselineDone` were history when the task was first seen.
  all.sort((a, b) => (a.endTime ?? '').localeCompare(b.endTime ?? '') || a.callInstanceId - b.callInstanceId);
  const announced = await ctx.deps.store.announcedKeys(ctx.companyId, taskId);
  for (const c of alreadyFound) announced.add(callKey(c.callInstanceId, c.redial.times));
  return all
    .slice(snapshot.baselineDone)
    .filter((c) => !announced.has(callKey(c.callInstanceId, c.redial.times)));
}

async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
