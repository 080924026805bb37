import { chatSummary, dingtalkMessage, feishuMessage, wecomMessage } from './chat.ts';
import type { DestinationCredentials, DestinationKind } from './destinations.ts';
import { dingtalkSignedUrl, feishuSignature, standardWebhookHeaders } from './signing.ts';

/** An EventBridge event as a rule target receives it. */
export interface BusEvent {
  version?: string;
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  detail: Record<string, unknown> & { eventId?: string };
  [field: string]: unknown;
}

/** What one attempt did: the log keeps all of it (the body trimmed; no URL, key or secret). */
export interface AttemptResult {
  ok: boolean;
  /** HTTP status, or null when no answer came (refused, reset, timed out). */
  statusCode: number | null;
  /** The vendor's own code in a 200 answer (DingTalk/WeCom `errcode`, Feishu `code`). */
  vendorCode: number | null;
  latencyMs: number;
  /** The answer's first bytes, or the transport error's message. */
  response: string;
  /** The vendor said "too fast": wait at least this long before the next attempt. */
  slowDownSeconds?: number;
}

export const RESPONSE_LOG_BYTES = 512;
const TIMEOUT_MS = 10_000;

/** The event's stable id: the bridge's `detail.eventId` (same across republishes), else EventBridge's. */
export const eventIdOf = (event: BusEvent) => String(event.detail?.eventId ?? event.id);

/** The request for one attempt: URL (signed where the vendor signs it), headers, body. */
export function buildRequest(
  kind: DestinationKind,
  creds: DestinationCredentials,
  event: BusEvent,
  attempt: number,
  nowMs: number,
): { url: string; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  switch (kind) {
    case 'dingtalk': {
      const url = creds.secret ? dingtalkSignedUrl(creds.webhookUrl, creds.secret, nowMs) : creds.webhookUrl;
      return { url, headers, body: JSON.stringify(dingtalkMessage(chatSummary(event))) };
    }
    case 'wecom':
      return { url: creds.webhookUrl, headers, body: JSON.stringify(wecomMessage(chatSummary(event))) };
    case 'feishu': {
      const signed = creds.secret ? feishuSignature(creds.secret, nowMs) : {};
      return {
        url: creds.webhookUrl,
        headers,
        body: JSON.stringify({ ...signed, ...feishuMessage(chatSummary(event)) }),
      };
    }
    case 'webhook': {
      const body = JSON.stringify(event);
      return {
        url: creds.webhookUrl,
        // The attempt number lets a receiver that keeps the latest tell a retry from a new event.
        headers: {
          ...headers,
          ...standardWebhookHeaders(creds.secrets ?? [], eventIdOf(event), nowMs, body),
          'webhook-attempt': String(attempt),
        },
        body,
      };
    }
  }
}

/**
 * Vendor codes in a 200 answer that mean "too fast": DingTalk 130101 ("send too fast, exceed 20
 * times per minute"; it then throttles the robot for 10 minutes), WeCom 45009 ("api freq out of
 * limit"), Feishu 11232 (frequency limited) and its gateway's 99991400.
 */
const SLOW_DOWN: Record<DestinationKind, Record<number, number>> = {
  dingtalk: { 130101: 600 },
  wecom: { 45009: 60 },
  feishu: { 11232: 60, 99991400: 60 },
  webhook: {},
};

/**
 * The vendor's verdict on an answer. DingTalk and WeCom answer HTTP 200 with `{"errcode": n}`,
 * Feishu with `{"code": n, "msg": …}` (older hooks `StatusCode`); anything but 0 is a failure.
 */
export function vendorCode(kind: DestinationKind, text: string): number | null {
  if (kind === 'webhook') return null;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return -1; // a chat API that answers 200 with no JSON did not take the message
  }
  const code = kind === 'feishu' ? (body.code ?? body.StatusCode) : body.errcode;
  return typeof code === 'number' ? code : -1;
}

/** Posts one attempt and judges the answer; never throws. */
export async function sendOnce(
  kind: DestinationKind,
  creds: DestinationCredentials,
  event: BusEvent,
  attempt: number,
  options: { fetchImpl?: typeof fetch; now?: () => number } = {},
): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  const request = buildRequest(kind, creds, event, attempt, now());
  const started = performance.now();
  try {
    const res = await (options.fetchImpl ?? fetch)(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual', // a redirect would carry the signed request elsewhere
    });
    const text = await res.text();
    const latencyMs = Math.round(performance.now() - started);
    const code = res.ok ? vendorCode(kind, text) : null;
    const ok = res.status >= 200 && res.status < 300 && (code === null || code === 0);
    const retryAfter = Number(res.headers.get('retry-after'));
    const slowDown =
      (code !== null ? SLOW_DOWN[kind][code] : undefined) ??
      (res.status === 429 ? (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 60) : undefined);
    return {
      ok,
      statusCode: res.status,
      vendorCode: code,
      latencyMs,
      response: trimResponse(text),
      ...(slowDown ? { slowDownSeconds: slowDown } : {}),
    };
  } catch (error) {
    return {
      ok: false,
      statusCode: null,
      vendorCode: null,
      latencyMs: Math.round(performance.now() - started),
      response: trimResponse(transportError(error)),
    };
  }
}

/** fetch hides the cause ("fetch failed"); the log wants ECONNREFUSED or the timeout. */
function transportError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

export function trimResponse(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= RESPONSE_LOG_BYTES) return text;
  return `${buf
    .subarray(0, RESPONSE_LOG_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '')}…`;
}
