import { describe, expect, it } from 'vitest';
import { codedOrNull, FINISH_STATUS, intentLetter } from '../../shared/byrobot/enums.ts';
import { parseDurationSeconds, parseProperties } from '../../shared/byrobot/models.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from '../../shared/byrobot/retry.ts';
import {
  beijingToIso,
  beijingToIsoOrNever,
  clockMinutes,
  toBeijingDateTime,
  toBeijingIso,
} from '../../shared/time.ts';

describe('Module: time', () => {
  it('turns byrobot’s zone-less Beijing times into ISO 8601 with +08:00', () => {
    expect(beijingToIso('2018-01-24 20:51:53')).toBe('2018-01-24T20:51:53+08:00');
    expect(beijingToIso('2018-01-24 20:51')).toBe('2018-01-24T20:51:00+08:00');
    expect(beijingToIso('yesterday')).toBeNull();
    expect(beijingToIso(null)).toBeNull();
  });

  it('reads 1970-01-01 in secondaryCallTime as never', () => {
    expect(beijingToIsoOrNever('1970-01-01 13:00:00')).toBeNull();
    expect(beijingToIsoOrNever('2026-11-23 13:00:00')).toBe('2026-11-23T13:00:00+08:00');
  });

  it('formats instants in Beijing time across the UTC date line', () => {
    const instant = Date.UTC(2026, 10, 23, 17, 30, 0); // 01:30 next day in Beijing
    expect(toBeijingIso(instant)).toBe('2026-11-24T01:30:00+08:00');
    expect(toBeijingDateTime(instant)).toBe('2026-11-24 01:30:00');
    expect(Date.parse(toBeijingIso(instant))).toBe(instant);
  });

  it('reads HH:mm and HH:mm:ss clock times', () => {
    expect(clockMinutes('09:00')).toBe(540);
    expect(clockMinutes('20:00:00')).toBe(1200);
    expect(clockMinutes('24:00')).toBeNull();
    expect(clockMinutes('9:00')).toBeNull();
  });
});

describe('Module: enums', () => {
  it('keeps unknown codes with a generic label', () => {
    expect(codedOrNull(FINISH_STATUS, 22)).toEqual({ code: 22, label: 'dead zone' });
    expect(codedOrNull(FINISH_STATUS, 99)).toEqual({ code: 99, label: 'unknown (99)' });
    expect(codedOrNull(FINISH_STATUS, '4')).toEqual({ code: 4, label: 'vacant number' });
    expect(codedOrNull(FINISH_STATUS, null)).toBeNull();
  });

  it('takes the intent letter from the level text', () => {
    expect(intentLetter('A级(较强)')).toBe('A');
    expect(intentLetter('f级(无效客户)')).toBe('F');
    expect(intentLetter('较强')).toBeNull();
    expect(intentLetter('G级')).toBeNull();
  });
});

describe('Module: models', () => {
  it.each([
    [87, 87],
    ['27', 27],
    ['27秒', 27],
    ['1分5秒', 65],
    ['1小时2分3秒', 3723],
    ['', null],
    ['abc', null],
    [null, null],
    [-3, null],
  ])('parseDurationSeconds(%j) = %j', (input, expected) => {
    expect(parseDurationSeconds(input)).toBe(expected);
  });

  it('parses properties from a JSON string and survives junk', () => {
    expect(parseProperties('{"crmId":"L-1"}')).toEqual({ crmId: 'L-1' });
    expect(parseProperties('{not json')).toEqual({});
    expect(parseProperties('[1,2]')).toEqual({});
    expect(parseProperties(null)).toEqual({});
  });
});

describe('Module: retry', () => {
  it('backs off exponentially with full jitter under a cap', () => {
    const max = () => 0.999999;
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, max)).toBe(199);
    expect(backoffDelay(3, DEFAULT_RETRY_POLICY, max)).toBe(799);
    expect(backoffDelay(10, DEFAULT_RETRY_POLICY, max)).toBe(4999);
    expect(backoffDelay(3, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, () => 0, 3000)).toBe(3000);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
