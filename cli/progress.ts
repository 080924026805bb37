import type { TextSink } from './io.ts';

/**
 * Progress of a long operation on stderr, so stdout stays clean for the result (and for `--json`).
 * On a terminal one line is redrawn in place; anywhere else (a CI log, a file, a pipe) carriage
 * returns would pile up as garbage, so each step is written as its own line instead.
 */
export interface Progress {
  /** Reports `done` of `total` steps; `detail` is appended (e.g. customers sent). */
  update(done: number, detail?: string): void;
  /** Ends the progress display (moves off the redrawn line). Safe to call twice. */
  finish(): void;
}

export interface ProgressOptions {
  stream: TextSink;
  isTTY: boolean;
  label: string;
  total: number;
  /** Bar width in characters. @default 24 */
  width?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const { stream, isTTY, label, total } = options;
  const width = options.width ?? 24;
  let drawn = false;
  let finished = false;
  return {
    update(done, detail) {
      if (finished) return;
      const counter = `${done}/${total}`;
      const suffix = detail ? `  ${detail}` : '';
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
