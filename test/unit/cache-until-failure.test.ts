import { describe, expect, it } from 'vitest';
import { cacheUntilFailure } from '../../shared/cache-until-failure.ts';

describe('Function: cacheUntilFailure', () => {
  it('makes the value once for every caller, concurrent or later', async () => {
    // Prepare
    let made = 0;
    const get = cacheUntilFailure(async () => ++made);
    // Act
    const values = [...(await Promise.all([get(), get()])), await get()];
    // Assess
    expect(values).toEqual([1, 1, 1]);
    expect(made).toBe(1);
  });

  it('makes it again after a failure, and keeps the value that succeeded', async () => {
    // Prepare: the first try fails
    let made = 0;
    const get = cacheUntilFailure(async () => {
      made++;
      if (made === 1) throw new Error('first try fails');
      return made;
    });
    // Act / Assess
    await expect(get()).rejects.toThrow('first try fails');
    await expect(get()).resolves.toBe(2);
    await expect(get()).resolves.toBe(2);
    expect(made).toBe(2);
  });
});
