import { describe, expect, it } from 'vitest';
import { ByrobotClient } from '../../../shared/byrobot/client.ts';
import { byrobotClientOnFirstUse } from '../../../shared/byrobot/on-first-use.ts';

describe('Function: byrobotClientOnFirstUse', () => {
  it('reads the credentials once and hands every caller the same client', async () => {
    // Prepare
    let reads = 0;
    const byrobot = byrobotClientOnFirstUse({
      byrobotBaseUrl: 'http://127.0.0.1:1',
      credentials: async () => {
        reads++;
        return { appKey: 'k', appSecret: 's' };
      },
    });
    // Act
    const [a, b] = await Promise.all([byrobot(), byrobot()]);
    const c = await byrobot();
    // Assess
    expect(a).toBeInstanceOf(ByrobotClient);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(reads).toBe(1);
  });

  it('does not keep a failed credentials read: the next call tries again', async () => {
    // Prepare: Secrets Manager fails once
    let reads = 0;
    const byrobot = byrobotClientOnFirstUse({
      byrobotBaseUrl: 'http://127.0.0.1:1',
      credentials: async () => {
        reads++;
        if (reads === 1) throw new Error('secrets manager unavailable');
        return { appKey: 'k', appSecret: 's' };
      },
    });
    // Act / Assess
    await expect(byrobot()).rejects.toThrow('secrets manager unavailable');
    await expect(byrobot()).resolves.toBeInstanceOf(ByrobotClient);
    expect(reads).toBe(2);
  });
});
