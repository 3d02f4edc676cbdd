import { setBounded } from './bounded-map.js';

describe('setBounded', () => {
  it('keeps at most max entries, dropping the oldest set, and moves a key set again to the newest place', () => {
    const map = new Map<string, number>();
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) setBounded(map, k, v, 3);
    setBounded(map, 'a', 10, 3);
    setBounded(map, 'd', 4, 3);
    expect([...map]).toEqual([['c', 3], ['a', 10], ['d', 4]]);
  });
});
