import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorCheck, doctor, runDoctor } from '../../cli/commands/doctor.ts';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { captureIo, runCli } from './support.ts';

/*
 * `doctor` against the byrobot simulator over HTTP: its real signature check (401), its real
 * 3-minute clock check (408), with its clock skewed through its control endpoint, or this machine's
 * clock moved through the command's injectable clock (which also signs the requests).
 */

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 3, speed: 0, companies: 2 });
});
afterEach(() => sim.sim.setClockOffset(0));
afterAll(() => sim?.close());

const env = (overrides: Record<string, string | undefined> = {}) => ({
  BYROBOT_BASE_URL: sim.url,
  BYROBOT_APP_KEY: 'demo-key',
  BYROBOT_APP_SECRET: 'demo-secret',
  ...overrides,
});

const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

async function simControl(path: string, body: unknown) {
  const res = await fetch(`${sim.url}/__sim/${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.ok).toBe(true);
}

describe('Command: doctor', () => {
  it('passes every check against the simulator, one line each, in order', async () => {
    // Act
    const { code, stdout, stderr } = await runCli(['doctor'], env());

    // Assess
    expect(code, stdout).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/ {2,}/).slice(0, 2).join(' '))).toEqual([
      'ok configuration',
      'ok byrobot',
      'ok clock',
      'ok companies',
      'ok company 1 robots',
      'ok company 1 caller lines',
      'ok company 1 call types',
      'ok company 2 robots',
      'ok company 2 caller lines',
      'ok company 2 call types',
      // No task yet to ask notDialedCustomerList about.
      'skip notDialed form',
    ]);
    expect(lines[6]).toContain('callType 1 landline: lines 11, 12, 14; callType 0 mobile: lines 13');
    expect(lines[2]).toContain('within 1 s of byrobot’s clock');
    expect(lines[3]).toContain('2: 1 百应演示科技有限公司, 2 杭州示例贸易有限公司');
    expect(lines[5]).toContain('4, 3 available');
    expect(stdout).not.toContain('demo-secret');
    expect(stderr).toBe('all checks passed\n');
  });

  it('fails on a wrong secret and says to check BYROBOT_APP_SECRET, never printing it', async () => {
    // Act
    const { code, stdout, stderr } = await runCli(
      ['doctor', '--json'],
      env({ BYROBOT_APP_SECRET: 'wrong-secret-value' }),
    );

    // Assess
    expect(code).toBe(1);
    const { ok, checks } = JSON.parse(stdout) as { ok: boolean; checks: DoctorCheck[] };
    expect(ok).toBe(false);
    const c = byName(checks);
    expect(c.byrobot).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('code 401'),
      fix: expect.stringContaining('check BYROBOT_APP_SECRET'),
    });
    // byrobot answered, so its Date header still measures the clock
    expect(c.clock?.status).toBe('ok');
    expect(c.companies).toMatchObject({ status: 'skip' });
    expect(stdout + stderr).not.toContain('wrong-secret-value');
  });

  it('fails on missing configuration, naming every missing variable, and skips the rest', async () => {
    // Act
    const { code, stdout, stderr } = await runCli(
      ['doctor'],
      env({ BYROBOT_APP_KEY: undefined, BYROBOT_APP_SECRET: '' }),
    );

    // Assess
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^fail {2}configuration +missing environment variables BYROBOT_APP_KEY, BYROBOT_APP_SECRET\..*Fix: export BYROBOT_APP_KEY, BYROBOT_APP_SECRET\n/,
    );
    expect(stdout).toMatch(/\nskip {2}byrobot +needs the configuration\n/);
    expect(stderr).toBe('1 failed, 0 warnings\n');
  });

  it('fails when byrobot cannot be reached, pointing at BYROBOT_BASE_URL', async () => {
    // Act: port 9 (discard) is closed on test machines
    const checks = byName(await runDoctor(env({ BYROBOT_BASE_URL: 'http://127.0.0.1:9' })));

    // Assess
    expect(checks.byrobot).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('(network)'),
      fix: expect.stringContaining('check BYROBOT_BASE_URL'),
    });
    expect(checks.clock?.status).toBe('skip');
  });

  it('warns when this machine’s clock is 90 s ahead: byrobot still accepts, but it is drifting', async () => {
    // Prepare
    const io = captureIo(env());

    // Act
    const code = await doctor(io, false, { now: () => Date.now() + 90_000 });

    // Assess
    expect(code).toBe(0);
    expect(io.stdout.text).toMatch(
      /\nwarn {2}clock +this machine’s clock is (89|90|91) s ahead of byrobot’s \(byrobot’s Date header\).*Fix: sync this machine’s clock/,
    );
    expect(io.stdout.text).toMatch(/\nok {4}companies/);
    expect(io.stderr.text).toBe('0 failed, 1 warning\n');
  });

  it('fails when this machine’s clock is 200 s behind: byrobot refuses the request time (408)', async () => {
    // Act
    const checks = byName(await runDoctor(env(), { now: () => Date.now() - 200_000 }));

    // Assess
    expect(checks.byrobot).toMatchObject({ status: 'fail', message: expect.stringContaining('code 408') });
    expect(checks.clock).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/code 408.*this machine’s clock is (199|200|201) s behind byrobot’s/),
      fix: expect.stringContaining('NTP'),
    });
  });

  it('fails when byrobot’s own clock is skewed (the simulator’s clock control), saying to sync the clock', async () => {
    // Prepare: byrobot's clock 4 minutes ahead of ours
    await simControl('clock/offset', { ms: 240_000 });

    // Act
    const { code, stdout } = await runCli(['doctor'], env());

    // Assess
    expect(code).toBe(1);
    expect(stdout).toMatch(/\nfail {2}byrobot +byrobot answered code 408: 时间选择不对/);
    expect(stdout).toMatch(/\nfail {2}clock +byrobot refused the request time \(code 408/);
  });

  it('warns for a company without robots or caller lines', async () => {
    // Prepare: company 2 stripped of its robots and lines (the simulator's world is its state)
    const company = sim.sim.world().companies.get(2)!;
    const saved = { robots: company.robots, phones: company.phones };
    company.robots = [];
    company.phones = [];
    try {
      // Act
      const { code, stdout } = await runCli(['doctor'], env());

      // Assess
      expect(code).toBe(0);
      expect(stdout).toMatch(/\nwarn {2}company 2 robots +no robots: tasks cannot be created/);
      expect(stdout).toMatch(/\nwarn {2}company 2 caller lines +no caller lines/);
    } finally {
      Object.assign(company, saved);
    }
  });

  it('says which notDialedCustomerList form answers: GET, or POST when GET is refused', async () => {
    // Prepare: a task to ask about
    sim.sim
      .world()
      .createTask({ companyId: 1, taskName: '医生', taskType: 2, userPhoneIds: [11], robotDefId: 101 });
    try {
      // Act + Assess: the seed's GET
      const get = byName(await runDoctor(env()));
      expect(get['notDialed form']).toMatchObject({ status: 'ok', message: expect.stringMatching(/^GET/) });

      // A server that serves only the POST form
      sim.sim.addFault({ kind: 'postOnlyNotDialed' });
      const post = byName(await runDoctor(env()));
      expect(post['notDialed form']).toMatchObject({
        status: 'ok',
        message: expect.stringMatching(/^POST .*GET was refused.*pages without totals/),
      });
    } finally {
      sim.sim.reset();
    }
  });

  it('warns when a caller line has no type: createTask then needs an explicit callType', async () => {
    const company = sim.sim.world().companies.get(2)!;
    const saved = company.phones;
    company.phones = company.phones.map((p, i) =>
      i === 0 ? { ...p, phoneType: null as unknown as number } : p,
    );
    try {
      const checks = byName(await runDoctor(env()));
      expect(checks['company 2 call types']).toMatchObject({
        status: 'warn',
        message: expect.stringContaining('lines 21 have no phoneType'),
        fix: expect.stringContaining('callType'),
      });
    } finally {
      company.phones = saved;
    }
  });
});
