// The ancestry graph saved on disk between processes: the file format on its own, then GitRepository
// with a `cacheDir` over real repositories, every answer checked against `git merge-base --is-ancestor`.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AncestryIndex, GitRepository } from '../../../src/git';
import { CommitGraph, reachSetHas } from '../../../src/git/commitGraph';
import { decodeGraph, encodeGraph } from '../../../src/git/graphCache';
import { TempRepo } from './gitFixture';

const sha = (n: number): string => n.toString(16).padStart(40, '0');
const lines = (...rows: number[][]): Buffer => Buffer.from(rows.map((r) => r.map(sha).join(' ')).join('\n') + '\n');

function sampleGraph(): CommitGraph {
  const graph = new CommitGraph();
  // 5 = merge(4, 3); 4 → 2; 3 → 2; 2 → 1.
  graph.addParentLines(lines([5, 4, 3], [4, 2], [3, 2], [2, 1], [1]), new Set());
  return graph;
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function graphFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.graph')) : [];
}

/** Every (commit, tip) answer of `repository` equals git's own. */
async function assertMatchesGit(repository: GitRepository, repo: TempRepo, commits: readonly string[], tips: readonly string[]): Promise<void> {
  for (const commit of commits) {
    const answers = await repository.containsAll(commit, tips);
    tips.forEach((tip, i) => assert.equal(answers[i], repo.mergeBaseIsAncestor(commit, tip), `${commit} in ${tip}`));
  }
}

describe('graph cache file format', () => {
  it('reads back the graph it wrote: same commits, same parents, same tips', () => {
    const graph = sampleGraph();
    const bytes = encodeGraph({ graph, tips: [sha(5), sha(3), sha(99)] });
    assert.ok(bytes);
    const saved = decodeGraph(bytes, 1000);
    assert.ok(saved);
    assert.deepEqual(saved.tips, [sha(5), sha(3)], 'a tip that is not in the graph is not saved');
    assert.equal(saved.graph.size, 5);
    for (const n of [1, 2, 3, 4, 5]) assert.equal(saved.graph.indexOf(sha(n)), graph.indexOf(sha(n)));
    const at = (n: number): number => saved.graph.indexOf(sha(n)) as number;
    const fromThree = saved.graph.reachFrom(at(3));
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => reachSetHas(fromThree, at(n))), [true, true, true, false, false]);
    // It keeps growing like a graph loaded from git.
    assert.equal(saved.graph.addParentLines(lines([6, 5]), new Set()), 1);
    assert.ok(reachSetHas(saved.graph.reachFrom(at(6)), at(1)));
  });

  it('ignores every truncation, every flipped byte, another version and a graph over the bound', () => {
    const bytes = encodeGraph({ graph: sampleGraph(), tips: [sha(5)] });
    assert.ok(bytes);
    for (let length = 0; length < bytes.length; length++) assert.equal(decodeGraph(bytes.subarray(0, length), 1000), undefined, `cut at ${length}`);
    for (let i = 0; i < bytes.length; i++) {
      const flipped: Buffer = Buffer.from(bytes);
      flipped[i] = (flipped[i] ?? 0) ^ 0x10;
      assert.equal(decodeGraph(flipped, 1000), undefined, `byte ${i} flipped`);
    }
    const otherVersion = Buffer.from(bytes);
    otherVersion.writeUInt32LE(2, 8);
    assert.equal(decodeGraph(otherVersion, 1000), undefined);
    assert.equal(decodeGraph(bytes, 4), undefined, 'more commits than this index may hold');
    assert.equal(decodeGraph(Buffer.concat([bytes, Buffer.from([0])]), 1000), undefined, 'trailing bytes');
  });

  it('refuses arrays that describe no graph, even when they are well-formed', () => {
    const { width, shaBytes, parentStart, parentIndices } = sampleGraph().toArrays();
    const copy = () => ({ width, shaBytes: Uint8Array.from(shaBytes), parentStart: Int32Array.from(parentStart), parentIndices: Int32Array.from(parentIndices) });
    assert.ok(CommitGraph.fromArrays(copy()));
    const outOfRange = copy();
    outOfRange.parentIndices[0] = 5;
    assert.equal(CommitGraph.fromArrays(outOfRange), undefined, 'parent index out of range');
    const backwards = copy();
    backwards.parentStart[2] = 0;
    assert.equal(CommitGraph.fromArrays(backwards), undefined, 'offsets go backwards');
    const duplicate = copy();
    duplicate.shaBytes.copyWithin(width, 0, width);
    assert.equal(CommitGraph.fromArrays(duplicate), undefined, 'a sha listed twice');
    assert.equal(CommitGraph.fromArrays({ ...copy(), width: 16 }), undefined);
  });

  it('writes nothing for an empty graph', () => {
    assert.equal(encodeGraph({ graph: new CommitGraph(), tips: [] }), undefined);
  });
});

describe('GitRepository with an ancestry cache dir', () => {
  let repo: TempRepo;
  let cacheDir: string;
  let gitDirBefore: Map<string, string>;
  let commits: string[];
  let tips: string[];

  before(() => {
    repo = TempRepo.random(300, 7);
    commits = repo.allCommits();
    // Spread over the history (rev-list order): recent tips and old ones, on several branches.
    tips = [0, 0.02, 0.15, 0.3, 0.5, 0.8].map((f) => commits[Math.floor(f * commits.length)] as string);
    cacheDir = path.join(tempDir('flightdeck-graph-cache-'), 'nested', 'ancestry');
    gitDirBefore = repo.gitDirSnapshot();
  });
  after(() => {
    repo.remove();
    fs.rmSync(path.dirname(path.dirname(cacheDir)), { recursive: true, force: true });
  });

  it('saves the graph after the first walk, and a new repository object answers from it without walking', async () => {
    const first = await GitRepository.open(repo.dir, { cacheDir });
    await first.prepare(tips);
    await first.cacheWritten();
    assert.equal(first.cacheStats().historyWalks, 1);
    assert.equal(first.cacheStats().graphLoadedFromDisk, false);
    assert.equal(graphFiles(cacheDir).length, 1, 'one file for the repository, the directory made on the way');

    const second = await GitRepository.open(repo.dir, { cacheDir });
    await assertMatchesGit(second, repo, commits.filter((_, i) => i % 3 === 0), tips);
    const stats = second.cacheStats();
    assert.equal(stats.graphLoadedFromDisk, true);
    assert.equal(stats.historyWalks, 0, 'no git rev-list at all');
    assert.equal(stats.graphCommits, first.cacheStats().graphCommits);
  });

  it('wrote nothing inside the repository\'s .git', () => {
    assert.deepEqual(repo.gitDirSnapshot(), gitDirBefore);
  });

  it('walks only the new commits behind a new tip, and saves them for the next process', async () => {
    const cached = await GitRepository.open(repo.dir, { cacheDir });
    await cached.prepare(tips);
    const cachedCommits = cached.cacheStats().graphCommits;
    repo.checkout('b3');
    const base = repo.git('rev-parse', 'HEAD');
    const added = [repo.commit('new one'), repo.commit('new two')];
    const newTip = added[1] as string;
    // What git lists behind the new tip and not behind the saved ones: all a walk from the cache needs.
    const unseen = Number(repo.git('rev-list', '--count', newTip, '--not', ...tips));

    const third = await GitRepository.open(repo.dir, { cacheDir });
    const withNew = [...tips, newTip];
    await assertMatchesGit(third, repo, [...added, base, ...repo.allCommits().filter((_, i) => i % 7 === 0)], withNew);
    const stats = third.cacheStats();
    assert.equal(stats.graphLoadedFromDisk, true);
    assert.equal(stats.historyWalks, 1);
    assert.equal(stats.graphCommits, cachedCommits + unseen, 'only the unseen commits were walked');
    assert.ok(unseen >= added.length);
    await third.cacheWritten();

    const fourth = await GitRepository.open(repo.dir, { cacheDir });
    await assertMatchesGit(fourth, repo, added, withNew);
    assert.equal(fourth.cacheStats().historyWalks, 0, 'the new tip came from disk too');
  });

  it('ignores a corrupt or truncated cache file, answers from git, and replaces the file', async () => {
    const [name] = graphFiles(cacheDir);
    assert.ok(name);
    const file = path.join(cacheDir, name);
    const good = fs.readFileSync(file);
    for (const damaged of [good.subarray(0, good.length - 7), Buffer.from('not a graph at all'), flipByte(good, Math.floor(good.length / 2))]) {
      fs.writeFileSync(file, damaged);
      const errors: unknown[] = [];
      const repository = await GitRepository.open(repo.dir, { cacheDir, onCacheError: (error) => errors.push(error) });
      await repository.prepare(tips);
      await assertMatchesGit(repository, repo, commits.filter((_, i) => i % 11 === 0), tips);
      assert.equal(repository.cacheStats().graphLoadedFromDisk, false);
      assert.equal(repository.cacheStats().historyWalks, 1);
      assert.match(String(errors[0]), /not a valid ancestry cache/);
      await repository.cacheWritten();
      assert.notDeepEqual(fs.readFileSync(file), damaged, 'the walk wrote a good file over it');
      assert.equal((await loadedFromDiskAfterPrepare(repo.dir, cacheDir, tips)), true);
    }
  });

  it('drops a saved graph that leaves no room for a new tip, rather than asking git pair by pair', async () => {
    const heads = repo.git('for-each-ref', '--format=%(objectname)', 'refs/heads').split('\n');
    const sizes = heads.map((head) => Number(repo.git('rev-list', '--count', head)));
    const biggest = heads[sizes.indexOf(Math.max(...sizes))] as string;
    const other = heads.find((head) => !repo.mergeBaseIsAncestor(head, biggest));
    assert.ok(other, 'a branch head outside the biggest one');
    const dir = tempDir('flightdeck-full-cache-');
    try {
      const first = await GitRepository.open(repo.dir, { cacheDir: dir });
      await first.prepare([biggest]);
      await first.cacheWritten();
      const saved = first.cacheStats().graphCommits;
      const bounded = await GitRepository.open(repo.dir, { cacheDir: dir, maxGraphCommits: saved });
      await assertMatchesGit(bounded, repo, commits.filter((_, i) => i % 5 === 0), [other]);
      const stats = bounded.cacheStats();
      assert.equal(stats.graphLoadedFromDisk, false, 'the full saved graph was dropped');
      assert.equal(stats.tipsBeyondBound, 0, 'the new tip fit once the saved graph was gone');
      assert.equal(stats.historyWalks, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shares one file between worktrees of a repository', async () => {
    const worktree = path.join(tempDir('flightdeck-worktree-'), 'wt');
    repo.git('worktree', 'add', '-q', '--detach', worktree, commits[10] as string);
    try {
      assert.equal(await loadedFromDiskAfterPrepare(worktree, cacheDir, tips), true);
      assert.equal(graphFiles(cacheDir).length, 1);
    } finally {
      repo.git('worktree', 'remove', '--force', worktree);
      fs.rmSync(path.dirname(worktree), { recursive: true, force: true });
    }
  });

  it('keeps answering when the cache dir cannot be written, and says why', async () => {
    const notADir = path.join(tempDir('flightdeck-not-a-dir-'), 'file');
    fs.writeFileSync(notADir, 'in the way\n');
    const errors: unknown[] = [];
    const repository = await GitRepository.open(repo.dir, { cacheDir: notADir, onCacheError: (error) => errors.push(error) });
    await assertMatchesGit(repository, repo, commits.slice(0, 20), tips);
    await repository.cacheWritten();
    assert.ok(errors.length > 0);
    fs.rmSync(path.dirname(notADir), { recursive: true, force: true });
  });

  it('keeps at most 16 cache files, the least recently used going first', async () => {
    const crowded = tempDir('flightdeck-crowded-');
    try {
      const old = new Date(Date.now() - 86_400_000);
      for (let i = 0; i < 20; i++) {
        const file = path.join(crowded, `${createHash('sha256').update(String(i)).digest('hex')}.graph`);
        fs.writeFileSync(file, 'old');
        fs.utimesSync(file, old, old);
      }
      const repository = await GitRepository.open(repo.dir, { cacheDir: crowded });
      await repository.prepare(tips);
      await repository.cacheWritten();
      const left = graphFiles(crowded);
      assert.equal(left.length, 16);
      assert.equal(await loadedFromDiskAfterPrepare(repo.dir, crowded, tips), true, 'the new file was kept');
    } finally {
      fs.rmSync(crowded, { recursive: true, force: true });
    }
  });

});

describe('the ancestry cache dir with SHA-256, and without GitRepository', () => {
  it('saves and reads back a SHA-256 repository\'s graph; a bare AncestryIndex finds the same file', async () => {
    const repo = TempRepo.create('flightdeck-sha256-cache-', ['--object-format=sha256']);
    const cacheDir = tempDir('flightdeck-sha256-cache-dir-');
    try {
      const { base, side, head } = repo.fork();
      const first = await GitRepository.open(repo.dir, { cacheDir });
      await first.prepare([head, side]);
      await first.cacheWritten();
      const index = new AncestryIndex(repo.dir, { cacheDir });
      assert.deepEqual(await index.containsAll(base, [head, side]), [true, true]);
      assert.deepEqual(await index.containsAll(side, [head, side]), [false, true]);
      assert.equal(index.cacheStats().graphLoadedFromDisk, true);
      assert.equal(index.cacheStats().historyWalks, 0);
      assert.equal(graphFiles(cacheDir).length, 1);
    } finally {
      repo.remove();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('GitRepository with an ancestry cache dir in a shallow clone', () => {
  it('neither writes a cache file nor reads one, and stays never wrong', async () => {
    const full = TempRepo.random(120, 3);
    const shallow = full.clone('--depth', '4', '--no-single-branch');
    const cacheDir = tempDir('flightdeck-shallow-cache-');
    try {
      const snapshot = shallow.gitDirSnapshot();
      const local = shallow.allCommits();
      const tips = local.slice(0, 6);
      const repository = await GitRepository.open(shallow.dir, { cacheDir });
      await repository.prepare(tips);
      await repository.cacheWritten();
      assert.deepEqual(fs.readdirSync(cacheDir), [], 'nothing saved for a shallow clone');

      // A complete graph placed under the clone's name is not read either: the clone's answers must come
      // from what it has (a deepen later would otherwise be hidden).
      const fullRepository = await GitRepository.open(full.dir, { cacheDir });
      await fullRepository.prepare(tips);
      await fullRepository.cacheWritten();
      const [fullFile] = graphFiles(cacheDir);
      assert.ok(fullFile);
      const cloneKey = createHash('sha256').update(fs.realpathSync(path.join(shallow.dir, '.git'))).digest('hex');
      fs.copyFileSync(path.join(cacheDir, fullFile), path.join(cacheDir, `${cloneKey}.graph`));
      const again = await GitRepository.open(shallow.dir, { cacheDir });
      for (const commit of full.allCommits().slice(0, 40)) {
        const answers = await again.containsAll(commit, tips);
        tips.forEach((tip, i) => {
          if (answers[i] !== 'unknown') assert.equal(answers[i], full.mergeBaseIsAncestor(commit, tip));
        });
      }
      assert.equal(again.cacheStats().graphLoadedFromDisk, false);
      assert.deepEqual(shallow.gitDirSnapshot(), snapshot);

      // Deepened, the clone is complete: the same index starts over and now takes the saved graph (which
      // also proves the copy above sat under the clone's name).
      shallow.git('fetch', '-q', '--unshallow');
      for (const commit of full.allCommits().slice(0, 40)) {
        const answers = await again.containsAll(commit, tips);
        tips.forEach((tip, i) => assert.equal(answers[i], full.mergeBaseIsAncestor(commit, tip)));
      }
      assert.equal(again.cacheStats().graphLoadedFromDisk, true);
    } finally {
      full.remove();
      shallow.remove();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

function flipByte(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

async function loadedFromDiskAfterPrepare(dir: string, cacheDir: string, tips: readonly string[]): Promise<boolean> {
  const repository = await GitRepository.open(dir, { cacheDir });
  await repository.prepare(tips);
  return repository.cacheStats().graphLoadedFromDisk && repository.cacheStats().historyWalks === 0;
}
