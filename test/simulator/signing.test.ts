import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { parseRfc1123 } from '../../local/byrobot-sim/server.ts';
import { ByrobotAuthError, ByrobotClockSkewError } from '../../shared/byrobot/index.ts';
import { simClient } from '../support/sim-client.ts';

/**
 * The simulator checks signatures the way byrobot does (shared notes, "Authentication"): the `sign`
 * header must be exactly base64(HMAC-SHA1(AppSecret, AppKey + "\n" + datetime)), and `datetime` an
 * RFC 1123 GMT string within 3 minutes of byrobot's clock. Everything here goes over HTTP.
 */
let server: RunningSimulator;
beforeAll(async () => {
  server = await startSimulator({ seed: 1 });
});
afterAll(() => server.close());

const KEY = 'demo-key';
const SECRET = 'demo-secret';
const hmac = (key: string, secret: string, datetime: string) =>
  createHmac('sha1', secret).update(`${key}\n${datetime}`, 'utf8').digest('base64');

/** A raw request with exactly these header values (no client in between), answering byrobot's `code`. */
function codeFor(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/openapi/v1/company/getCompanys`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code: number }).code),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
const signed = (datetime: string, extra: Partial<Record<'appkey' | 'sign', string>> = {}) => ({
  datetime,
  appkey: KEY,
  sign: hmac(KEY, SECRET, datetime),
  ...extra,
});
const nowHttpDate = () => new Date().toUTCString();

describe('Simulator signing: what byrobot accepts', () => {
  it('a request signed as the docs say is accepted (the control for every refusal below)', async () => {
    expect(await codeFor(signed(nowHttpDate()))).toBe(200);
  });

  it('the project’s own client is accepted', async () => {
    const byrobot = simClient(server);
    await expect(byrobot.getCompanys()).resolves.toHaveLength(2);
  });

  it('a request signed like byrobot’s official demos (date format string + openssl) is accepted', async () => {
    // The Java demo formats "EEE, dd MMM yyyy HH:mm:ss 'GMT'" in Locale.US / GMT; the shell does the same.
    const out = execFileSync(
      'sh',
      [
        '-c',
        `D=$(date -u '+%a, %d %b %Y %H:%M:%S GMT'); printf '%s\\n' "$D"; printf 'demo-key\\n%s' "$D" | openssl dgst -sha1 -hmac demo-secret -binary | base64`,
      ],
      { env: { ...process.env, LC_ALL: 'C' } },
    )
      .toString()
      .trim()
      .split('\n');
    const [datetime, sign] = out as [string, string];
    expect(datetime).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(await codeFor({ datetime, appkey: KEY, sign })).toBe(200);
  });
});

describe('Simulator signing: what byrobot refuses', () => {
  it('an unknown appkey is refused with 401, even with a sign that matches it', async () => {
    const datetime = nowHttpDate();
    expect(
      await codeFor(signed(datetime, { appkey: 'other-key', sign: hmac('other-key', SECRET, datetime) })),
    ).toBe(401);
    expect(await codeFor(signed(datetime, { appkey: 'other-key' }))).toBe(401);
    const client = simClient(server, { appKey: 'other-key' });
    await expect(client.getCompanys()).rejects.toBeInstanceOf(ByrobotAuthError);
  });

  it('a sign with junk appended is refused (a lenient base64 decoder would ignore it)', async () => {
    const datetime = nowHttpDate();
    const good = hmac(KEY, SECRET, datetime);
    expect(Buffer.from(`${good}!!`, 'base64').equals(Buffer.from(good, 'base64'))).toBe(true); // the trap
    for (const junk of ['!!', 'AAAA', '=', '\u00e9'])
      expect(await codeFor(signed(datetime, { sign: `${good}${junk}` })), junk).toBe(401);
  });

  it('a sign without its base64 padding, or with whitespace inside, is refused', async () => {
    const datetime = nowHttpDate();
    const good = hmac(KEY, SECRET, datetime);
    expect(good.endsWith('=')).toBe(true); // 20 bytes → 28 chars with one '='
    expect(await codeFor(signed(datetime, { sign: good.replace(/=+$/, '') }))).toBe(401);
    expect(await codeFor(signed(datetime, { sign: `${good.slice(0, 10)} ${good.slice(10)}` }))).toBe(401);
    // base64url of the same bytes (no padding, '-' and '_') is another string: refused too.
    expect(await codeFor(signed(datetime, { sign: Buffer.from(good, 'base64').toString('base64url') }))).toBe(
      401,
    );
  });

  it('a sign made with the wrong secret, or over another datetime, is refused', async () => {
    const datetime = nowHttpDate();
    expect(await codeFor(signed(datetime, { sign: hmac(KEY, 'wrong', datetime) }))).toBe(401);
    const other = new Date(Date.now() - 1000).toUTCString();
    expect(await codeFor(signed(datetime, { sign: hmac(KEY, SECRET, other) }))).toBe(401);
  });

  it('a datetime in any other format than RFC 1123 GMT is refused, even when signed correctly', async () => {
    const now = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
    const hms = `${p(now.getUTCHours())}:${p(now.getUTCMinutes())}:${p(now.getUTCSeconds())}`;
    const wrongWeekday = days[(now.getUTCDay() + 1) % 7];
    for (const datetime of [
      now.toISOString(), // 2026-11-23T11:38:46.000Z
      now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      now.toString(), // Mon Nov 23 2026 …
      String(now.getTime()),
      now.toUTCString().replace(' GMT', ' +0000'), // RFC 2822 with a numeric zone
      now.toUTCString().replace(' GMT', ' UTC'),
      `${wrongWeekday}, ${now.toUTCString().slice(5)}`, // a weekday that does not match the date
      `${days[now.getUTCDay()]}, ${now.getUTCDate()} ${months[now.getUTCMonth()]} ${now.getUTCFullYear()} ${hms} GMT`.replace(
        /, 0?(\d)/,
        ', $1',
      ), // one-digit day (the same as the good one after the 9th)
    ]) {
      const expected = datetime === now.toUTCString() ? 200 : 401;
      expect(await codeFor(signed(datetime)), datetime).toBe(expected);
    }
  });

  it('a well-formed datetime more than 3 minutes off is 408, not 401', async () => {
    expect(await codeFor(signed(new Date(Date.now() - 181_000).toUTCString()))).toBe(408);
    expect(await codeFor(signed(new Date(Date.now() + 181_000).toUTCString()))).toBe(408);
    expect(await codeFor(signed(new Date(Date.now() - 170_000).toUTCString()))).toBe(200);
    const skewed = simClient(server, {
      now: () => new Date(Date.now() + 200_000),
      retry: { maxAttempts: 1 },
    });
    await expect(skewed.getCompanys()).rejects.toBeInstanceOf(ByrobotClockSkewError);
  });

  it('missing headers are refused', async () => {
    const full = signed(nowHttpDate());
    for (const drop of ['datetime', 'appkey', 'sign'] as const) {
      const { [drop]: _, ...rest } = full;
      expect(await codeFor(rest), drop).toBe(401);
    }
  });
});

describe('Function: parseRfc1123', () => {
  it('reads only the exact RFC 1123 GMT form', () => {
    expect(parseRfc1123('Mon, 23 Nov 2026 11:38:46 GMT')).toBe(Date.UTC(2026, 10, 23, 11, 38, 46));
    expect(parseRfc1123('Thu, 01 Jan 1970 00:00:00 GMT')).toBe(0);
    for (const bad of [
      'Tue, 23 Nov 2026 11:38:46 GMT', // wrong weekday
      'Mon, 23 Nov 2026 11:38:46 UTC',
      'Mon, 23 Nov 2026 11:38:46 +0000',
      'Mon, 23 Nov 2026 11:38:46 GMT ',
      ' Mon, 23 Nov 2026 11:38:46 GMT',
      'mon, 23 nov 2026 11:38:46 GMT',
      'Monday, 23-Nov-26 11:38:46 GMT', // RFC 850
      'Mon Nov 23 11:38:46 2026', // asctime
      'Sat, 31 Feb 2026 11:38:46 GMT', // no such day
      'Mon, 23 Nov 2026 24:38:46 GMT',
      '2026-11-23T11:38:46Z',
      '2026-11-23 19:38:46',
      '',
    ])
      expect(parseRfc1123(bad), bad).toBeNaN();
  });
});
