import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../shared/manifest.ts';
import { killGroup, startNpm, until } from '../support/processes.ts';

/*
 * GET /docs in a real headless browser (Chromium from Debian's package, `apt-get install chromium`;
 * .ci/run installs it): the page served by `npm start` renders every route of the manifest, loads
 * nothing from anywhere but the stack itself, and "Try it out" on GET /health calls the stack.
 * Without /usr/bin/chromium the tests are reported skipped, not passed.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('GET /docs in headless Chromium', () => {
  let stack: ChildProcess | undefined;
  let browser: Browser | undefined;
  let base = '';

  beforeAll(async () => {
    const started = await startNpm(['--', '--no-demo']);
    stack = started.child;
    await until('the stack', () => started.output().includes('ready at http'), 60_000);
    base = `http://127.0.0.1:${started.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    killGroup(stack?.pid);
  });

  it('renders every route of the manifest, from files the stack serves (nothing from a CDN)', async () => {
    const page = await browser!.newPage();
    const elsewhere: string[] = [];
    const failed: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) elsewhere.push(r.url());
    });
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });

    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
    const shown = await page.$$eval('.opblock', (blocks) =>
      blocks.map((b) => {
        const method = b.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '';
        const path = b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
        return `${method} ${path}`;
      }),
    );
    const expected = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(expected.length).toBeGreaterThan(10);
    expect(shown.sort()).toEqual([...expected].sort());
    expect(await page.title()).toBe('byrobot-bridge API reference');
    expect(elsewhere).toEqual([]);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('"Try it out" on GET /health calls this stack and shows its 200', async () => {
    const page = await browser!.newPage();
    const called: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/health')) called.push(r.url());
    });
    await page.goto(`${base}/docs`);
    const block = page.locator('.opblock', {
      has: page.locator('.opblock-summary-path[data-path="/health"]'),
    });
    await block.locator('.opblock-summary').click();
    await block.locator('button.try-out__btn').click();
    await block.locator('button.execute').click();
    const status = block.locator('.live-responses-table .response .response-col_status');
    await status.waitFor({ timeout: 30_000 });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(
      await block.locator('.live-responses-table tbody .response-col_description').textContent(),
    ).toContain('"status"');
    expect(called).toEqual([`${base}/health`]);
    await page.close();
  });
});
