import type { EventBridgeEvent } from 'aws-lambda';
import { maskPhone } from '../imports/mask.ts';

/** The detail fields the chat messages read (Slack here, DingTalk/WeCom/Feishu in shared/delivery/chat.ts). */
export interface NotifyDetail {
  taskId?: number;
  taskName?: string;
  callInstanceId?: number;
  intentLevel?: string | null;
  finishStatus?: { label: string } | null;
  status?: { label: string };
  previousStatus?: { label: string } | null;
  customer?: { name?: string | null; phone?: string | null };
  properties?: Record<string, unknown>;
  durationSeconds?: number | null;
  counts?: { done?: number | null; total?: number | null; called?: number | null };
  importId?: string;
  outcome?: string;
}

/**
 * The Slack message for a bridge event: one readable line of what happened, the fields a sales
 * person acts on, and the CRM id. Customer phones are masked: Slack channels are wide audiences; the
 * project's one masking function, so a number reads the same in Slack, the CLI and the logs.
 */
export function slackMessage(event: EventBridgeEvent<string, NotifyDetail>): { text: string } {
  const d = event.detail;
  const mask = (p: string | null | undefined) => (p ? maskPhone(p) : '');
  const crm = d.properties && 'crmId' in d.properties ? ` · CRM ${String(d.properties.crmId)}` : '';
  switch (event['detail-type']) {
    case 'Call Completed':
      return {
        text: `:telephone_receiver: *${d.intentLevel ?? '-'}* ${d.customer?.name ?? ''} ${mask(d.customer?.phone)} — ${d.finishStatus?.label ?? ''}, ${d.durationSeconds ?? 0}s · task ${d.taskName ?? d.taskId}${crm} · call ${d.callInstanceId}`,
      };
    case 'Task Completed':
      return {
        text: `:white_check_mark: Task *${d.taskName ?? d.taskId}* ${d.status?.label}: ${d.counts?.done ?? '?'}/${d.counts?.total ?? '?'} done, ${d.counts?.called ?? '?'} answered`,
      };
    case 'Task Status Changed':
      return {
        text: `:arrows_counterclockwise: Task *${d.taskName ?? d.taskId}*: ${d.previousStatus?.label ?? 'new'} → ${d.status?.label}`,
      };
    default:
      return {
        text: `${event['detail-type']} · task ${d.taskName ?? d.taskId ?? '-'}${d.importId ? ` · import ${d.importId} ${d.outcome}` : ''}`,
      };
  }
}

/** Posts to the incoming webhook; a non-2xx answer throws, so EventBridge retries and then dead-letters. */
export async function postToSlack(
  webhookUrl: string,
  message: { text: string },
  fetchImpl: typeof fetch = fetch,
): Promise<void> {
  const res = await fetchImpl(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) {
    // 429 is Slack's rate limit: say when it wants us back; Lambda's retry comes later than that.
    const retryAfter = res.status === 429 ? res.headers.get('retry-after') : null;
    throw new Error(`Slack answered HTTP ${res.status}${retryAfter ? ` (retry after ${retryAfter} s)` : ''}`);
  }
}
