import { describe, expect, it } from 'vitest';
import { needsNextPage, planListing } from '../../../shared/poller/listing.ts';
import type { TaskSnapshot } from '../../../shared/poller/snapshot.ts';
import { testSnapshot } from '../../support/snapshot.ts';

const snap = (taskId: number, closed: boolean): TaskSnapshot =>
  testSnapshot({
    companyId: 1,
    taskId,
    name: `t${taskId}`,
    status: closed ? 2 : 1,
    statusLabel: '',
    closed,
    updatedAt: '2026-11-23T10:00:00+08:00',
  });
const snaps = (...list: TaskSnapshot[]) => new Map(list.map((s) => [s.taskId, s]));

describe('Function: planListing', () => {
  it('reads every page when nothing is known yet', () => {
    expect(planListing(new Map()).lowestNeededId).toBe(Number.NEGATIVE_INFINITY);
  });

  it('needs the oldest open task, or only newer tasks when all are closed', () => {
    expect(planListing(snaps(snap(10, true), snap(7, false), snap(3, true))).lowestNeededId).toBe(7);
    expect(planListing(snaps(snap(10, true), snap(3, true))).lowestNeededId).toBe(11);
  });
});

describe('Function: needsNextPage', () => {
  const plan = planListing(snaps(snap(500, true), snap(250, false), snap(1, true)));

  it('goes on while the page ends above the lowest needed id', () => {
    expect(needsNextPage([400, 399, 301], plan, { pageNum: 1, pages: 5 })).toEqual({
      next: true,
      orderBroken: false,
    });
    expect(needsNextPage([300, 250, 249], plan, { pageNum: 2, pages: 5 })).toEqual({
      next: false,
      orderBroken: false,
    });
  });

  it('stops on the last page and on an empty one', () => {
    expect(needsNextPage([400, 300], plan, { pageNum: 5, pages: 5 }).next).toBe(false);
    expect(needsNextPage([], plan, { pageNum: 1, pages: 5 }).next).toBe(false);
  });

  it('flags a page out of descending order so the cycle reads everything', () => {
    expect(needsNextPage([100, 300, 200], plan, { pageNum: 1, pages: 5 })).toEqual({
      next: true,
      orderBroken: true,
    });
  });
});
