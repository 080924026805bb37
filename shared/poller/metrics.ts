import type { Metrics, MetricUnit as Units } from '@aws-lambda-powertools/metrics';
import type { PollRunReport } from './runtime.ts';

/**
 * The poller's CloudWatch metrics (the dashboard and alarms read these names): cycles, tasks
 * changed, failures, events published by type, byrobot errors by code or transport kind, and with
 * callbacks on the calls the reconciler announced because no push did.
 */
export function recordPollMetrics(metrics: Metrics, report: PollRunReport, unit: typeof Units): void {
  metrics.addMetric('PollCycles', unit.Count, 1);
  let changed = 0;
  let failures = 0;
  let deferred = 0;
  let reconciled = 0;
  const events: Record<string, number> = {};
  for (const company of report.companies) {
    changed += company.tasksChanged;
    failures += company.failures.length;
    deferred += company.tasksDeferred;
    reconciled += company.callsReconciled;
    for (const [type, n] of Object.entries(company.events)) events[type] = (events[type] ?? 0) + n;
  }
  metrics.addMetric('TasksChanged', unit.Count, changed);
  metrics.addMetric('TaskFailures', unit.Count, failures);
  metrics.addMetric('TasksDeferred', unit.Count, deferred);
  // Callbacks on: the calls push missed that the reconciler announced (0 counts too: alarms divide).
  if (report.callbacks) metrics.addMetric('CallsAnnouncedByReconciler', unit.Count, reconciled);
  if (failures === 0) metrics.addMetric('PollSucceeded', unit.Count, 1);
  metrics.addMetric('PollDuration', unit.Milliseconds, report.durationMs);
  for (const [type, n] of Object.entries(events)) {
    const single = metrics.singleMetric();
    single.addDimension('DetailType', type);
    single.addMetric('EventsPublished', unit.Count, n);
  }
  for (const [key, n] of Object.entries(report.byrobotRequests)) {
    const outcome = key.split(' ')[1] ?? 'unknown';
    if (outcome === 'ok') continue;
    const single = metrics.singleMetric();
    single.addDimension('Outcome', outcome);
    single.addMetric('ByrobotErrors', unit.Count, n);
  }
}
