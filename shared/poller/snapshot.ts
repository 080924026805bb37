import type { Coded } from '../byrobot/enums.ts';
import type { Task, TaskCounts } from '../byrobot/models.ts';

/** What the poller remembers of a task between cycles (one DynamoDB item). */
export interface TaskSnapshot {
  companyId: number;
  taskId: number;
  name: string;
  status: number;
  statusLabel: string;
  counts: TaskCounts;
  /** Bumped by every commit; the commit's condition. */
  version: number;
  /**
   * Done calls that were history when the task was first seen and are never announced (0 for a task
   * that appeared after the company was first polled, or with backfill).
   */
  baselineDone: number;
  /** Calls announced so far (unique keys). */
  announced: number;
  /** The newest announced call keys, newest first: where reading the done list can stop. */
  recentKeys: string[];
  /** Terminal and its Task Completed was published: nothing about it changes any more. */
  closed: boolean;
  /**
   * Task Completed is out already: the callback processor published it on byrobot's JOB_INFO_RESULT
   * push (shared/callbacks/process.ts), or a cycle did while the task's calls were still being
   * reconciled. No cycle publishes it again; the poller still reconciles the final calls and closes
   * the task. A push sets only this, status, statusLabel, version and
   * updatedAt; never counts, baselineDone, announced, recentKeys or closed.
   */
  completedAnnounced?: boolean;
  updatedAt: string;
  /**
   * Callbacks on: the task's call counter in the shared ledger (CO#/CALLS#) that corresponds to
   * `baselineDone` done calls and none announced since, so that
   * `counts.done − baselineDone − (counter − baselineCounter)` is the number of done calls neither
   * path has announced (the gap). Calls pushed before the task's first look are in both byrobot's
   * count and the counter, so a baseline takes the counter as it is; a task announced from birth
   * starts at 0. Absent on snapshots written with callbacks off.
   */
  baselineCounter?: number;
  /** Callbacks on: when the current gap was first seen; absent while there is none. */
  gapSince?: string;
}

export const RECENT_KEYS_KEPT = 200;

/** The status the snapshot last saw: a Task Status Changed's `previousStatus`. */
export const statusOfSnapshot = (snapshot: TaskSnapshot): Coded => ({
  code: snapshot.status,
  label: snapshot.statusLabel,
});

/**
 * The task as an event shows it when only the snapshot knows it (a deleted task, a task-status push):
 * its id, name and counts, with this status; what byrobot's listing would add is null.
 */
export function taskOfSnapshot(
  snapshot: TaskSnapshot,
  status: Coded,
  counts: TaskCounts = snapshot.counts,
  name: string = snapshot.name,
): Task {
  return {
    taskId: snapshot.taskId,
    name,
    type: null,
    status,
    startDate: null,
    workingStartTime: null,
    workingEndTime: null,
    breakStartTime: null,
    breakEndTime: null,
    sceneDefId: null,
    remark: null,
    counts,
    callerLines: [],
    raw: {},
  };
}
