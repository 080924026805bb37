import type { TaskSnapshot } from './snapshot.ts';

/**
 * Which task ids a cycle must see. byrobot lists a company's tasks newest first (ids descending), and
 * closed tasks never change, so the listing can stop at the page that passes the oldest task that
 * may still change: every open task, and any task newer than the newest one known.
 */
export interface ListingPlan {
  /** Stop paging once a page ends below this id. -Infinity: read every page (first sight). */
  lowestNeededId: number;
  /** The newest id known before this cycle; a larger id is a task created since. */
  newestKnownId: number;
  openIds: Set<number>;
}

export function planListing(snapshots: ReadonlyMap<number, TaskSnapshot>): ListingPlan {
  if (snapshots.size === 0) {
    return {
      lowestNeededId: Number.NEGATIVE_INFINITY,
      newestKnownId: Number.NEGATIVE_INFINITY,
      openIds: new Set(),
    };
  }
  let newestKnownId = Number.NEGATIVE_INFINITY;
  const openIds = new Set<number>();
  for (const s of snapshots.values()) {
    newestKnownId = Math.max(newestKnownId, s.taskId);
    if (!s.closed) openIds.add(s.taskId);
  }
  let lowestNeededId = newestKnownId + 1;
  for (const id of openIds) lowestNeededId = Math.min(lowestNeededId, id);
  return { lowestNeededId, newestKnownId, openIds };
}

/**
 * After a page: whether the next page may hold a task we need. `ids` are the page's ids in order;
 * a page that is not in descending order means the ordering assumption broke: read everything.
 */
export function needsNextPage(
  ids: readonly number[],
  plan: ListingPlan,
  page: { pageNum: number; pages: number },
): { next: boolean; orderBroken: boolean } {
  if (ids.length === 0 || page.pageNum >= page.pages) return { next: false, orderBroken: false };
  const orderBroken = ids.some((id, i) => i > 0 && id >= ids[i - 1]!);
  if (orderBroken) return { next: true, orderBroken };
  const lowestOnPage = ids[ids.length - 1]!;
  return { next: lowestOnPage > plan.lowestNeededId, orderBroken: false };
}
