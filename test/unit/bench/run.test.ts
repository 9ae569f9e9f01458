// `npm run bench` (bench/run.ts): its table comes from the benches' BENCH-RESULT lines, a failed bench
// shows as a FAILED row, and --write-readme replaces exactly what is between the README's markers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseResultLine, RESULT_PREFIX } from '../../../bench/report';
import { BENCHES, markdownTable, README_BEGIN, README_END, replaceBetweenMarkers } from '../../../bench/run';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

void describe('npm run bench', () => {
  void it('lists every bench file of bench/ once, each with an npm script of its name', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const files = fs.readdirSync(path.join(REPO_ROOT, 'bench')).filter((name) => name.endsWith('.bench.ts')).map((name) => `bench/${name}`);
    for (const file of files) assert.ok(BENCHES.some((bench) => bench.file === file), `${file} is not in bench/run.ts's list`);
    for (const bench of BENCHES) {
      if (fs.existsSync(path.join(REPO_ROOT, bench.file))) assert.ok(scripts[`bench:${bench.name}`], `no npm script bench:${bench.name}`);
    }
  });

  void it('reads result lines and makes one table row each, and a FAILED row for a bench that failed', () => {
    const line = `[cli] ${RESULT_PREFIX}${JSON.stringify({ bench: 'cli', what: 'a | b', figure: '1.2×', goal: '≤ 1.5×', met: true })}`;
    const result = parseResultLine(line);
    assert.deepEqual(result, { bench: 'cli', what: 'a | b', figure: '1.2×', goal: '≤ 1.5×', met: true });
    assert.equal(parseResultLine('no result here'), undefined);
    const table = markdownTable([
      { bench: { name: 'cli', file: 'bench/cli.bench.ts' }, results: [result!, { ...result!, goal: '', met: null }], failure: undefined, seconds: 1 },
      { bench: { name: 'engine', file: 'bench/engine.bench.ts' }, results: [], failure: 'exited with 1', seconds: 1 },
    ], 'header');
    assert.deepEqual(table.split('\n').slice(2), [
      '| bench | what | figure | goal | met |',
      '|---|---|---|---|---|',
      '| `bench:cli` | a \\| b | 1.2× | ≤ 1.5× | yes |',
      '| `bench:cli` | a \\| b | 1.2× | — | reported |',
      '| `bench:engine` | the bench itself | **FAILED**: exited with 1 | runs to the end with right answers | **no** |',
    ]);
  });

  void it('rewrites only what is between the README markers, and the README has them', () => {
    const text = `before\n${README_BEGIN}\nold table\n${README_END}\nafter\n`;
    assert.equal(replaceBetweenMarkers(text, 'new table'), `before\n${README_BEGIN}\nnew table\n${README_END}\nafter\n`);
    assert.throws(() => replaceBetweenMarkers('no markers', 'x'), /markers/);
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(README_BEGIN) && readme.includes(README_END), 'README.md has the bench markers');
  });
});
