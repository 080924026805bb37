import type { TaskCounts } from '../../shared/byrobot/models.ts';
import type { TaskSnapshot } from '../../shared/poller/snapshot.ts';

/** Counts with every figure 0 but those given. */
export const zeroCounts = (given: Partial<TaskCounts> = {}): TaskCounts => ({
  total: 0,
  done: 0,
  called: 0,
  rejected: 0,
  unavailable: 0,
  fromUnavailable: 0,
  ...given,
});

/**
 * A task snapshot as the poller writes it: a running task seen once (version 1), nothing announced,
 * open; a test states what differs.
 */
export const testSnapshot = (
  given: Pick<TaskSnapshot, 'companyId' | 'taskId' | 'name'> & Partial<TaskSnapshot>,
): TaskSnapshot => ({
  status: 1,
  statusLabel: 'running',
  counts: zeroCounts(),
  version: 1,
  baselineDone: 0,
  announced: 0,
  recentKeys: [],
  closed: false,
  updatedAt: '2026-12-01T08:00:00+08:00',
  ...given,
});
