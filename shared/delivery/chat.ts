import { maskPhone } from '../imports/mask.ts';
import type { NotifyDetail } from '../notify/slack.ts';

/**
 * The chat message for an event, written once and rendered per vendor: short and human — who,
 * outcome, intent, CRM id, a link to the recording — and never a full phone number (group chats are
 * wide audiences; shared/imports/mask.ts is the one masking function, as in Slack and the logs).
 */

interface Detail extends NotifyDetail {
  eventId?: string;
  recording?: { url?: string | null };
  detectedAt?: string;
}

export interface ChatEvent {
  id?: string;
  'detail-type': string;
  detail: Detail | Record<string, unknown>;
}

export interface ChatSummary {
  title: string;
  /** Markdown lines (bold with `**`, the subset all three vendors render). */
  lines: string[];
  link?: { label: string; url: string };
}

export function chatSummary(event: ChatEvent): ChatSummary {
  const d = event.detail as Detail;
  const task = d.taskName ?? String(d.taskId ?? '-');
  switch (event['detail-type']) {
    case 'Call Completed': {
      const who = [d.customer?.name, d.customer?.phone ? maskPhone(d.customer.phone) : null]
        .filter(Boolean)
        .join(' ');
      const crmId = d.properties && 'crmId' in d.properties ? String(d.properties.crmId) : null;
      const url = d.recording?.url;
      return {
        title: `Intent ${d.intentLevel ?? '-'}: ${who || 'a customer'}`,
        lines: [
          `**Intent ${d.intentLevel ?? '-'}** · ${who || 'a customer'}`,
          `Outcome: ${d.finishStatus?.label ?? '-'}, ${d.durationSeconds ?? 0} s`,
          ...(crmId ? [`CRM id: ${crmId}`] : []),
          `Task ${task} · call ${d.callInstanceId ?? '-'}`,
        ],
        ...(url && /^https?:\/\//.test(url) ? { link: { label: 'Recording', url } } : {}),
      };
    }
    case 'Task Completed':
      return {
        title: `Task ${task} ${d.status?.label ?? 'completed'}`,
        lines: [
          `**Task ${task}** ${d.status?.label ?? 'completed'}`,
          `${d.counts?.done ?? '?'}/${d.counts?.total ?? '?'} done, ${d.counts?.called ?? '?'} answered`,
        ],
      };
    case 'Task Status Changed':
      return {
        title: `Task ${task}: ${d.status?.label ?? '?'}`,
        lines: [`**Task ${task}**: ${d.previousStatus?.label ?? 'new'} → ${d.status?.label ?? '?'}`],
      };
    default:
      return {
        title: `${event['detail-type']} · task ${task}`,
        lines: [
          `**${event['detail-type']}** · task ${task}`,
          ...(d.importId ? [`Import ${d.importId}: ${d.outcome ?? ''}`] : []),
        ],
      };
  }
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character, marking the cut. */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const mark = '…';
  let out = '';
  let bytes = Buffer.byteLength(mark, 'utf8');
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out + mark;
}

/** WeCom group robot: markdown `content` is at most 4,096 bytes of UTF-8 (developer.work.weixin.qq.com/document/path/91770). */
export const WECOM_MARKDOWN_MAX_BYTES = 4096;
/** Feishu custom bot: the request body may not exceed 20 KB. */
export const FEISHU_MAX_BODY_BYTES = 20 * 1024;
/** DingTalk's markdown text has no published byte limit; keep a chat message a chat message. */
export const DINGTALK_MAX_TEXT_BYTES = 4096;

const markdownOf = (s: ChatSummary) =>
  [...s.lines, ...(s.link ? [`[${s.link.label}](${s.link.url})`] : [])].join('\n\n');

/** DingTalk: an actionCard (one button to the recording) when there is a link, markdown otherwise. */
export function dingtalkMessage(summary: ChatSummary): Record<string, unknown> {
  const text = fitBytes(summary.lines.join('\n\n'), DINGTALK_MAX_TEXT_BYTES);
  if (summary.link)
    return {
      msgtype: 'actionCard',
      actionCard: {
        title: summary.title,
        text,
        singleTitle: summary.link.label,
        singleURL: summary.link.url,
      },
    };
  return { msgtype: 'markdown', markdown: { title: summary.title, text } };
}

export function wecomMessage(summary: ChatSummary): Record<string, unknown> {
  return {
    msgtype: 'markdown',
    markdown: { content: fitBytes(markdownOf(summary), WECOM_MARKDOWN_MAX_BYTES) },
  };
}

/** Feishu: an interactive card, the recording as a button; `sign` fields are added by the sender. */
export function feishuMessage(summary: ChatSummary): Record<string, unknown> {
  return {
    msg_type: 'interactive',
    card: {
      header: { title: { tag: 'plain_text', content: summary.title } },
      elements: [
        { tag: 'div', text: { tag: 'lark_md', content: fitBytes(summary.lines.join('\n'), 8 * 1024) } },
        ...(summary.link
          ? [
              {
                tag: 'action',
                actions: [
                  {
                    tag: 'button',
                    text: { tag: 'plain_text', content: summary.link.label },
                    url: summary.link.url,
                    type: 'default',
                  },
                ],
              },
            ]
          : []),
      ],
    },
  };
}
