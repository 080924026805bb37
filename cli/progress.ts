import type { TextSink } from './io.ts';

/**
 * Progress of a long operation on stderr, so stdout stays clean for the result (and for `--json`).
 * On a terminal one line is redrawn in place; anywhere else (a CI log, a file, a pipe) carriage
 * returns would pile up as garbage, so each step is written as its own line instead.
 */
export interface Progress {
  /** Reports `done` of `total` units; `detail` is appended (e.g. the requests made). */
  update(done: number, detail?: string): void;
  /** Ends the progress display (moves off the redrawn line). Safe to call twice. */
  finish(): void;
}

export interface ProgressOptions {
  stream: TextSink;
  isTTY: boolean;
  label: string;
  total: number;
  /** What is counted, after the counter (`5/5 rows`). @default none */
  unit?: string;
  /** Bar width in characters. @default 24 */
  width?: number;
  /** The clock the rate and the time left are measured on (ms). @default performance.now */
  now?: () => number;
}

/** `42s`, `3m05s`, `1h02m`: the time left, short. */
function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(options: ProgressOptions): Progress {
  const { stream, isTTY, label, total } = options;
  const width = options.width ?? 24;
  const now = options.now ?? (() => performance.now());
  const unit = options.unit ? ` ${options.unit}` : '';
  const started = now();
  let drawn = false;
  let finished = false;
  /** Units a second since the start, and the time left at that rate, once there is a rate. */
  const pace = (done: number) => {
    const seconds = (now() - started) / 1000;
    if (done <= 0 || seconds <= 0) return '';
    const rate = done / seconds;
    const left = done < total ? `, ${shortDuration((total - done) / rate)} left` : '';
    return `  ${Math.round(rate)}${unit}/s${left}`;
  };
  return {
    update(done, detail) {
      if (finished) return;
      const counter = `${done}/${total}${unit}`;
      const suffix = `${detail ? `  ${detail}` : ''}${pace(done)}`;
      if (!isTTY) {
        stream.write(`${label} ${counter}${suffix}\n`);
        return;
      }
      const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
      const filled = Math.round(ratio * width);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
      const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
      // \r back to column 0, \x1b[K clears what a longer previous line left behind.
      stream.write(`\r${label} [${bar}] ${percent} ${counter}${suffix}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (finished) return;
      finished = true;
      if (isTTY && drawn) stream.write('\n');
    },
  };
}
