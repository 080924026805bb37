import { describe, expect, it } from 'vitest';
import { callTypeForLines, workingHoursWarnings } from '../../../shared/byrobot/create-task.ts';
import { FINISH_STATUS, FINISH_STATUS_SOURCE } from '../../../shared/byrobot/enums.ts';
import type { CallerLine, Task } from '../../../shared/byrobot/models.ts';
import { decideTask } from '../../../shared/poller/cycle.ts';
import type { TaskSnapshot } from '../../../shared/poller/snapshot.ts';
import { testSnapshot } from '../../support/snapshot.ts';

const counts = (done: number | null) => ({
  total: 10,
  done,
  called: null,
  rejected: null,
  unavailable: null,
  fromUnavailable: null,
});
const task = (taskId: number, status: number, done: number | null): Task => ({
  taskId,
  name: 't',
  type: null,
  status: { code: status, label: String(status) },
  startDate: null,
  workingStartTime: null,
  workingEndTime: null,
  breakStartTime: null,
  breakEndTime: null,
  sceneDefId: null,
  remark: null,
  counts: counts(done),
  callerLines: [],
  raw: {},
});
const snapshot = (status: number, done: number): TaskSnapshot =>
  testSnapshot({
    companyId: 1,
    taskId: 5,
    name: 't',
    status,
    statusLabel: String(status),
    counts: counts(done),
    version: 3,
    announced: done,
    updatedAt: '2026-11-23T10:00:00+08:00',
  });
const known = { companyKnown: true, newestKnownId: 5, backfill: false };

describe('Function: decideTask (the poller’s per-task decision, no I/O)', () => {
  it('a terminal task announces Task Completed (reading the detail) unless the snapshot says it is out', () => {
    expect(decideTask(task(5, 2, 3), snapshot(1, 3), known)).toMatchObject({
      announceCompleted: true,
      readDetail: true,
    });
    expect(decideTask(task(5, 2, 3), { ...snapshot(2, 3), completedAnnounced: true }, known)).toMatchObject({
      announceCompleted: false,
      readDetail: false,
      announceStatus: false,
    });
    expect(decideTask(task(5, 1, 3), snapshot(1, 3), known)).toMatchObject({ announceCompleted: false });
  });

  it('a status change is announced; the next version is committed', () => {
    expect(decideTask(task(5, 4, 3), snapshot(1, 3), known)).toMatchObject({
      version: 4,
      announceStatus: true,
      readDetail: false,
      baselineOnly: false,
    });
  });

  it('null counts in the list: read the detail', () => {
    expect(decideTask(task(5, 1, null), snapshot(1, 3), known)).toMatchObject({
      readDetail: true,
      announceStatus: false,
    });
  });

  it('a task seen first on the company’s first cycle is a baseline; one created since is announced', () => {
    expect(decideTask(task(4, 1, 2), undefined, { ...known, companyKnown: false })).toMatchObject({
      baselineOnly: true,
      announceStatus: false,
    });
    expect(decideTask(task(6, 0, 0), undefined, known)).toMatchObject({
      createdSince: true,
      announceStatus: true,
      version: 1,
    });
  });

  it('a terminal status reads the detail for the final statistics', () => {
    expect(decideTask(task(5, 2, 10), snapshot(1, 8), known)).toMatchObject({
      terminal: true,
      readDetail: true,
    });
  });
});

describe('createTask rules shared by the API and the CLI', () => {
  const line = (userPhoneId: number, type: number | null): CallerLine => ({
    userPhoneId,
    phone: null,
    phoneName: null,
    phoneType: type === null ? null : { code: type, label: '' },
    available: true,
    raw: {},
  });

  it('callTypeForLines: one type is the answer; mixed, untyped or unknown lines are a problem', () => {
    const lines = [line(1, 1), line(2, 1), line(3, 0), line(4, null)];
    expect(callTypeForLines(lines, [1, 2])).toEqual({ callType: 1 });
    expect(callTypeForLines(lines, [1, 3])).toMatchObject({
      problem: expect.stringContaining('different types'),
    });
    expect(callTypeForLines(lines, [4])).toMatchObject({ problem: expect.stringContaining('no type') });
    expect(callTypeForLines(lines, [9])).toMatchObject({ problem: expect.stringContaining('not one of') });
  });

  it('workingHoursWarnings: inside 09:00–20:00 nothing; the seed’s 08:00–22:00 a warning', () => {
    expect(workingHoursWarnings({ workingStartTime: '09:00', workingEndTime: '20:00' })).toEqual([]);
    expect(workingHoursWarnings({})).toEqual([]);
    expect(workingHoursWarnings({ workingStartTime: '08:00', workingEndTime: '22:00' })).toEqual([
      expect.stringContaining('outside byrobot'),
    ]);
  });

  it('finishStatus labels are the official table, and say so', () => {
    expect(FINISH_STATUS_SOURCE).toMatch(/official/);
    expect([FINISH_STATUS[3], FINISH_STATUS[4], FINISH_STATUS[5]]).toEqual([
      'caller line unavailable',
      'vacant number',
      'powered off',
    ]);
  });
});
