import { maskPhone } from '../shared/imports/mask.ts';

export interface StoredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  'event-bus-name': string;
}

/** One readable line per event: time, detail type, task and the fields rules filter on. Phones masked. */
export function formatEventLine(event: StoredEvent): string {
  const d = event.detail as Record<string, unknown> & {
    status?: { code: number; label: string };
    previousStatus?: { label: string } | null;
    finishStatus?: { label: string } | null;
    customer?: { name?: string | null; phone?: string | null };
    counts?: { done?: number | null; total?: number | null };
  };
  const parts = [event.time, event['detail-type'].padEnd(19), `task ${d.taskId ?? '-'}`];
  const crmId = () => {
    if (d.properties && typeof d.properties === 'object' && 'crmId' in d.properties)
      parts.push(`crmId ${String((d.properties as Record<string, unknown>).crmId)}`);
  };
  /** A finished call, outbound or inbound: its id, outcome, intent and customer. */
  const call = (id: string) => {
    parts.push(id, d.finishStatus?.label ?? '', d.intentLevel ? `intent ${d.intentLevel}` : '');
    if (d.customer?.name) parts.push(String(d.customer.name));
    if (d.customer?.phone) parts.push(maskPhone(String(d.customer.phone)));
  };
  const line = () => parts.filter(Boolean).join('  ');
  if (event['detail-type'] === 'Call Intent Changed') {
    parts.push(`call ${d.callInstanceId}`, `intent ${d.previousLevel ?? '–'} → ${d.level}`);
    if (d.changedBy) parts.push(`by ${String(d.changedBy)}`);
    crmId();
    return line();
  }
  if (event['detail-type'] === 'Inbound Call Completed') {
    call(`inbound ${d.inboundInstanceId}`);
    return line();
  }
  if (d.previousStatus !== undefined) parts.push(`${d.previousStatus?.label ?? 'new'} → ${d.status?.label}`);
  else if (d.status && event['detail-type'] !== 'Call Completed') parts.push(String(d.status.label));
  if (d.callInstanceId !== undefined) {
    call(`call ${d.callInstanceId}`);
    crmId();
  }
  if (d.importId !== undefined) {
    // Import Completed counts rows, not a task's calls: how many landed of how many were sent.
    const c = d.counts as { received?: number; imported?: number; invalid?: number; failedRows?: number };
    parts.push(
      `import ${d.importId}`,
      String(d.outcome ?? ''),
      `imported ${c?.imported ?? '?'}/${c?.received ?? '?'}`,
      c?.invalid ? `invalid ${c.invalid}` : '',
      c?.failedRows ? `failed ${c.failedRows}` : '',
    );
  } else if (d.counts && event['detail-type'] !== 'Call Completed')
    parts.push(`done ${d.counts.done ?? '?'}/${d.counts.total ?? '?'}`);
  return line();
}
