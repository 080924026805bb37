import { styleText } from 'node:util';
import type { CliIo, TextSink } from './io.ts';

/*
 * Colour on a terminal only (issue 15, point 11). Each stream is decided on its own, once per run:
 * - FORCE_COLOR set: colour, unless it is `0` or `false` (Node's own rule, which also lets it win
 *   over NO_COLOR);
 * - else NO_COLOR set to anything but the empty string (no-color.org): no colour;
 * - else TERM=dumb: no colour;
 * - else colour when the stream is a TTY, so piped or redirected output never has escape codes.
 * The codes are node's `util.styleText`; what is coloured is the labels operators scan for: errors
 * red, warnings yellow, success green, secondary lines dim. Text, widths and line breaks are unchanged.
 */

type Format = Parameters<typeof styleText>[0];

export function colourWanted(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}

/** The text in a style; the caller has decided the stream wants colour (not styleText's own check). */
export const paint = (format: Format, text: string): string =>
  styleText(format, text, { validateStream: false });

/** A line's leading label and its style: only the label is painted, the rest of the line stays plain. */
type Rule = [RegExp, Format | ((match: RegExpMatchArray) => Format)];

const STDERR: Rule[] = [
  [/^(error:|byrobot error \d+:|transport error \([^)]*\):)/, 'red'],
  [/^warning:/, 'yellow'],
  [/^hint:/, 'yellow'],
  [/^(request id:|note:|dry run:)/, 'dim'],
  [/^all checks passed$/, 'green'],
  [/^(\d+) failed, \d+ warnings?$/, (m) => (m[1] === '0' ? 'yellow' : 'red')],
  [/^(created task|sent webhook-id) /, 'green'],
];

const STDOUT: Rule[] = [
  // doctor's check lines: `ok    byrobot   …`
  [/^ok(?= {4})/, 'green'],
  [/^warn(?= {2})/, 'yellow'],
  [/^fail(?= {2})/, 'red'],
  [/^skip(?= {2})/, 'dim'],
  // a table's rule under its header
  [/^-+( +-+)*$/, 'dim'],
];

export function paintLine(line: string, rules: readonly Rule[]): string {
  for (const [pattern, style] of rules) {
    const m = line.match(pattern);
    if (!m) continue;
    const format = typeof style === 'function' ? style(m) : style;
    return paint(format, m[0]) + line.slice(m[0].length);
  }
  return line;
}

function painted(sink: TextSink, rules: readonly Rule[]): TextSink {
  return {
    write: (chunk: string) =>
      sink.write(
        chunk
          .split('\n')
          .map((line) => paintLine(line, rules))
          .join('\n'),
      ),
  };
}

const COLOURED = Symbol('coloured');

/** The same io, its streams painting their labels when each one wants colour. */
export function withColour(io: CliIo): CliIo {
  if ((io as { [COLOURED]?: true })[COLOURED]) return io;
  const out = colourWanted(io.stdoutIsTTY, io.env);
  const err = colourWanted(io.isTTY, io.env);
  return {
    ...io,
    stdout: out ? painted(io.stdout, STDOUT) : io.stdout,
    stderr: err ? painted(io.stderr, STDERR) : io.stderr,
    [COLOURED]: true,
  } as CliIo;
}
