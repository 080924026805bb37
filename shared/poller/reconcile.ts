import type { ByrobotClient } from '../byrobot/client.ts';
import type { CallDetail, DoneCall } from '../byrobot/models.ts';
import type { CallLedger, CallRef } from '../calls/ledger.ts';
import { refKey } from '../calls/ledger.ts';
import { callKey } from '../events/builders.ts';

/*
 * The poller as reconciler (callbacks on; docs/architecture.md, "The poller as reconciler"). byrobot
 * pushes every call record; the callback processor announces it through the shared ledger
 * (shared/calls/ledger.ts), whose per-task counter says how many calls either path announced. The
 * poller still lists tasks, and per changed task compares byrobot's done count with that counter:
 *
 *   gap = counts.done − baselineDone − (counter − baselineCounter)
 *
 * No gap, no call reads. A gap older than the grace period is closed by reading only the calls
 * neither path announced: first those byrobot lists as failed pushes (`failedCallbacks`), then the
 * done list newest first, one ledger BatchGet per page, until the gap is explained.
 */

/** Push is on: the ledger both paths announce through, and how long a call may wait for its push. */
export interface CallbackMode {
  ledger: CallLedger;
  /** CALLBACK_GRACE_SECONDS in milliseconds. */
  graceMs: number;
}

/** A call whose callback byrobot failed to deliver (queryUnCallBack's list items). */
export interface FailedCallback {
  taskId: number | null;
  callInstanceId: number;
}

/**
 * byrobot's calls whose push failed since an instant, for one company (queryUnCallBack, outbound
 * call records, every page). `since` is an instant before any call an open gap can be missing.
 */
export type FailedCallbacks = (
  companyId: number,
  since: Date,
  options: { signal?: AbortSignal },
) => Promise<FailedCallback[]>;

/** How many of the task's done calls neither path has announced (≤ 0: none). */
export function callGap(input: {
  done: number | null;
  baselineDone: number;
  counter: number;
  baselineCounter: number;
}): number {
  return (input.done ?? 0) - input.baselineDone - (input.counter - input.baselineCounter);
}

/**
 * The counter value a snapshot's accounting starts from. A snapshot from callbacks-off times has
 * announced `announced` calls that the counter never saw, and everything the counter holds was
 * announced since its baseline too; a baseline (history, not announced) takes the counter as it
 * is, since calls pushed before the first look are in the done count too; a task announced from
 * birth (created since, or backfill) starts at 0.
 */
export function startingCounter(
  snapshot: { announced: number; baselineCounter?: number } | undefined,
  counter: number,
  baselineOnly: boolean,
): number {
  if (snapshot) return snapshot.baselineCounter ?? -snapshot.announced;
  return baselineOnly ? counter : 0;
}

/** Whether an open gap is old enough to read calls for: when it was first seen, and now. */
export function gapTiming(
  gap: number,
  previousSince: string | undefined,
  nowIso: string,
  graceMs: number,
): { since: string | undefined; read: boolean } {
  if (gap <= 0) return { since: undefined, read: false };
  const since = previousSince ?? nowIso;
  return { since, read: Date.parse(nowIso) - Date.parse(since) >= graceMs };
}

/** A call ended long enough ago that its push, if any, should have come (no end time: it did). */
export const endedBefore = (endTime: string | null, cutoffMs: number) =>
  endTime === null || !(Date.parse(endTime) > cutoffMs);

export interface MissedCalls {
  /** Calls neither path announced, read in full (phoneLogInfo), to announce now. */
  calls: CallDetail[];
  /** Unannounced calls that ended within the grace period: their push may still come. */
  young: number;
  /** The done list was read to the end of the task's post-baseline calls without explaining the gap. */
  complete: boolean;
  pagesRead: number;
}

export interface MissedCallsInput {
  byrobot: ByrobotClient;
  ledger: CallLedger;
  companyId: number;
  taskId: number;
  /** How many calls to find (the gap). */
  gap: number;
  /** Done calls since the baseline: the newest this many entries of the done list are candidates. */
  window: number;
  /** Call keys the snapshot knows announced (callbacks-off times' recentKeys). */
  known: ReadonlySet<string>;
  /** A call that ended after this (epoch ms) is left for its push. */
  cutoffMs: number;
  /** Failed pushes of this task, from failedCallbacks (already filtered to the task). */
  failed: readonly number[];
  signal: AbortSignal;
}

const refOf = (companyId: number, taskId: number, callInstanceId: number, attempt: number): CallRef => ({
  companyId,
  callInstanceId,
  attempt,
  taskId,
});

/**
 * The calls that explain a task's gap, reading as little as it can: the failed pushes byrobot lists
 * (phoneLogInfo directly), then done-list pages newest first, asking the ledger which of each page's
 * calls are announced (one BatchGet a page), and reading in full only unannounced calls that ended
 * more than the grace period ago. Stops as soon as the gap is explained.
 */
export async function findMissedCalls(input: MissedCallsInput): Promise<MissedCalls> {
  const { byrobot, ledger, companyId, taskId, gap, signal } = input;
  const out: MissedCalls = { calls: [], young: 0, complete: false, pagesRead: 0 };
  const picked = new Set<string>();

  if (input.failed.length > 0) {
    const details = await Promise.all(
      [...new Set(input.failed)].map((id) => byrobot.phoneLogInfo(id, { signal })),
    );
    // Only final outcomes, as the done list has them: an attempt waiting for its redial ends later.
    const finals = details.filter((d) => d.status?.code === 2);
    const refs = finals.map((d) => refOf(companyId, taskId, d.callInstanceId, d.redial.times));
    const announced = refs.length > 0 ? await ledger.announced(refs) : new Set<string>();
    for (const [n, detail] of finals.entries()) {
      const key = refKey(refs[n]!);
      if (announced.has(key) || input.known.has(key) || picked.has(key)) continue;
      picked.add(key);
      out.calls.push(detail);
    }
  }
  if (out.calls.length >= gap) return out;

  const toRead: DoneCall[] = [];
  const seen = new Set<string>();
  let position = 0;
  let accounted = out.calls.length;
  for (let pageNum = 1; ; pageNum++) {
    const page = await byrobot.queryDoneTaskPhones({ taskId, pageNum, pageSize: 50 }, { signal });
    out.pagesRead++;
    const candidates: DoneCall[] = [];
    let pastWindow = false;
    for (const call of page.items) {
      const key = callKey(call.callInstanceId, call.redial.times);
      if (seen.has(key)) continue; // a page boundary that moved while calls ended
      seen.add(key);
      if (++position > input.window) {
        pastWindow = true; // older ones were history when the task was first seen
        break;
      }
      if (!picked.has(key) && !input.known.has(key)) candidates.push(call);
    }
    const refs = candidates.map((c) => refOf(companyId, taskId, c.callInstanceId, c.redial.times));
    const announced = refs.length > 0 ? await ledger.announced(refs) : new Set<string>();
    for (const [n, call] of candidates.entries()) {
      if (accounted >= gap) break;
      if (announced.has(refKey(refs[n]!))) continue;
      accounted++;
      if (endedBefore(call.endTime, input.cutoffMs)) toRead.push(call);
      else out.young++;
    }
    if (accounted >= gap) break;
    if (pastWindow || page.items.length === 0 || pageNum >= page.pages) {
      out.complete = true;
      break;
    }
  }
  out.calls.push(
    ...(await Promise.all(toRead.map((c) => byrobot.phoneLogInfo(c.callInstanceId, { signal })))),
  );
  return out;
}
