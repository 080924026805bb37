import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_TTL_SECONDS } from '../../shared/http/idempotency.ts';
import { epochSeconds, keys, TTL_ATTRIBUTE } from '../../shared/store/table.ts';
import { type ApiStack, startApiStack } from '../support/api-stack.ts';
import { postImport, simTask } from '../support/app-requests.ts';

const HOUR = 3600 * 1000;
/** The bridge's clock, which the test moves: records are written and judged by it. */
let nowMs = Date.now();
let api: ApiStack;
let taskId: number;

beforeAll(async () => {
  api = await startApiStack({ now: () => nowMs });
  taskId = simTask(api, '幂等到期');
});
afterAll(() => api?.close());

const imports = () => api.sim.sim.stats().byEndpoint['v2/task/importTaskCustomer'] ?? 0;

describe('Idempotency records outlast a sender’s retry schedule (≥ 76 h), and no longer', () => {
  it('stores the record until ≥ now + 76 h, replays it just before expiry and runs the request again after', async () => {
    const t0 = nowMs;
    const key = 'idem-expiry-0001';
    const body = { customers: [{ name: '到期', phone: '13600000001' }] };
    const send = () => postImport(api, taskId, body, { 'idempotency-key': key });

    const first = await send();
    expect(first.status).toBe(200);
    expect(first.json.counts).toMatchObject({ imported: 1, repeats: 0 });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const importsAfterFirst = imports();

    // The record itself, as DynamoDB's TTL will judge it.
    const { Item } = await api.deps.doc.send(
      new GetCommand({
        TableName: api.deps.tableName,
        Key: keys.idempotency('key:admin:import-customers', key),
        ConsistentRead: true,
      }),
    );
    expect(Item).toMatchObject({ status: 'completed' });
    const expiresAt = Item![TTL_ATTRIBUTE] as number;
    expect(expiresAt).toBeGreaterThanOrEqual(epochSeconds(t0) + 76 * 3600);
    expect(expiresAt).toBe(epochSeconds(t0) + IDEMPOTENCY_TTL_SECONDS);

    // 76 h later (a Standard Webhooks sender's last retry), and one second before expiry: replays.
    for (const at of [t0 + 76 * HOUR, expiresAt * 1000 - 1000]) {
      nowMs = at;
      const replay = await send();
      expect(replay.headers['idempotent-replayed'], new Date(at).toISOString()).toBe('true');
      expect(replay.status).toBe(first.status);
      expect(replay.json).toEqual(first.json);
    }
    expect(imports()).toBe(importsAfterFirst); // byrobot was not asked again

    // One second after expiry the key is free: the request runs again (byrobot counts a repeat).
    nowMs = expiresAt * 1000 + 1000;
    const again = await send();
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.json.counts).toMatchObject({ imported: 0, repeats: 1 });
    expect(imports()).toBe(importsAfterFirst + 1);
    // …and that run's record is the one replayed from now on.
    const replayOfNew = await send();
    expect(replayOfNew.headers['idempotent-replayed']).toBe('true');
    expect(replayOfNew.json).toEqual(again.json);
  });
});
