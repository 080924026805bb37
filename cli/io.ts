/** Where the CLI writes: anything with `write(string)` (process streams, or a buffer in tests). */
export interface TextSink {
  write(chunk: string): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Read once at start for configuration (`BYROBOT_*`). */
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal: draws the progress bar in place instead of one line per step, and colours its labels. */
  isTTY?: boolean;
  /** Whether stdout is a terminal: colours doctor's statuses and tables' rules (cli/colour.ts). */
  stdoutIsTTY?: boolean;
}
