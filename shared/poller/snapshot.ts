import type { TaskCounts } from '../byrobot/models.ts';

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
   * Task Completed was published already, by the callback processor on byrobot's JOB_INFO_RESULT
   * push (shared/callbacks/process.ts): the poller need not publish it again when it reconciles
   * the task's final calls and closes it. A push sets only this, status, statusLabel, version and
   * updatedAt; never counts, baselineDone, announced, recentKeys or closed.
   */
  completedAnnounced?: boolean;
  updatedAt: string;
}

export const RECENT_KEYS_KEPT = 200;
