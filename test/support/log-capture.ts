import { type ApiStack, startApiStack } from './api-stack.ts';

/** An API stack whose Logger speaks at `level` (the test run silences it, vitest.config.ts). */
export async function speakingApiStack(level: string): Promise<ApiStack> {
  const before = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = level;
  try {
    return await startApiStack();
  } finally {
    if (before === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = before;
  }
}

/**
 * Collects the Logger's JSON lines from stdout and stderr into `lines`, passing anything else
 * through; the returned function puts the streams back.
 */
export function captureJsonLines(lines: string[]): () => void {
  const restore: Array<() => void> = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.startsWith('{')) lines.push(...text.split('\n').filter(Boolean));
      else return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      return true;
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
  return () => {
    for (const r of restore) r();
  };
}
