import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitNotFoundError, GitRepository, NotAGitRepositoryError, UNCOMMITTED } from '../../../src/git';
import { TempRepo } from './gitFixture';

describe('GitRepository reads', () => {
  let repo: TempRepo;
  let repository: GitRepository;
  let snapshot: Map<string, string>;
  const shas: string[] = [];

  before(async () => {
    repo = TempRepo.create();
    shas.push(repo.commit('one', { file: 'src/app.ts', content: 'line 1\nline 2\nline 3\n' }));
    shas.push(repo.commit('two', { file: 'src/app.ts', content: 'line 1\nline 2 changed\nline 3\n' }));
    shas.push(repo.commit('three', { file: 'README.md' }));
    repo.git('tag', 'v1.0.0', shas[0]!);
    repo.git('tag', '-a', '-m', 'annotated', 'v1.1.0', shas[1]!);
    shas.push(repo.commit('four: the subject', { file: 'notes.txt' }));
    shas.push(repo.commit('five', { file: 'more.txt' }));
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/payments.git');
    repo.git('remote', 'add', 'mirror', 'https://gitlab.example.com/group/payments');
    // Uncommitted work in the tree: an edited line and an untracked file.
    fs.writeFileSync(path.join(repo.dir, 'src/app.ts'), 'line 1\nline 2 changed\nline 3 edited\n');
    fs.writeFileSync(path.join(repo.dir, 'untracked.txt'), 'new\n');
    fs.mkdirSync(path.join(repo.dir, 'build'));
    fs.writeFileSync(path.join(repo.dir, 'build/out.log'), 'ignored\n');
    fs.writeFileSync(path.join(repo.dir, '.git/info/exclude'), 'build/\n');
    snapshot = repo.gitDirSnapshot();
    repository = await GitRepository.open(repo.dir);
  });
  after(() => repo.remove());

  it('resolves full and short shas, tags, HEAD~n and branches to full shas', async () => {
    const head = shas[4]!;
    assert.equal(await repository.resolve(head), head);
    assert.equal(await repository.resolve(head.toUpperCase()), head);
    assert.equal(await repository.resolve(head.slice(0, 7)), head);
    assert.equal(await repository.resolve('HEAD~3'), shas[1]);
    assert.equal(await repository.resolve('v1.0.0'), shas[0]);
    assert.equal(await repository.resolve('v1.1.0'), shas[1], 'an annotated tag peels to its commit');
    assert.equal(await repository.resolve('main'), head);
    assert.equal(await repository.resolve(` ${head.slice(0, 10)}\n`), head);
  });

  it('returns undefined for what is not a commit here', async () => {
    assert.equal(await repository.resolve('no-such-branch'), undefined);
    assert.equal(await repository.resolve('ab'.repeat(20)), undefined);
    assert.equal(await repository.resolve('HEAD~99'), undefined);
    assert.equal(await repository.resolve('HEAD^{tree}'), undefined);
    assert.equal(await repository.resolve('--all'), undefined, 'never passed to git as an option');
    assert.equal(await repository.resolve(''), undefined);
  });

  it('reads commit subject and author', async () => {
    const info = await repository.commitInfo(shas[3]!);
    assert.equal(info?.sha, shas[3]);
    assert.equal(info?.subject, 'four: the subject');
    assert.equal(info?.authorName, 'Ada Author');
    assert.equal(info?.authorEmail, 'ada@example.com');
    assert.match(info?.authorDate ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(await repository.commitInfo('cd'.repeat(20)), undefined);
  });

  it('lists and counts the commits between two revisions', async () => {
    const between = await repository.commitsBetween(shas[1]!, shas[4]!);
    assert.deepEqual(between.map((c) => c.sha), [shas[4], shas[3], shas[2]]);
    assert.equal(between[1]?.subject, 'four: the subject');
    assert.equal(await repository.countBetween(shas[1]!, shas[4]!), 3);
    assert.equal(await repository.countBetween(shas[4]!, shas[1]!), 0);
    assert.equal(await repository.countBetween(null, 'v1.1.0'), 2);
    assert.equal((await repository.commitsBetween(null, 'HEAD', 2)).length, 2);
    await assert.rejects(repository.commitsBetween('--output=x', 'HEAD'), /Not a revision/);
  });

  it('blames committed lines to their commit and edited lines as uncommitted', async () => {
    assert.equal(await repository.blame('src/app.ts', 1), shas[0]);
    assert.equal(await repository.blame('src/app.ts', 2), shas[1]);
    assert.equal(await repository.blame('src/app.ts', 3), UNCOMMITTED);
    assert.equal(await repository.blame(path.join(repo.dir, 'src/app.ts'), 2), shas[1], 'absolute paths work too');
  });

  it('has no blame for a file git does not track: untracked or ignored', async () => {
    assert.equal(await repository.blame('untracked.txt', 1), undefined);
    assert.equal(await repository.blame(path.join(repo.dir, 'untracked.txt'), 1), undefined);
    assert.equal(await repository.blame('build/out.log', 1), undefined);
    assert.equal(await repository.isTracked('src/app.ts'), true);
    assert.equal(await repository.isTracked('untracked.txt'), false);
    assert.equal(await repository.isTracked('build/out.log'), false, 'ignored');
    assert.equal(await repository.isTracked('[n]otes.txt'), false, 'a path, not a pattern: notes.txt is tracked, "[n]otes.txt" is not');
    assert.equal(await repository.isTracked(path.join(os.tmpdir(), 'elsewhere.txt')), false, 'outside the repository');
  });

  it('blames an unsaved editor buffer', async () => {
    const contents = 'line 0 inserted\nline 1\nline 2 changed\nline 3\n';
    assert.equal(await repository.blame('src/app.ts', 1, { contents }), UNCOMMITTED);
    assert.equal(await repository.blame('src/app.ts', 2, { contents }), shas[0]);
    assert.equal(await repository.blame('src/app.ts', 4, { contents }), shas[0]);
  });

  it('explains a blame it cannot do', async () => {
    await assert.rejects(repository.blame('src/app.ts', 99), /Cannot blame src\/app.ts:99/);
    await assert.rejects(repository.blame('src/app.ts', 0), RangeError);
  });

  it('reads remote URLs', async () => {
    const remotes = await repository.remoteUrls();
    assert.deepEqual(remotes, [
      { name: 'mirror', url: 'https://gitlab.example.com/group/payments' },
      { name: 'origin', url: 'git@github.com:acme/payments.git' },
    ]);
  });

  it('left .git byte-for-byte unchanged (refs, config, index, objects)', () => {
    assert.deepEqual(repo.gitDirSnapshot(), snapshot);
  });
});

describe('GitRepository tracked files', () => {
  it('sees a file become tracked when it is added to the index, and blames it as uncommitted', async () => {
    const repo = TempRepo.create();
    try {
      const empty = await GitRepository.open(repo.dir);
      fs.writeFileSync(path.join(repo.dir, 'first.txt'), 'one\n');
      assert.equal(await empty.blame('first.txt', 1), undefined, 'untracked, in a repository without commits');
      repo.git('add', 'first.txt');
      assert.equal(await empty.isTracked('first.txt'), true, 'the index changed: asked again');
      assert.equal(await empty.blame('first.txt', 1), UNCOMMITTED, 'tracked, and no commit yet');
      repo.commit('base', { file: 'base.txt' });
      fs.writeFileSync(path.join(repo.dir, 'added.txt'), 'two\n');
      repo.git('add', 'added.txt');
      assert.equal(await empty.blame('added.txt', 1), UNCOMMITTED, 'added to the index, in no commit');
      repo.git('rm', '-q', '--cached', 'added.txt');
      assert.equal(await empty.blame('added.txt', 1), undefined, 'untracked again');
    } finally {
      repo.remove();
    }
  });
});

describe('GitRepository errors', () => {
  it('says when a directory is not a git repository', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-not-a-repo-'));
    try {
      // GIT_CEILING_DIRECTORIES keeps git from finding a repository above the temp dir.
      process.env.GIT_CEILING_DIRECTORIES = path.dirname(dir);
      await assert.rejects(GitRepository.open(dir), (error: unknown) => {
        assert.ok(error instanceof NotAGitRepositoryError);
        assert.match(error.message, /is not a git repository/);
        return true;
      });
      await assert.rejects(GitRepository.open(path.join(dir, 'missing')), NotAGitRepositoryError);
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when git is not installed', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-empty-path-'));
    try {
      await assert.rejects(GitRepository.open(os.tmpdir()), GitNotFoundError);
    } finally {
      fs.rmSync(process.env.PATH, { recursive: true, force: true });
      process.env.PATH = savedPath;
    }
  });
});
