import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../cli/config.ts';
import { createProgress } from '../../../cli/progress.ts';
import { Capture } from '../../cli/support.ts';

describe('Module: progress', () => {
  it('writes one line per step when stderr is not a terminal, with the rate and the time left', () => {
    // Prepare: a clock that moves 2 s per step
    const sink = new Capture();
    let t = 0;
    const progress = createProgress({
      stream: sink,
      isTTY: false,
      label: 'importing',
      total: 30,
      unit: 'rows',
      now: () => t,
    });

    // Act
    t = 2000;
    progress.update(10, 'request 1/3');
    t = 6000;
    progress.update(30, 'request 3/3');
    progress.finish();

    // Assess
    expect(sink.text).toBe(
      'importing 10/30 rows  request 1/3  5 rows/s, 4s left\nimporting 30/30 rows  request 3/3  5 rows/s\n',
    );
    expect(sink.text).not.toContain('\r');
  });

  it('redraws one line in place on a terminal and ends it once', () => {
    // Prepare
    const sink = new Capture();
    const progress = createProgress({
      stream: sink,
      isTTY: true,
      label: 'importing',
      total: 4,
      width: 8,
      now: () => 0,
    });

    // Act
    progress.update(0);
    progress.update(2);
    progress.finish();
    progress.finish();
    progress.update(4);

    // Assess
    expect(sink.chunks).toEqual([
      '\rimporting [--------]   0% 0/4\x1b[K',
      '\rimporting [####----]  50% 2/4\x1b[K',
      '\n',
    ]);
  });

  it('says the time left in minutes and hours when it is long', () => {
    const sink = new Capture();
    let t = 0;
    const progress = createProgress({ stream: sink, isTTY: false, label: 'x', total: 100_000, now: () => t });
    t = 10_000;
    progress.update(100);
    expect(sink.text).toBe('x 100/100000  10/s, 2h46m left\n');
  });
});

describe('Module: config', () => {
  const complete = {
    BYROBOT_BASE_URL: 'http://127.0.0.1:4010',
    BYROBOT_APP_KEY: 'demo-key',
    BYROBOT_APP_SECRET: 'demo-secret',
  };

  it('reads the three variables', () => {
    // Act & Assess
    expect(loadConfig(complete)).toEqual({
      baseUrl: 'http://127.0.0.1:4010',
      appKey: 'demo-key',
      appSecret: 'demo-secret',
    });
  });

  it('names every missing variable and the simulator hint, never a value', () => {
    // Act
    const error = (() => {
      try {
        loadConfig({ BYROBOT_APP_SECRET: 'top-secret', BYROBOT_APP_KEY: ' ' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variables).toEqual(['BYROBOT_BASE_URL', 'BYROBOT_APP_KEY']);
    expect(error.message).toContain('npm run sim');
    expect(error.message).not.toContain('top-secret');
  });

  it('refuses a base URL that is not absolute http(s)', () => {
    // Act & Assess
    expect(() => loadConfig({ ...complete, BYROBOT_BASE_URL: 'api.byrobot.cn' })).toThrow(/BYROBOT_BASE_URL/);
    expect(() => loadConfig({ ...complete, BYROBOT_BASE_URL: 'ftp://x' })).toThrow(ConfigError);
  });
});
