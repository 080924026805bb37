import { clockMinutes } from '../time.ts';
import type { CallerLine } from './models.ts';

/**
 * createTask rules shared by the HTTP API and the CLI, so both send byrobot the same thing.
 */

/**
 * byrobot's documented dialling window (task.md, 注意点: "电话任务外呼时间范围 9：00-20：00"). Its own
 * examples use 08:00–22:00 and 08:50–23:59 and it accepts them, so hours outside are warned about,
 * not refused.
 */
export const CALLING_WINDOW = { start: '09:00', end: '20:00' } as const;

/** Warnings about working hours outside byrobot's documented window; none when inside or not given. */
export function workingHoursWarnings(input: {
  workingStartTime?: string;
  workingEndTime?: string;
}): string[] {
  const from = input.workingStartTime === undefined ? null : clockMinutes(input.workingStartTime);
  const to = input.workingEndTime === undefined ? null : clockMinutes(input.workingEndTime);
  const windowFrom = clockMinutes(CALLING_WINDOW.start)!;
  const windowTo = clockMinutes(CALLING_WINDOW.end)!;
  if ((from === null || from >= windowFrom) && (to === null || to <= windowTo)) return [];
  return [
    `working hours ${input.workingStartTime ?? '?'}-${input.workingEndTime ?? '?'} reach outside byrobot's documented calling window ${CALLING_WINDOW.start}-${CALLING_WINDOW.end}; byrobot accepts them, but may not dial outside its window (task.md)`,
  ];
}

/**
 * byrobot's `callType` for a task's caller lines (task.md marks it required: 2, 1 or 0, the lines'
 * type, the codes getPhones' `phoneType` uses). One type among the chosen lines is the answer;
 * unknown lines, lines of unknown type or of several types are a problem the caller must settle.
 */
export function callTypeForLines(
  lines: readonly CallerLine[],
  userPhoneIds: readonly number[],
): { callType: number } | { problem: string } {
  const types = new Set<number>();
  for (const id of userPhoneIds) {
    const line = lines.find((l) => l.userPhoneId === id);
    if (!line) return { problem: `caller line ${id} is not one of the company's lines (getPhones)` };
    if (!line.phoneType) return { problem: `caller line ${id} has no type in getPhones; give callType` };
    types.add(line.phoneType.code);
  }
  const [only] = [...types];
  if (types.size !== 1 || only === undefined) {
    return {
      problem: `the caller lines are of different types (${[...types].join(', ')}); give callType, or choose lines of one type`,
    };
  }
  return { callType: only };
}
