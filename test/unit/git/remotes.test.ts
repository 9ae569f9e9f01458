import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { githubRepositoryOf, githubWebHost, parseRemoteVerbose, parseRepositoryLocation, projectsForRemotes, repoMatchesRemote } from '../../../src/git';

describe('parseRemoteVerbose', () => {
  it('reads `git remote -v`, each remote URL once', () => {
    const output = [
      'origin\tgit@github.com:acme/payments.git (fetch)',
      'origin\tgit@github.com:acme/payments.git (push)',
      'upstream\thttps://github.com/upstream/payments (fetch)',
      'upstream\tno_push (push)',
      '',
    ].join('\n');
    assert.deepEqual(parseRemoteVerbose(output), [
      { name: 'origin', url: 'git@github.com:acme/payments.git' },
      { name: 'upstream', url: 'https://github.com/upstream/payments' },
      { name: 'upstream', url: 'no_push' },
    ]);
    assert.deepEqual(parseRemoteVerbose(''), []);
  });
});

describe('parseRepositoryLocation', () => {
  const cases: [string, { host: string | null; path: string }][] = [
    ['https://github.com/Acme/Payments.git', { host: 'github.com', path: 'acme/payments' }],
    ['https://user:secret@github.com:443/acme/payments/', { host: 'github.com', path: 'acme/payments' }],
    ['git@github.com:acme/payments.git', { host: 'github.com', path: 'acme/payments' }],
    ['ssh://git@github.com:22/acme/payments.git', { host: 'github.com', path: 'acme/payments' }],
    ['git+ssh://git@gitlab.example.com/group/sub/payments', { host: 'gitlab.example.com', path: 'group/sub/payments' }],
    ['github.com:acme/payments', { host: 'github.com', path: 'acme/payments' }],
    ['acme/payments', { host: null, path: 'acme/payments' }],
    ['file:///srv/git/acme/payments.git', { host: null, path: '/srv/git/acme/payments' }],
    ['/srv/git/acme/payments.git', { host: null, path: '/srv/git/acme/payments' }],
  ];
  for (const [input, expected] of cases) {
    it(input, () => assert.deepEqual(parseRepositoryLocation(input), expected));
  }
  it('has nothing to say about an empty string', () => assert.equal(parseRepositoryLocation('  '), undefined));
});

describe('repoMatchesRemote', () => {
  it('matches owner/name against https and ssh remotes on any host', () => {
    assert.ok(repoMatchesRemote('acme/payments', 'https://github.com/acme/payments.git'));
    assert.ok(repoMatchesRemote('acme/payments', 'git@github.com:acme/payments.git'));
    assert.ok(repoMatchesRemote('ACME/Payments', 'ssh://git@github.example.com/acme/payments'));
    assert.ok(repoMatchesRemote('acme/payments', 'file:///srv/mirrors/acme/payments.git'));
  });

  it('does not match a different owner, a longer name or a prefix', () => {
    assert.ok(!repoMatchesRemote('acme/payments', 'https://github.com/other/payments.git'));
    assert.ok(!repoMatchesRemote('acme/payments', 'https://github.com/acme/payments-api.git'));
    assert.ok(!repoMatchesRemote('acme/pay', 'https://github.com/acme/payments.git'));
    assert.ok(!repoMatchesRemote('me/payments', 'https://github.com/acme/payments.git'));
  });

  it('matches a URL by host and path whatever the protocol', () => {
    assert.ok(repoMatchesRemote('https://github.com/acme/payments', 'git@github.com:acme/payments.git'));
    assert.ok(repoMatchesRemote('git@github.com:acme/payments.git', 'https://www.github.com/acme/payments/'));
    assert.ok(!repoMatchesRemote('https://gitlab.com/acme/payments', 'git@github.com:acme/payments.git'));
    assert.ok(!repoMatchesRemote('https://github.com/acme/payments', 'https://github.com/acme/payments-old'));
  });

  it('never matches an empty repo field', () => assert.ok(!repoMatchesRemote('', 'https://github.com/acme/payments')));
});

describe('projectsForRemotes', () => {
  const projects = [
    { name: 'payments', repo: 'acme/payments' },
    { name: 'ledger', repo: 'https://github.com/acme/ledger.git' },
  ];
  it('keeps the projects matched by a remote', () => {
    assert.deepEqual(projectsForRemotes(projects, ['git@github.com:acme/ledger.git']).map((p) => p.name), ['ledger']);
  });
  it('keeps every project when none matches (or there is no remote)', () => {
    assert.deepEqual(projectsForRemotes(projects, ['git@github.com:acme/other.git']).map((p) => p.name), ['payments', 'ledger']);
    assert.deepEqual(projectsForRemotes(projects, []).map((p) => p.name), ['payments', 'ledger']);
  });
});

describe('GitHub repositories of remotes', () => {
  it('knows the web host an API URL serves: github.com, an Enterprise server, GHE.com', () => {
    assert.equal(githubWebHost('https://api.github.com'), 'github.com');
    assert.equal(githubWebHost('https://ghe.acme.internal/api/v3'), 'ghe.acme.internal');
    assert.equal(githubWebHost('https://api.acme.ghe.com'), 'acme.ghe.com');
    assert.equal(githubWebHost('http://127.0.0.1:4567/api/v3'), '127.0.0.1');
    assert.equal(githubWebHost('not a url'), undefined);
  });

  it('gives owner/name for https and ssh remotes on that host only', () => {
    assert.equal(githubRepositoryOf('https://github.com/Acme/Payments.git', 'github.com'), 'acme/payments');
    assert.equal(githubRepositoryOf('git@github.com:acme/payments.git', 'github.com'), 'acme/payments');
    assert.equal(githubRepositoryOf('ssh://git@github.com/acme/payments', 'github.com'), 'acme/payments');
    assert.equal(githubRepositoryOf('https://www.github.com/acme/payments', 'github.com'), 'acme/payments');
    assert.equal(githubRepositoryOf('https://gitlab.com/acme/payments.git', 'github.com'), undefined);
    assert.equal(githubRepositoryOf('git@ghe.acme.internal:acme/payments.git', 'ghe.acme.internal'), 'acme/payments');
    assert.equal(githubRepositoryOf('https://ghe.acme.internal/acme/payments.git', 'github.com'), undefined);
    // Not a repository: a deeper path (GitLab-style groups) or a local clone.
    assert.equal(githubRepositoryOf('https://github.com/acme/group/payments', 'github.com'), undefined);
    assert.equal(githubRepositoryOf('/srv/git/payments.git', 'github.com'), undefined);
  });
});
