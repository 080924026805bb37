import type { BusEvent } from './send.ts';

/**
 * How an operator's replay and resume reach a destination's queue: SQS on AWS
 * (shared/delivery/aws-control.ts), the local runner locally (local/notify/deliveries.ts).
 */
export interface DeliveryControl {
  destinations(): string[];
  /** Queues one event for one destination again; the deliverer logs it as a replay. */
  replay(destination: string, event: BusEvent): Promise<void>;
  /** Unpauses and redrives the destination's DLQ; resolves with how many were moved (when known). */
  resume(destination: string): Promise<number | null>;
}
