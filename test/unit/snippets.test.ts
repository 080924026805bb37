import { describe, expect, it } from 'vitest';
import { parseSnippets } from '../support/snippets.ts';

/* How test/e2e/doc-snippets.test.ts reads the docs' shell snippets: which blocks, markers, prompts. */
describe('parseSnippets', () => {
  it('takes sh, bash, shell and console blocks, not json or plain ones', () => {
    const md = [
      '```json',
      '{"a": 1}',
      '```',
      '```sh',
      'echo one',
      '```',
      '```',
      '$ echo not-a-snippet',
      '```',
      '```bash',
      'echo two',
      '```',
    ].join('\n');
    const s = parseSnippets(md, 'x.md');
    expect(s.map((x) => [x.where, x.script])).toEqual([
      ['x.md:4', 'echo one'],
      ['x.md:10', 'echo two'],
    ]);
    expect([s[0]?.exit, s[0]?.skip, s[0]?.http]).toEqual([0, undefined, undefined]);
  });

  it('runs only the $ lines of a transcript, with the lines a backslash continues', () => {
    const md = ['```console', '$ curl -s a \\', '    -d b', '{"out": 1}', '$ echo c', 'c', '```'].join('\n');
    expect(parseSnippets(md, 'x.md')[0]?.script).toBe('curl -s a \\\n    -d b\necho c');
    const sh = ['```sh', '$ echo a', 'a', '```'].join('\n');
    expect(parseSnippets(sh, 'x.md')[0]?.script).toBe('echo a');
  });

  it('dedents a block inside a list item by its fence', () => {
    const md = ['1. Do:', '   ```sh', '   echo a \\', '     b', '   ```'].join('\n');
    expect(parseSnippets(md, 'x.md')[0]?.script).toBe('echo a \\\n  b');
  });

  it('reads the marker on the line before the fence (blank lines between allowed)', () => {
    const md = [
      '<!-- snippet: aws -->',
      '```sh',
      'aws s3 ls',
      '```',
      '<!-- snippet: exit 2; http 403, 404 -->',
      '',
      '```sh',
      'false',
      '```',
      '<!-- snippet: http 401; skip: slow; and loud -->',
      '```sh',
      'x',
      '```',
    ].join('\n');
    const [aws, exit, skip] = parseSnippets(md, 'x.md');
    expect(aws?.skip).toBe('needs an AWS account');
    expect([exit?.exit, exit?.http, exit?.skip]).toEqual([2, [403, 404], undefined]);
    expect(skip).toMatchObject({ skip: 'slow; and loud', http: [401] });
  });

  it('refuses an unknown marker and an unclosed block, naming where', () => {
    expect(() => parseSnippets('<!-- snippet: asw -->\n```sh\nx\n```', 'x.md')).toThrow(
      'x.md:2: unknown snippet marker "asw"',
    );
    expect(() => parseSnippets('text\n```sh\nx\n', 'x.md')).toThrow('x.md:2: the sh block is never closed');
  });
});
