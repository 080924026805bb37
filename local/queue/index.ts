import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ChunkQueue } from '../../shared/api/queue.ts';

export interface LocalQueueOptions {
  /** Messages handed to the worker at once. @default 10 */
  batchSize?: number;
  /** How long a failed message stays invisible before redelivery. @default 200 */
  visibilityMs?: number;
  /** Receives before a message moves to the dead-letter list. @default 5 */
  maxReceiveCount?: number;
}

interface Message {
  messageId: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
}

/**
 * The import queue, locally (no SQS emulator runs on Node 20): it hands SQS-shaped batches to the
 * same worker handler, redelivers the messages a batch reports as failed after a visibility delay,
 * and moves a message to the dead-letter list after maxReceiveCount receives, as SQS with a redrive
 * policy does. `redrive()` moves dead letters back, as `start-message-move-task` does on AWS.
 */
export class LocalQueue implements ChunkQueue {
  readonly deadLetters: Message[] = [];
  readonly stats = { sent: 0, received: 0, deleted: 0, deadLettered: 0 };
  readonly #messages: Message[] = [];
  readonly #options: Required<LocalQueueOptions>;
  #handler: ((event: SQSEvent) => Promise<SQSBatchResponse | undefined>) | undefined;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];

  constructor(options: LocalQueueOptions = {}) {
    this.#options = {
      batchSize: options.batchSize ?? 10,
      visibilityMs: options.visibilityMs ?? 200,
      maxReceiveCount: options.maxReceiveCount ?? 5,
    };
  }

  /** The consumer (the import worker's handler). Messages flow once one is attached. */
  attach(handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>): void {
    this.#handler = handler;
    this.#schedule(0);
  }

  async send(messages: ReadonlyArray<{ id: string; body: string }>): Promise<void> {
    for (const m of messages) {
      this.#messages.push({ messageId: randomUUID(), body: m.body, receiveCount: 0, visibleAt: Date.now() });
      this.stats.sent++;
    }
    this.#schedule(0);
  }

  get depth(): number {
    return this.#messages.length;
  }

  /** Resolves once every message was deleted or dead-lettered. */
  drained(): Promise<void> {
    if (this.#messages.length === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Moves every dead letter back to the queue, receive counts reset. */
  redrive(): number {
    const moved = this.deadLetters.splice(0);
    for (const m of moved) this.#messages.push({ ...m, receiveCount: 0, visibleAt: Date.now() });
    this.#schedule(0);
    return moved.length;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#handler = undefined;
  }

  #schedule(delay: number): void {
    if (!this.#handler || this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#pump().finally(() => {
        this.#running = undefined;
        if (this.#messages.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
        else this.#schedule(Math.max(0, Math.min(...this.#messages.map((m) => m.visibleAt)) - Date.now()));
      });
    }, delay);
  }

  async #pump(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const batch = this.#messages.filter((m) => m.visibleAt <= now).slice(0, this.#options.batchSize);
      if (batch.length === 0 || !this.#handler) return;
      for (const m of batch) {
        m.receiveCount++;
        m.visibleAt = now + this.#options.visibilityMs;
        this.stats.received++;
      }
      let failed: Set<string>;
      try {
        const out = await this.#handler({ Records: batch.map(toRecord) });
        failed = new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch {
        failed = new Set(batch.map((m) => m.messageId)); // a thrown handler fails the whole batch
      }
      for (const m of batch) {
        const at = this.#messages.indexOf(m);
        if (!failed.has(m.messageId)) {
          this.#messages.splice(at, 1);
          this.stats.deleted++;
        } else if (m.receiveCount >= this.#options.maxReceiveCount) {
          this.#messages.splice(at, 1);
          this.deadLetters.push(m);
          this.stats.deadLettered++;
        }
      }
    }
  }
}

function toRecord(m: Message): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: `local-${m.messageId}-${m.receiveCount}`,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:byrobot-bridge-imports',
    awsRegion: 'local',
  };
}
