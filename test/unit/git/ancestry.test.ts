import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GitRepository } from '../../../src/git';
import { TempRepo } from './gitFixture';

/**
 * main:    A ─ B ─ C ─────── M1 ─ D ───── M2 ─ E
 *               ╲           ╱        ╱
 * feature:       F1 ─ F2 ──╯        ╱         (merged soon)
 * late:    A ─ L1 ─ L2 ────────────╯          (branched first, merged last, L1 dated in the future)
 * hotfix:  C ─ H1                             (never merged; cherry-picked as H1' onto release)
 * release: D ─ H1'                            (the cherry-picked copy: a different commit)
 * exp:     C ─ X1 ─ X2                        (unmerged)
 * D is dated before A: dates must never decide.
 */
interface History {
  repo: TempRepo;
  c: Record<string, string>;
}

function buildHistory(): History {
  const repo = TempRepo.create();
  const c: Record<string, string> = {};
  const t = 1_760_000_000;
  c.A = repo.commit('A', { date: t });
  repo.checkout('late', true);
  c.L1 = repo.commit('L1', { date: t + 10 * 365 * 86_400 });
  c.L2 = repo.commit('L2', { date: t + 5_000 });
  repo.checkout('main');
  c.B = repo.commit('B', { date: t + 100 });
  repo.checkout('feature', true);
  c.F1 = repo.commit('F1', { date: t + 200 });
  c.F2 = repo.commit('F2', { date: t + 300 });
  repo.checkout('main');
  c.C = repo.commit('C', { date: t + 400 });
  repo.checkout('hotfix', true);
  c.H1 = repo.commit('H1', { date: t + 450, file: 'fix.txt', content: 'fixed\n' });
  repo.checkout('main');
  repo.checkout('exp', true);
  c.X1 = repo.commit('X1', { date: t + 460 });
  c.X2 = repo.commit('X2', { date: t + 470 });
  repo.checkout('main');
  c.M1 = repo.merge('feature', 'M1', t + 500);
  c.D = repo.commit('D', { date: t - 86_400 });
  repo.checkout('release', true);
  repo.git('cherry-pick', c.H1);
  c.H1copy = repo.git('rev-parse', 'HEAD');
  repo.checkout('main');
  c.M2 = repo.merge('late', 'M2', t + 600);
  c.E = repo.commit('E', { date: t + 700 });
  repo.git('tag', 'v1.0', c.M1);
  return { repo, c };
}

describe('GitRepository ancestry on a real repository', () => {
  let history: History;
  let repository: GitRepository;
  let before_: Map<string, string>;

  before(async () => {
    history = buildHistory();
    before_ = history.repo.gitDirSnapshot();
    repository = await GitRepository.open(history.repo.dir);
  });
  after(() => history.repo.remove());

  it('answers the cases dates and branch order would get wrong', async () => {
    const { c } = history;
    const ask = (commit: string, tip: string) => repository.isAncestor(commit as string, tip as string);
    assert.equal(await ask(c.F1!, c.M1!), true, 'a merged feature commit is in the merge');
    assert.equal(await ask(c.F1!, c.C!), false, 'not in what came before the merge');
    assert.equal(await ask(c.L1!, c.M2!), true, 'a branch merged late, dated in the future, is in the merge');
    assert.equal(await ask(c.L1!, c.D!), false, 'not before it was merged, though D is newer in the log');
    assert.equal(await ask(c.A!, c.D!), true, 'D is dated before A and still contains it');
    assert.equal(await ask(c.H1!, c.H1copy!), false, 'the cherry-picked copy is another commit');
    assert.equal(await ask(c.H1copy!, c.H1copy!), true, 'a commit contains itself');
    assert.equal(await ask(c.X2!, c.E!), false, 'an unmerged branch is nowhere on main');
    assert.equal(await ask(c.C!, c.X2!), true);
  });

  it('matches git merge-base --is-ancestor for every (commit, tip) pair, in batches', async () => {
    const { repo } = history;
    const commits = repo.allCommits();
    const tips = [...commits].reverse();
    for (const commit of commits) {
      const answers = await repository.containsAll(commit, tips);
      tips.forEach((tip, i) => {
        assert.equal(answers[i], repo.mergeBaseIsAncestor(commit, tip), `${commit} in ${tip}`);
      });
    }
  });

  it('answers concurrent questions the same way', async () => {
    const { repo, c } = history;
    const fresh = await GitRepository.open(repo.dir);
    const tips = [c.E!, c.D!, c.H1copy!, c.X2!];
    const commits = repo.allCommits();
    const all = await Promise.all(commits.map((commit) => fresh.containsAll(commit, tips)));
    all.forEach((answers, i) => {
      tips.forEach((tip, j) => assert.equal(answers[j], repo.mergeBaseIsAncestor(commits[i]!, tip)));
    });
  });

  it('says unknown for a deployed commit this clone does not have, and for bad data', async () => {
    const { c } = history;
    const notHere = 'ab'.repeat(20);
    assert.deepEqual(await repository.containsAll(c.A!, [notHere, c.E!, 'not-a-sha', '--all']), ['unknown', true, 'unknown', 'unknown']);
    // A commit that is nowhere here is not in a tip whose whole history is here.
    assert.equal(await repository.isAncestor(notHere, c.E!), false);
    await assert.rejects(repository.containsAll('HEAD', [c.E!]), /full commit sha/);
  });

  it('stays correct with tiny bounds: graph overflow falls back to git, bitsets are evicted', async () => {
    const { repo } = history;
    const tiny = await GitRepository.open(repo.dir, { maxGraphCommits: 4, maxTipSets: 1, maxCachedAnswers: 3 });
    const commits = repo.allCommits();
    for (const commit of commits.slice(0, 6)) {
      const answers = await tiny.containsAll(commit, commits);
      commits.forEach((tip, i) => assert.equal(answers[i], repo.mergeBaseIsAncestor(commit, tip)));
    }
    const stats = tiny.cacheStats();
    assert.ok(stats.graphCommits <= 4, `graph bound kept: ${stats.graphCommits}`);
    assert.ok(stats.tipSets <= 1);
    assert.ok(stats.cachedAnswers <= 3);
    assert.ok(stats.tipsBeyondBound > 0, 'some tips were too big for the graph');
  });

  it('reports bounded cache figures', async () => {
    const stats = repository.cacheStats();
    assert.ok(stats.graphCommits > 0 && stats.graphCommits <= history.repo.allCommits().length);
    assert.ok(stats.tipSets <= 64);
    assert.ok(stats.approximateBytes > 0);
  });

  it('left .git byte-for-byte unchanged', () => {
    assert.deepEqual(history.repo.gitDirSnapshot(), before_);
  });
});

describe('GitRepository ancestry in a shallow clone', () => {
  let history: History;
  let shallow: TempRepo;
  let repository: GitRepository;

  before(async () => {
    history = buildHistory();
    shallow = history.repo.clone('--depth', '2', '--no-single-branch');
    repository = await GitRepository.open(shallow.dir);
  });
  after(() => {
    history.repo.remove();
    shallow.remove();
  });

  it('knows it is shallow', async () => {
    assert.equal(await repository.isShallow(), true);
    assert.equal(await (await GitRepository.open(history.repo.dir)).isShallow(), false);
  });

  it('is never wrong: every definite answer matches the full history, the rest is unknown', async () => {
    const local = new Set(shallow.allCommits());
    const tips = history.repo.allCommits().filter((sha) => local.has(sha));
    const counts = { true: 0, false: 0, unknown: 0 };
    for (const commit of history.repo.allCommits()) {
      const answers = await repository.containsAll(commit, tips);
      tips.forEach((tip, i) => {
        const answer = answers[i];
        counts[String(answer) as keyof typeof counts]++;
        if (answer !== 'unknown') assert.equal(answer, history.repo.mergeBaseIsAncestor(commit, tip), `${commit} in ${tip}`);
      });
    }
    assert.ok(counts.true > 0 && counts.false > 0 && counts.unknown > 0, JSON.stringify(counts));
  });

  it('answers what the cut history cannot hide', async () => {
    const { c } = history;
    assert.equal(await repository.isAncestor(c.M2!, c.E!), true, 'within the fetched depth');
    assert.equal(await repository.isAncestor(c.E!, c.M2!), false, 'a newer commit cannot be in an older tip');
    assert.equal(await repository.isAncestor(c.A!, c.E!), 'unknown', 'beyond the shallow boundary');
    assert.equal(await repository.isAncestor(c.X1!, c.E!), 'unknown', 'present here, but E\'s cut history might hold it');
  });

  it('learns the full answers once the clone is deepened', async () => {
    const { c } = history;
    shallow.git('fetch', '-q', '--unshallow');
    assert.equal(await repository.isShallow(), false);
    assert.equal(await repository.isAncestor(c.A!, c.E!), true);
    assert.equal(await repository.isAncestor(c.X1!, c.E!), false);
  });
});

describe('GitRepository ancestry in a SHA-256 repository', () => {
  it('answers with 64-hex commit names as it does with SHA-1', async () => {
    const repo = TempRepo.create('flightdeck-sha256-', ['--object-format=sha256']);
    try {
      const { base, side, head } = repo.fork();
      assert.equal(head.length, 64);
      const repository = await GitRepository.open(repo.dir);
      assert.deepEqual(await repository.containsAll(base, [head, side]), [true, true]);
      assert.deepEqual(await repository.containsAll(side, [head, side]), [false, true]);
      assert.equal(await repository.resolve(head.slice(0, 10)), head);
    } finally {
      repo.remove();
    }
  });
});

describe('GitRepository ancestry on random histories', () => {
  for (const seed of [1, 2, 3]) {
    it(`matches git merge-base on every answer, and a shallow clone is never wrong (seed ${seed})`, async () => {
      const repo = TempRepo.random(250, seed);
      const shallow = repo.clone('--depth', '5', '--no-single-branch');
      try {
        const commits = repo.allCommits();
        const pick = (i: number): string => commits[(i * 7919 + seed) % commits.length] as string;
        const tips = Array.from({ length: 12 }, (_, i) => pick(i * 13 + 5));
        const full = await GitRepository.open(repo.dir, { maxTipSets: 5 });
        const cut = await GitRepository.open(shallow.dir);
        const local = new Set(shallow.allCommits());
        const localTips = tips.filter((tip) => local.has(tip));
        let definite = 0;
        for (let q = 0; q < 25; q++) {
          const commit = pick(q * 31 + 1);
          const answers = await full.containsAll(commit, tips);
          const cutAnswers = await cut.containsAll(commit, localTips);
          tips.forEach((tip, i) => assert.equal(answers[i], repo.mergeBaseIsAncestor(commit, tip), `${commit} in ${tip}`));
          localTips.forEach((tip, i) => {
            if (cutAnswers[i] === 'unknown') return;
            definite++;
            assert.equal(cutAnswers[i], repo.mergeBaseIsAncestor(commit, tip), `shallow: ${commit} in ${tip}`);
          });
        }
        assert.ok(definite > 0, 'the shallow clone answered some questions');
      } finally {
        repo.remove();
        shallow.remove();
      }
    });
  }
});
