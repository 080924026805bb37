/**
 * The notification email's body, defined once. Each `<$.path>` is a JSON path into the event. On
 * AWS it becomes an EventBridge input transformer (infra/constructs/notifications.ts turns every
 * path into `EventField.fromPath`); locally `renderEmail` fills it from the event the same way.
 */
export const EMAIL_TEMPLATE: readonly string[] = [
  'byrobot-bridge: <$.detail-type> at <$.time>',
  'Task <$.detail.taskName> (id <$.detail.taskId>, company <$.detail.companyId>)',
  'Status: <$.detail.status.label> · intent level: <$.detail.intentLevel> · outcome: <$.detail.finishStatus.label>',
  'Customer: <$.detail.customer.name> · call <$.detail.callInstanceId>',
  'Event id: <$.detail.eventId>',
];

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
