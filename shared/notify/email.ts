/**
 * The notification email's body, defined once. Each `<$.path>` is a JSON path into the event. On
 * AWS it becomes an EventBridge input transformer (infra/constructs/notifications.ts turns every
 * path into `EventField.fromPath`); locally `renderEmail` fills it from the event the same way.
 * An input transformer cannot branch on the event, so a rule whose pattern names exactly one detail
 * type gets that type's template (`emailTemplateFor`), and any other rule the generic one. No phone
 * number appears: a template cannot mask it, and the CRM id identifies the customer.
 */
export const EMAIL_TEMPLATE: readonly string[] = [
  'byrobot-bridge: <$.detail-type> at <$.time>',
  'Task <$.detail.taskName> (id <$.detail.taskId>, company <$.detail.companyId>)',
  'Event id: <$.detail.eventId> (the whole event is in the bus archive)',
];

/** Per detail type: what a person reading the email acts on. */
export const EMAIL_TEMPLATES: Readonly<Record<string, readonly string[]>> = {
  'Call Completed': [
    'byrobot-bridge: call <$.detail.callInstanceId> completed at <$.detail.endTime>',
    'Task <$.detail.taskName> (id <$.detail.taskId>, company <$.detail.companyId>)',
    'Customer: <$.detail.customer.name> · CRM id: <$.detail.properties.crmId>',
    'Outcome: <$.detail.finishStatus.label> · intent level: <$.detail.intentLevel> · <$.detail.durationSeconds> s, <$.detail.chatRounds> rounds',
    'Recording: <$.detail.recording.url>',
    'Event id: <$.detail.eventId>',
  ],
  'Task Completed': [
    'byrobot-bridge: task <$.detail.taskName> <$.detail.status.label> at <$.detail.detectedAt>',
    'Task id <$.detail.taskId>, company <$.detail.companyId>, robot <$.detail.robotName>',
    'Calls: <$.detail.counts.done> of <$.detail.counts.total> done · <$.detail.counts.called> answered · <$.detail.counts.rejected> rejected · <$.detail.counts.unavailable> unreachable',
    'Event id: <$.detail.eventId>',
  ],
  'Task Status Changed': [
    'byrobot-bridge: task <$.detail.taskName> is now <$.detail.status.label> (was <$.detail.previousStatus.label>)',
    'Task id <$.detail.taskId>, company <$.detail.companyId> · <$.detail.counts.done> of <$.detail.counts.total> calls done',
    'Event id: <$.detail.eventId>',
  ],
  'Call Intent Changed': [
    'byrobot-bridge: call <$.detail.callInstanceId> re-graded from <$.detail.previousLevel> to <$.detail.level>',
    'Task id <$.detail.taskId>, company <$.detail.companyId> · CRM id: <$.detail.properties.crmId>',
    'Changed at <$.detail.changedAt> by <$.detail.changedBy>',
    'Event id: <$.detail.eventId>',
  ],
  'Inbound Call Completed': [
    'byrobot-bridge: inbound call <$.detail.inboundInstanceId> completed at <$.detail.endTime>',
    'Called <$.detail.calleePhone> · customer: <$.detail.customer.name> · company <$.detail.companyId>',
    'Outcome: <$.detail.finishStatus.label> · intent level: <$.detail.intentLevel> · <$.detail.durationSeconds> s',
    'Recording: <$.detail.recording.url>',
    'Event id: <$.detail.eventId>',
  ],
  'Import Completed': [
    'byrobot-bridge: import <$.detail.importId> into task <$.detail.taskName> finished: <$.detail.outcome>',
    'Rows: <$.detail.counts.received> received · <$.detail.counts.imported> imported · <$.detail.counts.invalid> invalid · <$.detail.counts.duplicates> duplicates · <$.detail.counts.failedRows> failed',
    'Task id <$.detail.taskId>, company <$.detail.companyId> · event id: <$.detail.eventId>',
  ],
};

/** The template for a rule: its detail type's when the pattern names exactly one, else the generic one. */
export function emailTemplateFor(pattern: { [field: string]: unknown }): readonly string[] {
  const types = pattern['detail-type'];
  if (Array.isArray(types) && types.length === 1 && typeof types[0] === 'string')
    return EMAIL_TEMPLATES[types[0]] ?? EMAIL_TEMPLATE;
  return EMAIL_TEMPLATE;
}

/** The JSON paths the template reads, in order of first use. */
export function templatePaths(template: readonly string[] = EMAIL_TEMPLATE): string[] {
  const paths = new Set<string>();
  for (const line of template) for (const m of line.matchAll(/<(\$[^<>]*)>/g)) paths.add(m[1]!);
  return [...paths];
}

/** Follows a `$.a.b-c.d` path (dot-separated names, as input transformers take them). */
export function valueAtPath(event: unknown, path: string): unknown {
  let node: unknown = event;
  for (const key of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * The body as EventBridge's input transformer renders it for a text (non-JSON) template:
 * - a string value appears as is, unquoted and unescaped ("EventBridge doesn't escape values
 *   extracted by Input Path");
 * - any other value appears as its minified JSON text: `80`, `true`, `{"code":1,"label":"x"}`, and a
 *   field that is present with the value null as `null` (the path exists, so the variable does);
 * - a path the event lacks renders as nothing: "If you specify a variable to match a JSON path that
 *   doesn't exist in the event, that variable isn't created and won't appear in the output."
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 * ("Common issues with transforming input", and the "Simple string" example in the same page).
 */
export function renderEmail(event: unknown, template: readonly string[] = EMAIL_TEMPLATE): string {
  return template
    .map((line) =>
      line.replace(/<(\$[^<>]*)>/g, (_, path: string) => {
        const value = valueAtPath(event, path);
        if (value === undefined) return '';
        return typeof value === 'string' ? value : JSON.stringify(value);
      }),
    )
    .join('\n');
}
