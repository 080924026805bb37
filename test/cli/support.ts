import type { CliIo } from '../../cli/io.ts';
import { run } from '../../cli/run.ts';

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

/** Runs the CLI in-process, as `byrobot-bridge argv…` with `env`: its exit code and what it wrote. */
export async function runCli(argv: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIo(env);
  const code = await run(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}
