import { describe, expect, it } from 'vitest';
import { table } from '../../bench/stats.js';

describe("the benchmarks' text tables", () => {
  it('left-aligns the first column, right-aligns the others, two spaces apart, indented, no borders', () => {
    const text = table([
      ['batch', 'COMPLETED (3 succeeded)'],
      ['upload -> first run accepted', '1.2 s'],
      ['x', '10', '20'],
    ]);
    expect(text.split('\n')).toEqual([
      '  batch                         COMPLETED (3 succeeded)',
      '  upload -> first run accepted                    1.2 s',
      '  x                                                  10  20',
    ]);
  });

  it('takes another indent, and keeps a cell with a newline-free long text whole', () => {
    const long = 'a'.repeat(120);
    expect(table([['k', long]], '    ')).toBe(`    k  ${long}`);
  });
});
