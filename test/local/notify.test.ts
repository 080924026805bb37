import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { localBusClient, startLocalBus } from '../../dev/eventbus.ts';
import { createLocalNotifier, type LocalNotifierOptions } from '../../local/notify/index.ts';
import { NOTIFICATION_RULES } from '../../shared/notify/rules.ts';

/*
 * The local notification rules end to end: events published with the real EventBridgeClient to the
 * local bus, matched against the `local` stage's rules, Slack messages POSTed over real HTTP to a
 * server on 127.0.0.1 standing in for Slack, email bodies printed.
 */

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A stand-in for Slack's incoming webhook: records each POST; answers `statuses` in turn, then 200. */
async function fakeSlack(statuses: number[] = []) {
  const posts: Array<{ path: string; contentType: string | undefined; body: { text: string } }> = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const status = statuses.shift() ?? 200;
    if (status === 200)
      posts.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, posts };
}

function secretsFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The local stage's rules on a real local bus; returns what the notifier printed. */
async function stack(options: Partial<LocalNotifierOptions> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const notifier = createLocalNotifier({
    rules: NOTIFICATION_RULES.local!,
    eventSource: 'byrobot.bridge',
    env: {},
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    retryDelayMs: () => 5,
    ...options,
  });
  const bus = await startLocalBus({ eventsFile: null, onEvents: notifier.handle });
  closers.push(bus.close);
  const client = localBusClient(bus.endpoint);
  const publish = async (...entries: Array<{ type: string; detail: object; source?: string }>) => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: entries.map((e) => ({
          Source: e.source ?? 'byrobot.bridge',
          DetailType: e.type,
          Detail: JSON.stringify(e.detail),
          EventBusName: 'byrobot-bridge-local',
        })),
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    await notifier.idle();
  };
  return { notifier, bus, publish, out, err };
}

const call = (callInstanceId: number, intentLevel: string | null) => ({
  type: 'Call Completed',
  detail: {
    eventId: `call-${callInstanceId}`,
    companyId: 1,
    taskId: 1001,
    taskName: '演示任务',
    callInstanceId,
    intentLevel,
    finishStatus: { code: 0, label: 'answered' },
    durationSeconds: 42,
    customer: { name: '王芳', phone: '13900000002' },
    properties: { crmId: 'DEMO-2' },
  },
});
const taskCompleted = {
  type: 'Task Completed',
  detail: {
    eventId: 'task-1001-done',
    companyId: 1,
    taskId: 1001,
    taskName: '演示任务',
    detectedAt: '2026-11-25T13:06:31+08:00',
    robotName: '新客回访机器人',
    status: { code: 2, label: 'completed' },
    counts: { done: 12, total: 12, called: 9, rejected: 1, unavailable: 2 },
  },
};

describe('Local notification rules: the local stage’s rules on the local bus', () => {
  it('posts an A/B call to Slack (the URL from LOCAL_SECRETS_FILE), phone masked; a C call goes nowhere', async () => {
    const slack = await fakeSlack();
    const { publish, out, err, notifier } = await stack({
      env: {
        LOCAL_SECRETS_FILE: secretsFile({
          'byrobot-bridge/local/slack-hot-leads': { webhookUrl: slack.url },
        }),
      },
    });
    await publish(call(100002, 'A'), call(100003, 'C'));
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]).toMatchObject({ path: '/hook', contentType: 'application/json' });
    const text = slack.posts[0]!.body.text;
    expect(text).toContain('*A* 王芳 139****0002');
    expect(text).toContain('CRM DEMO-2');
    expect(text).toContain('call 100002');
    expect(text).not.toContain('13900000002');
    expect(out).toEqual([`slack (rule hot-leads-slack): posted ${text}`]);
    expect(err).toEqual([]);
    expect(notifier.stats).toMatchObject({ matched: 1, slackPosted: 1, emails: 0 });
    expect(notifier.describe()).toEqual([
      'task-completed-email: email to calling-team@example.com (printed here)',
      `hot-leads-slack: Slack at ${slack.url} (secret byrobot-bridge/local/slack-hot-leads in LOCAL_SECRETS_FILE)`,
    ]);
  });

  it('prints the email body for Task Completed, rendered from the event as the input transformer would', async () => {
    const { publish, out } = await stack();
    await publish(taskCompleted, call(100004, 'D'));
    expect(out).toHaveLength(1);
    const block = out[0]!.split('\n');
    expect(block[0]).toBe('email (rule task-completed-email) to calling-team@example.com:');
    // The rule names one detail type, so it gets that type's template (shared/notify/email.ts).
    expect(block.slice(1)).toEqual([
      '  byrobot-bridge: task 演示任务 completed at 2026-11-25T13:06:31+08:00',
      '  Task id 1001, company 1, robot 新客回访机器人',
      '  Calls: 12 of 12 done · 9 answered · 1 rejected · 2 unreachable',
      '  Event id: task-1001-done',
    ]);
  });

  it('adds the bridge’s source to each pattern: the same detail type from another source matches no rule', async () => {
    const slack = await fakeSlack();
    const { publish, out, notifier } = await stack({ env: { SLACK_WEBHOOK_URL: slack.url } });
    await publish({ ...taskCompleted, source: 'someone.else' }, { ...call(1, 'A'), source: 'someone.else' });
    expect(out).toEqual([]);
    expect(slack.posts).toEqual([]);
    expect(notifier.stats.matched).toBe(0);
  });

  it('takes SLACK_WEBHOOK_URL for a Slack rule without a secret in the file', async () => {
    const slack = await fakeSlack();
    const { publish, notifier } = await stack({
      env: {
        SLACK_WEBHOOK_URL: slack.url,
        LOCAL_SECRETS_FILE: secretsFile({ 'some/other': { webhookUrl: 'http://x/' } }),
      },
    });
    await publish(call(5, 'B'));
    expect(slack.posts.map((p) => p.body.text)).toEqual([expect.stringContaining('*B* 王芳')]);
    expect(notifier.describe()[1]).toBe(`hot-leads-slack: Slack at ${slack.url} (SLACK_WEBHOOK_URL)`);
  });

  it('without a URL, says once what it would post and how to configure one', async () => {
    const { publish, out, notifier } = await stack();
    await publish(call(7, 'A'), call(8, 'B'));
    await publish(call(9, 'A'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^slack \(rule hot-leads-slack\): would post ":telephone_receiver: \*A\* 王芳 139\*\*\*\*0002/,
    );
    expect(out[0]).toContain('set SLACK_WEBHOOK_URL, or LOCAL_SECRETS_FILE');
    expect(out[0]).toContain('{"byrobot-bridge/local/slack-hot-leads": {"webhookUrl": "…"}}');
    expect(notifier.stats.slackUnconfigured).toBe(3);
  });

  it('retries a refused Slack post and delivers it', async () => {
    const slack = await fakeSlack([500, 503]);
    const { publish, err, notifier } = await stack({ env: { SLACK_WEBHOOK_URL: slack.url } });
    await publish(call(10, 'A'));
    expect(slack.posts).toHaveLength(1);
    expect(err).toEqual([
      'slack (rule hot-leads-slack): attempt 1 failed (Slack answered HTTP 500); retrying',
      'slack (rule hot-leads-slack): attempt 2 failed (Slack answered HTTP 503); retrying',
    ]);
    expect(notifier.stats).toMatchObject({ slackPosted: 1, slackFailed: 0 });
  });

  it('gives up after two retries, reports it, and the bus keeps accepting and notifying', async () => {
    const slack = await fakeSlack([500, 500, 500]);
    const { publish, err, out, notifier, bus } = await stack({ env: { SLACK_WEBHOOK_URL: slack.url } });
    await publish(call(11, 'A'));
    expect(slack.posts).toEqual([]);
    expect(err.at(-1)).toMatch(
      /^slack \(rule hot-leads-slack\): gave up on event [\w-]+ after 3 attempts: Slack answered HTTP 500$/,
    );
    expect(notifier.stats.slackFailed).toBe(1);
    await publish(call(12, 'B'), taskCompleted);
    expect(slack.posts).toHaveLength(1);
    expect(out.filter((l) => l.startsWith('email'))).toHaveLength(1);
    expect(bus.bus.events).toHaveLength(3);
  });

  it('a Slack that does not answer at all is a failure like any other', async () => {
    const { publish, err, notifier } = await stack({
      env: { SLACK_WEBHOOK_URL: 'http://127.0.0.1:1/hook' },
      slackRetries: 1,
    });
    await publish(call(13, 'A'));
    expect(err).toHaveLength(2);
    expect(err[1]).toMatch(/gave up on event .* after 2 attempts/);
    expect(notifier.stats.slackFailed).toBe(1);
  });
});

describe('Function: createLocalNotifier (start-up checks)', () => {
  const create = (env: Record<string, string>) =>
    createLocalNotifier({
      rules: NOTIFICATION_RULES.local!,
      eventSource: 'byrobot.bridge',
      env,
      out: () => {},
    });

  it('refuses an unreadable, non-JSON or malformed LOCAL_SECRETS_FILE, naming it', () => {
    expect(() => create({ LOCAL_SECRETS_FILE: '/nonexistent/secrets.json' })).toThrow(
      'LOCAL_SECRETS_FILE /nonexistent/secrets.json cannot be read',
    );
    const notJson = secretsFile('{nope');
    expect(() => create({ LOCAL_SECRETS_FILE: notJson })).toThrow(
      `LOCAL_SECRETS_FILE ${notJson} is not JSON`,
    );
    const wrongShape = secretsFile({ 'byrobot-bridge/local/slack-hot-leads': { url: 'http://x' } });
    expect(() => create({ LOCAL_SECRETS_FILE: wrongShape })).toThrow(
      'secret "byrobot-bridge/local/slack-hot-leads" must be {"webhookUrl": "https://…"}',
    );
  });

  it('accepts the secret value as JSON text, as Secrets Manager stores it', () => {
    const file = secretsFile({
      'byrobot-bridge/local/slack-hot-leads': JSON.stringify({
        webhookUrl: 'https://hooks.slack.com/services/T/B/secret',
      }),
    });
    expect(create({ LOCAL_SECRETS_FILE: file }).describe()[1]).toBe(
      'hot-leads-slack: Slack at https://hooks.slack.com/services/… (secret byrobot-bridge/local/slack-hot-leads in LOCAL_SECRETS_FILE)',
    );
  });

  it('refuses a rule whose pattern EventBridge would refuse', () => {
    expect(() =>
      createLocalNotifier({
        rules: [
          {
            name: 'bad',
            description: 'x',
            pattern: { detail: { intentLevel: 'A' } },
            email: 'a@example.com',
          },
        ],
        eventSource: 'byrobot.bridge',
        env: {},
      }),
    ).toThrow('notification rule "bad": event pattern: detail.intentLevel: must be an array');
  });
});
