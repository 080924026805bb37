import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/** The CLI's process entry, for the tests that need a real process. */
export const CLI_BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

/** Runs cli/bin.mjs as its own process with only PATH and `env`: its exit code and output. */
export function spawnCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
