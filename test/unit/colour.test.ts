import { describe, expect, it } from 'vitest';
import { colourWanted, paint, paintLine, withColour } from '../../cli/colour.ts';
import { captureIo } from '../cli/support.ts';

/* Which stream gets colour, and what in a line is painted (cli/colour.ts). */
describe('colourWanted', () => {
  it('a terminal yes, a pipe no; NO_COLOR (non-empty) no; FORCE_COLOR yes unless 0/false; TERM=dumb no', () => {
    expect(colourWanted(true, {})).toBe(true);
    expect(colourWanted(false, {})).toBe(false);
    expect(colourWanted(undefined, {})).toBe(false);
    expect(colourWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted(true, { NO_COLOR: 'false' })).toBe(false);
    expect(colourWanted(true, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted(false, { FORCE_COLOR: '' })).toBe(true);
    expect(colourWanted(true, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourWanted(true, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colourWanted(false, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colourWanted(true, { TERM: 'dumb' })).toBe(false);
  });
});

describe('paintLine and withColour', () => {
  it('paints the label only', () => {
    expect(paintLine('error: boom', [[/^error:/, 'red']])).toBe(`${paint('red', 'error:')} boom`);
    expect(paintLine('no match', [[/^error:/, 'red']])).toBe('no match');
    expect(paint('red', 'x')).toBe('\u001b[31mx\u001b[39m');
  });

  it('writes through to the original sinks, unchanged without colour', () => {
    const raw = captureIo({});
    const io = withColour(raw);
    io.stderr.write('error: boom\n');
    expect(raw.stderr.text).toBe('error: boom\n');
    const forced = captureIo({ FORCE_COLOR: '1' });
    const fio = withColour(forced);
    fio.stderr.write('error: boom\nwarning: careful\nplain line\n');
    fio.stdout.write('ok    byrobot  fine\nfail  clock   off\nID  NAME\n--  ----\n 1  ok\n');
    expect(forced.stderr.text).toBe(
      `${paint('red', 'error:')} boom\n${paint('yellow', 'warning:')} careful\nplain line\n`,
    );
    expect(forced.stdout.text).toBe(
      `${paint('green', 'ok')}    byrobot  fine\n${paint('red', 'fail')}  clock   off\nID  NAME\n${paint('dim', '--  ----')}\n 1  ok\n`,
    );
    // run() wraps again on `help <command>`: painting twice would nest the codes
    expect(withColour(fio)).toBe(fio);
  });
});
