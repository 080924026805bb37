import * as v from 'valibot';
import type { ApiDeps } from '../api/deps.ts';
import type { RouteDefinition } from '../api/route.ts';
import { allowsCompany } from '../http/auth.ts';
import { problems } from '../http/problem.ts';
import { type ApiEvent, type ApiResult, json } from '../http/types.ts';
import { validate } from '../http/validate.ts';
import { DeliveryLog } from './log-store.ts';
import type { BusEvent } from './send.ts';

/** The log's summaries and attempts for one event, for a caller allowed to see its company. */
async function deliveriesOf(eventId: string, deps: ApiDeps, principal: ApiEvent['principal']) {
  const { summaries, attempts } = await new DeliveryLog(deps.doc, deps.tableName).forEvent(eventId);
  const visible = summaries.filter((s) => {
    const companyId = (JSON.parse(s.event) as BusEvent).detail?.companyId;
    return typeof companyId !== 'number' || allowsCompany(principal, companyId);
  });
  return visible.map(({ event, ...s }) => ({
    ...s,
    event: JSON.parse(event) as BusEvent,
    attempts: attempts.filter((a) => a.destination === s.destination).map(({ destination: _d, ...a }) => a),
  }));
}

const QuerySchema = v.union([
  v.strictObject({ eventId: v.pipe(v.string(), v.minLength(1), v.maxLength(128)) }),
  v.strictObject({
    date: v.optional(v.pipe(v.string(), v.isoDate('date is YYYY-MM-DD'))),
    limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,3}$/, 'limit is 1 to 500'))),
  }),
]);

/**
 * `GET /deliveries?eventId=…`: each destination's status and every attempt (time, status, latency,
 * response code, the answer's first bytes). `GET /deliveries?date=YYYY-MM-DD`: the day's deliveries.
 */
export async function getDeliveries(event: ApiEvent, deps: ApiDeps): Promise<ApiResult> {
  const query = validate(QuerySchema, event.queryStringParameters ?? {}, 'query');
  if ('eventId' in query) {
    const deliveries = await deliveriesOf(query.eventId, deps, event.principal);
    if (deliveries.length === 0) throw problems.notFound(`no deliveries of event ${query.eventId}`);
    return json(200, { eventId: query.eventId, deliveries });
  }
  const date = query.date ?? new Date(deps.now?.() ?? Date.now()).toISOString().slice(0, 10);
  const limit = Math.min(500, Math.max(1, Number(query.limit ?? 100)));
  const entries = (await new DeliveryLog(deps.doc, deps.tableName).forDay(date, limit)).filter(
    (e) => e.companyId === null || allowsCompany(event.principal, e.companyId),
  );
  return json(200, { date, deliveries: entries });
}

const ReplaySchema = v.strictObject({
  eventId: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  destination: v.optional(v.pipe(v.string(), v.minLength(1))),
});

/**
 * `POST /deliveries/replay` `{eventId, destination?}`: the logged event, intact and with its
 * webhook-id, queued again for that destination (all it went to, without one).
 * `POST /destinations/{destination}/resume`: unpause and redrive its dead letters.
 */
export async function deliveryAction(event: ApiEvent, deps: ApiDeps<'deliveries'>): Promise<ApiResult> {
  const control = deps.deliveries;
  const resume = event.pathParameters?.destination;
  if (resume !== undefined) {
    if (!control.destinations().includes(resume)) throw problems.notFound(`no destination ${resume}`);
    const moved = await control.resume(resume);
    return json(200, { destination: resume, resumed: true, redriven: moved });
  }
  const input = validate(ReplaySchema, event.jsonBody, 'body');
  const deliveries = (await deliveriesOf(input.eventId, deps, event.principal)).filter(
    (d) => !input.destination || d.destination === input.destination,
  );
  if (deliveries.length === 0)
    throw problems.notFound(
      `no deliveries of event ${input.eventId}${input.destination ? ` to ${input.destination}` : ''}`,
    );
  for (const d of deliveries) await control.replay(d.destination, d.event);
  return json(202, { eventId: input.eventId, replayed: deliveries.map((d) => d.destination) });
}

export const getDeliveriesRoute: RouteDefinition<'get-deliveries'> = {
  name: 'get-deliveries',
  run: (deps) => (e) => getDeliveries(e, deps),
};
export const deliveryActionRoute: RouteDefinition<'delivery-action'> = {
  name: 'delivery-action',
  run: (deps) => (e) => deliveryAction(e, deps),
};
