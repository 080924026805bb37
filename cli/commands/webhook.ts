import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../shared/http/auth.ts';
import { CliError, type CommandDef, EXIT, readTextFile, UsageError } from '../command.ts';
import { writeJson } from '../format.ts';

/**
 * `webhook send`: POSTs a JSON body signed as Standard Webhooks (https://www.standardwebhooks.com/),
 * the way a CRM calls the bridge's `/webhooks/{source}/…` routes, so an operator can check a source's
 * secret and field mapping end to end. It signs with the same function the API's tests use
 * (shared/http/auth.ts), so a signature it makes is one the real handler verifies.
 */

/** `whsec_` then base64 of the secret's bytes, as Standard Webhooks secrets are written. */
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export const webhookSendCommand: CommandDef = {
  name: 'webhook send',
  summary: 'POST a JSON file to a webhook URL, signed as Standard Webhooks.',
  usage: 'webhook send <url> <body.json> --secret <whsec_…> [--id <webhook-id>] [--json]',
  details:
    'Sends webhook-id, webhook-timestamp (now) and webhook-signature (v1,<base64 HMAC-SHA256 of\n' +
    '"id.timestamp.body"> keyed with the bytes after whsec_). The file is sent byte for byte as read.\n' +
    'The secret may come from WEBHOOK_SECRET instead of --secret, which keeps it out of shell\n' +
    'history; it is never printed. Sending the same --id twice is how a CRM retries: the bridge\n' +
    'imports such a delivery once. Prints the answer; exit 1 when it is not 2xx.',
  positionals: [
    { name: 'url', description: 'e.g. http://127.0.0.1:3000/webhooks/local-crm/tasks/1001/customers' },
    { name: 'body.json', description: 'the JSON body to send' },
  ],
  options: {
    secret: {
      type: 'string',
      value: '<whsec_…>',
      description: "the webhook source's secret (default: WEBHOOK_SECRET)",
    },
    id: { type: 'string', value: '<id>', description: 'the webhook-id (default: msg_<random uuid>)' },
  },
  examples: [
    'webhook send http://127.0.0.1:3000/webhooks/local-crm/tasks/1001/customers customers.json --secret "$WHSEC"',
  ],
  async run(ctx, args) {
    const { io, json } = ctx;
    const urlText = args.positional(0, 'url');
    const file = args.positional(1, 'body.json');
    const url = URL.parse(urlText);
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
      throw new UsageError(`<url> must be an absolute http(s) URL, got ${JSON.stringify(urlText)}`);
    const secret = args.string('secret') ?? io.env.WEBHOOK_SECRET;
    if (!secret) throw new UsageError('--secret is required (or set WEBHOOK_SECRET)');
    // The secret is not echoed back, even when malformed: it may be a real one with a typo.
    if (!SECRET.test(secret.trim()))
      throw new UsageError('--secret must be whsec_ followed by base64 (the source’s secret as configured)');
    const id = args.string('id') ?? `msg_${randomUUID()}`;
    if (id.trim() === '') throw new UsageError('--id must not be empty');

    const body = await readTextFile(file);
    try {
      JSON.parse(body);
    } catch (error) {
      throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
    }

    const timestamp = Math.floor(Date.now() / 1000);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret.trim(), id, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new CliError(`no answer from ${url.origin}: ${cause}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (json) {
      writeJson(io.stdout, {
        webhookId: id,
        timestamp,
        status: res.status,
        contentType: res.headers.get('content-type'),
        body: parsed,
      });
    } else {
      io.stderr.write(`sent webhook-id ${id} (timestamp ${timestamp}) to ${url.href}\n`);
      io.stdout.write(`HTTP ${res.status} ${res.statusText}\n`);
      if (text !== '')
        io.stdout.write(`${typeof parsed === 'string' ? parsed : JSON.stringify(parsed, null, 2)}\n`);
    }
    return res.ok ? EXIT.ok : EXIT.failure;
  },
};
