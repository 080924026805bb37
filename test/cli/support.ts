import type { CliIo } from '../../cli/io.ts';

/** A text sink that keeps what was written. */
export class Capture {
  chunks: string[] = [];
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

export interface CapturedIo extends CliIo {
  stdout: Capture;
  stderr: Capture;
}

export function captureIo(env: Record<string, string | undefined> = {}, isTTY = false): CapturedIo {
  return { stdout: new Capture(), stderr: new Capture(), env, isTTY };
}
