import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The shell snippets of README.md and docs/*.md, as a reader pastes them (issue 15, point 6).
 *
 * A snippet is a fenced block tagged ```sh, ```bash, ```shell or ```console, at any indentation (a
 * block inside a list item is dedented by its fence's indentation). How it is run:
 * - a block in which some line starts with the prompt `$ ` is a transcript: only the `$ ` lines (and
 *   the lines a trailing `\` continues) are commands; every other line is output the reader does not
 *   type. A ```console block is always read that way;
 * - any other block is pasted whole, comments included.
 *
 * An HTML comment on the line(s) right before the fence says what is special about it:
 *   <!-- snippet: aws -->                 needs an AWS account (cdk deploy, the aws CLI): skipped
 *   <!-- snippet: skip: <reason> -->      skipped, and the reason is listed
 *   <!-- snippet: exit 2 -->              the exit status it is meant to end with (default 0)
 *   <!-- snippet: http 403 -->            the HTTP statuses its curl calls are meant to get, comma
 *                                         separated (default: every one is 2xx)
 * Several are separated by `;`: `<!-- snippet: exit 22; http 403 -->`; a `skip:` reason comes last.
 */

export interface Snippet {
  /** `docs/api.md:86`: the file and the line of the opening fence. */
  where: string;
  /** What is run: the block's text, or a transcript's commands. */
  script: string;
  skip?: string;
  exit: number;
  /** The HTTP statuses allowed (exact codes); undefined: any 2xx. */
  http?: number[];
}

const FENCE = /^(\s*)```(sh|bash|shell|console)\s*$/;
const MARKER = /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/;

/** The markdown files whose snippets are run: README.md, then docs/*.md in name order. */
const snippetFiles = (root: string) => ['README.md', ...globSync('docs/*.md', { cwd: root }).sort()];

/** A marker's words → skip / exit / http; an unknown word is an error, so a typo cannot hide a snippet. */
function readMarker(text: string, where: string): Pick<Snippet, 'skip' | 'exit' | 'http'> {
  const out: Pick<Snippet, 'skip' | 'exit' | 'http'> = { exit: 0 };
  // `skip:` comes last and its reason is the rest of the comment, `;` included.
  const skipAt = text.search(/(^|;)\s*skip:/);
  let words = text;
  if (skipAt >= 0) {
    out.skip = text.slice(text.indexOf('skip:', skipAt) + 5).trim();
    words = text.slice(0, skipAt);
  }
  for (const part of words
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const exit = part.match(/^exit\s+(\d+)$/);
    const http = part.match(/^http\s+(\d{3}(?:\s*,\s*\d{3})*)$/);
    if (part === 'aws') out.skip = 'needs an AWS account';
    else if (exit) out.exit = Number(exit[1]);
    else if (http) out.http = (http[1] ?? '').split(',').map((s) => Number(s.trim()));
    else
      throw new Error(
        `${where}: unknown snippet marker "${part}" (aws | skip: <reason> | exit N | http NNN)`,
      );
  }
  return out;
}

/** A transcript's commands: `$ ` lines and the lines their trailing `\` continues. */
function transcriptCommands(lines: string[]): string {
  const commands: string[] = [];
  let continuing = false;
  for (const line of lines) {
    if (!continuing && !line.startsWith('$ ')) continue;
    const command: string = continuing ? line : line.slice(2);
    commands.push(command);
    continuing = command.endsWith('\\');
  }
  return commands.join('\n');
}

export function parseSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const at = (n: number) => lines[n] ?? '';
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = at(i).match(FENCE);
    if (!open) {
      // Skip over any other fenced block whole, so a ```sh inside a ```markdown example is not run.
      if (/^\s*```\S*\s*$/.test(at(i))) {
        const close = lines.findIndex((l, j) => j > i && l.trim() === '```');
        if (close > i) i = close;
      }
      continue;
    }
    const indent = (open[1] ?? '').length;
    const tag = open[2] ?? 'sh';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && at(j).trim() !== '```'; j++) body.push(at(j).slice(indent));
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: the ${tag} block is never closed`);
    const where = `${file}:${i + 1}`;
    // The marker: the nearest non-blank line above the fence, when it is a snippet comment.
    let k = i - 1;
    while (k >= 0 && at(k).trim() === '') k--;
    const marker = k >= 0 ? at(k).match(MARKER) : null;
    const transcript = tag === 'console' || body.some((l) => l.startsWith('$ '));
    snippets.push({
      where,
      script: transcript ? transcriptCommands(body) : body.join('\n'),
      ...readMarker(marker?.[1] ?? '', where),
    });
    i = j;
  }
  return snippets;
}

export function readSnippets(root: string): Snippet[] {
  return snippetFiles(root).flatMap((file) => parseSnippets(readFileSync(join(root, file), 'utf8'), file));
}
