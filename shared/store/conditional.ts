/*
 * Every write to the table is a single-item write, most of them conditional (shared/store/table.ts):
 * a condition that fails means another writer got there first, which each caller answers in its way.
 */

/** The write's output, or null when its condition failed; any other error is thrown. */
export async function unlessConditionFails<T>(write: Promise<T>): Promise<T | null> {
  try {
    return await write;
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') return null;
    throw error;
  }
}

/** Whether a conditional write was made: false when its condition failed. */
export const written = async (write: Promise<unknown>): Promise<boolean> =>
  (await unlessConditionFails(write)) !== null;
