import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitGraph, reachSetHas } from '../../../src/git/commitGraph';
import { LruCache } from '../../../src/git/lruCache';

const sha = (n: number): string => n.toString(16).padStart(40, '0');
const lines = (...rows: number[][]): Buffer => Buffer.from(rows.map((r) => r.map(sha).join(' ')).join('\n') + '\n');

describe('CommitGraph', () => {
  it('loads parent lines in any order and answers reachability', () => {
    const graph = new CommitGraph();
    // 4 = merge(3, 2); 3 → 1; 2 → 1; parents listed before and after their children.
    assert.equal(graph.addParentLines(lines([1], [4, 3, 2], [2, 1], [3, 1]), new Set()), 4);
    const at = (n: number): number => graph.indexOf(sha(n)) as number;
    const fromMerge = graph.reachFrom(at(4));
    for (const n of [1, 2, 3, 4]) assert.ok(reachSetHas(fromMerge, at(n)), `4 reaches ${n}`);
    const fromTwo = graph.reachFrom(at(2));
    assert.ok(!reachSetHas(fromTwo, at(3)) && !reachSetHas(fromTwo, at(4)));
    assert.equal(fromMerge.reachesBoundary, false);
  });

  it('skips commits it has, and a later commit is never in an earlier reach set', () => {
    const graph = new CommitGraph();
    graph.addParentLines(lines([2, 1], [1]), new Set());
    const before = graph.reachFrom(graph.indexOf(sha(2)) as number);
    assert.equal(graph.addParentLines(lines([3, 2], [2, 1]), new Set()), 1);
    assert.equal(graph.size, 3);
    assert.ok(!reachSetHas(before, graph.indexOf(sha(3)) as number));
  });

  it('marks shallow boundaries and missing parents', () => {
    const graph = new CommitGraph();
    graph.addParentLines(lines([3, 2], [2]), new Set([sha(2)]));
    assert.equal(graph.reachFrom(graph.indexOf(sha(3)) as number).reachesBoundary, true);
    const other = new CommitGraph();
    other.addParentLines(lines([5, 9]), new Set());
    assert.equal(other.reachFrom(other.indexOf(sha(5)) as number).reachesBoundary, true, 'parent 9 is not here');
  });

  it('finds upper-case names, rejects what is not a full sha, and grows past its first table', () => {
    const graph = new CommitGraph();
    const rows = Array.from({ length: 5000 }, (_, i) => (i === 0 ? [1] : [i + 1, i]));
    graph.addParentLines(lines(...rows), new Set());
    assert.equal(graph.size, 5000);
    assert.equal(graph.indexOf(sha(0xabc).toUpperCase()), graph.indexOf(sha(0xabc)));
    assert.equal(graph.indexOf('xyz'), undefined);
    assert.equal(graph.indexOf(sha(0xabc).slice(1) + 'g'), undefined);
    assert.equal(graph.indexOf(sha(99_999)), undefined);
    assert.ok(reachSetHas(graph.reachFrom(graph.indexOf(sha(5000)) as number), graph.indexOf(sha(1)) as number));
    assert.ok(graph.bytes < 5000 * 64, `compact: ${graph.bytes} bytes`);
  });
});

describe('LruCache', () => {
  it('forgets the least recently used entry beyond its bound', () => {
    const evicted: string[] = [];
    const cache = new LruCache<string, number>(2, (key) => evicted.push(key));
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the most recent
    cache.set('c', 3);
    assert.deepEqual(evicted, ['b']);
    assert.deepEqual([...cache.keys()], ['a', 'c']);
    assert.equal(cache.size, 2);
    assert.throws(() => new LruCache(0), RangeError);
  });
});
