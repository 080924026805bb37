import { STAGES } from '../../infra/stages.ts';
import { FUNCTION_NAMES } from '../../shared/manifest.ts';

/** A stage's Lambda functions: one per entry; the Slack forwarder once per Slack rule; the deliverer once per destination. */
export const functionCount = (stage: string) =>
  FUNCTION_NAMES.length -
  2 +
  STAGES[stage]!.notifications.filter((r) => r.slackWebhookSecret).length +
  STAGES[stage]!.notifications.flatMap((r) => r.destinations ?? []).length;
