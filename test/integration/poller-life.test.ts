import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_CATALOGUE } from '../../dev/event-catalogue.ts';
import { DETAIL_TYPES } from '../../shared/events/builders.ts';
import type { CallCompletedDetail, TaskStatusChangedDetail } from '../../shared/events/schemas.ts';
import { createDemoTask, customers } from '../support/demo-task.ts';
import { compileEventSchema } from '../support/json-schema.ts';
import { type LocalStack, startLocalStack } from '../support/local-stack.ts';

const validators = new Map(
  EVENT_CATALOGUE.map((e) => [
    e.detailType,
    compileEventSchema(
      JSON.parse(readFileSync(new URL(`../../docs/events/${e.slug}.json`, import.meta.url), 'utf8')),
    ),
  ]),
);

describe('Poller: a task’s whole life through the simulator, dynalite and the local bus', () => {
  let stack: LocalStack;
  let taskId: number;
  const statusSeen: number[] = [];

  beforeAll(async () => {
    stack = await startLocalStack();
    // The company's first cycle: whatever exists already is history.
    const first = await stack.poll(1);
    expect(first.outcome).toBe('done');
    const baselineEvents = stack.details().length;
    expect(baselineEvents).toBe(0);

    const created = await createDemoTask(stack, '整个生命周期');
    taskId = created.taskId;
    await stack.byrobot.importCustomers({
      companyId: 1,
      taskId,
      customers: customers(12, created.variables),
    });
    await stack.poll(1);
    await stack.byrobot.start(taskId);
    for (let i = 0; i < 200; i++) {
      await stack.advance(60);
      const report = await stack.poll(1);
      expect(report.failures).toEqual([]);
      if (stack.details(DETAIL_TYPES.taskCompleted).length > 0) break;
    }
    for (const d of stack.details<TaskStatusChangedDetail>(DETAIL_TYPES.taskStatusChanged)) {
      if (d.taskId === taskId) statusSeen.push(d.status.code);
    }
  }, 120_000);

  afterAll(() => stack?.close());

  it('announces the task from creation to completion, status by status', () => {
    const changes = stack
      .details<TaskStatusChangedDetail>(DETAIL_TYPES.taskStatusChanged)
      .filter((d) => d.taskId === taskId);
    expect(changes[0]?.previousStatus).toBeNull();
    expect(changes[0]?.status.code).toBe(0);
    for (let i = 1; i < changes.length; i++) {
      expect(changes[i]?.previousStatus?.code).toBe(changes[i - 1]?.status.code);
    }
    expect(statusSeen).toContain(1);
    expect(statusSeen.at(-1)).toBe(2);
  });

  it('announces exactly one Call Completed per final call outcome', async () => {
    const calls = stack
      .details<CallCompletedDetail>(DETAIL_TYPES.callCompleted)
      .filter((d) => d.taskId === taskId);
    const detail = await stack.byrobot.getTaskDetail({ companyId: 1, taskId });
    const done: number[] = [];
    for await (const c of stack.byrobot.doneCalls({ taskId })) done.push(c.callInstanceId);
    expect(done).toHaveLength(12);
    expect(detail.counts.done).toBe(12);
    expect(calls.map((c) => c.callInstanceId).sort()).toEqual(done.sort());
    expect(new Set(calls.map((c) => c.eventId)).size).toBe(calls.length);
  });

  it('carries what a CRM needs: its own id back, finish status, intent level', () => {
    const calls = stack
      .details<CallCompletedDetail>(DETAIL_TYPES.callCompleted)
      .filter((d) => d.taskId === taskId);
    for (const call of calls) {
      expect(call.properties.crmId).toMatch(/^LEAD-\d+$/);
      expect(call.finishStatus?.label).toBeTruthy();
      expect(call.endTime).toMatch(/\+08:00$/);
    }
    const answered = calls.filter((c) => c.finishStatus?.code === 0);
    expect(answered.length).toBeGreaterThan(0);
    for (const call of answered) {
      expect(call.intentLevel).toMatch(/^[A-D]$/);
      expect(call.transcript.length).toBeGreaterThan(0);
    }
  });

  it('announces one Task Completed with the final statistics', () => {
    const completed = stack.details(DETAIL_TYPES.taskCompleted).filter((d) => d.taskId === taskId);
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ status: { code: 2 }, counts: { done: 12, total: 12 } });
  });

  it('publishes only events that validate against their JSON Schema in docs/events/', () => {
    const events = stack.bus.bus.events;
    expect(events.length).toBeGreaterThan(12);
    for (const event of events) {
      const validate = validators.get(event['detail-type'] as never);
      expect(validate, event['detail-type'] as string).toBeDefined();
      expect(validate?.(event.detail), JSON.stringify(validate?.errors)).toBe(true);
      // The schemas' eventId format is really checked (Ajv ignores unknown formats by default).
      expect(validate?.({ ...event.detail, eventId: 'not-a-uuid' })).toBe(false);
    }
  });

  it('costs nothing once the task is closed', async () => {
    const before = stack.details().length;
    const report = await stack.poll(1);
    expect(report.tasksChanged).toBe(0);
    expect(stack.details().length).toBe(before);
  });
});
