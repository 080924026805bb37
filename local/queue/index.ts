import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ChunkQueue } from '../../shared/api/queue.ts';

export interface LocalQueueOptions {
  /** Messages handed to the worker at once. @default 10 */
  batchSize?: number;
  /** How long a failed message stays invisible before redelivery. @default 200 */
  visibilityMs?: number;
  /** Receives before a message moves to the dead-letter list. @default 5 */
  maxReceiveCount?: number;
  /**
   * Keep the queue in this directory (`npm start -- --data-dir`): a sent message is a file before
   * `send` resolves and until the worker has processed it, so a `kill -9` loses none, as SQS keeps
   * a message until it is deleted. A restart delivers what was left, receive counts kept.
   */
  dir?: string;
}

interface Message {
  messageId: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
  /** Its file name in the queue directory (time-sortable, so a restart keeps the order). */
  file?: string;
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
  readonly #options: Required<Omit<LocalQueueOptions, 'dir'>>;
  readonly #dir: { queued: string; dead: string } | undefined;
  #seq = 0;
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
    if (options.dir) {
      this.#dir = { queued: join(options.dir, 'queued'), dead: join(options.dir, 'dead-letters') };
      mkdirSync(this.#dir.queued, { recursive: true });
      mkdirSync(this.#dir.dead, { recursive: true });
      this.#messages.push(...this.#load(this.#dir.queued));
      this.deadLetters.push(...this.#load(this.#dir.dead));
    }
  }

  /** Messages a previous run left, oldest first; a half-written temporary file was never sent. */
  #load(dir: string): Message[] {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((file) => {
        const saved = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Message;
        return { ...saved, visibleAt: Date.now(), file };
      });
  }

  /** Writes a message's file whole (temporary file, then rename) so no reader sees half of one. */
  #save(m: Message, list: 'queued' | 'dead'): void {
    if (!this.#dir) return;
    m.file ??= `${Date.now().toString(36).padStart(10, '0')}-${String(this.#seq++).padStart(6, '0')}-${m.messageId}.json`;
    const path = join(this.#dir[list], m.file);
    writeFileSync(
      `${path}.tmp`,
      JSON.stringify({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount }),
    );
    renameSync(`${path}.tmp`, path);
  }

  #remove(m: Message, list: 'queued' | 'dead'): void {
    if (this.#dir && m.file) rmSync(join(this.#dir[list], m.file), { force: true });
  }

  /** The consumer (the import worker's handler). Messages flow once one is attached. */
  attach(handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>): void {
    this.#handler = handler;
    this.#schedule(0);
  }

  async send(messages: ReadonlyArray<{ id: string; body: string }>): Promise<void> {
    const sent = messages.map((m) => ({
      messageId: randomUUID(),
      body: m.body,
      receiveCount: 0,
      visibleAt: Date.now(),
    }));
    for (const m of sent) this.#save(m, 'queued');
    this.#messages.push(...sent);
    this.stats.sent += sent.length;
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
    for (const m of moved) {
      const back = { ...m, receiveCount: 0, visibleAt: Date.now() };
      this.#save(back, 'queued');
      this.#remove(m, 'dead');
      this.#messages.push(back);
    }
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
        // The count survives a restart, so a poison message still ends in the dead letters.
        this.#save(m, 'queued');
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
          this.#remove(m, 'queued');
          this.stats.deleted++;
        } else if (m.receiveCount >= this.#options.maxReceiveCount) {
          this.#messages.splice(at, 1);
          this.#save(m, 'dead');
          this.#remove(m, 'queued');
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
