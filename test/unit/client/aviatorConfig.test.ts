// The project configuration Aviator needs (core/projectConfig) and the lenient reading of Aviator's
// answers (client/aviatorWire): pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deployment } from '../../../src/api/schemas';
import { readDeployment, readDeploymentList } from '../../../src/client/aviatorWire';
import {
  defaultProjectConfig, mergeProjectConfigs, parseProjectConfigText, parseProjectConfigValue, projectConfigText, repoFromRemoteUrl,
} from '../../../src/core/projectConfig';

const valid = {
  projects: [{
    name: 'payments',
    repo: 'acme/payments',
    description: 'Payments API',
    environments: [
      { name: 'dogfood', tier: 'development', strategy: 'dogfood' },
      { name: 'production', tier: 'production' },
    ],
  }],
};

describe('.flightdeck.json parsing', () => {
  it('reads a valid file: ladder order as written, strategy defaulting to standard', () => {
    const config = parseProjectConfigText(JSON.stringify(valid));
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.projects, [{
      name: 'payments', repo: 'acme/payments', description: 'Payments API',
      environments: [
        { name: 'dogfood', tier: 'development', strategy: 'dogfood' },
        { name: 'production', tier: 'production', strategy: 'standard' },
      ],
    }]);
  });

  it('round-trips the file "Create .flightdeck.json" writes', () => {
    const text = projectConfigText(defaultProjectConfig('payments', 'acme/payments'));
    assert.ok(text.endsWith('\n'));
    const config = parseProjectConfigText(text);
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.projects[0]?.environments.map((e) => `${e.name}:${e.tier}:${e.strategy}`), [
      'dogfood:development:dogfood', 'canary:production:canary', 'rollout:production:rollout', 'production:production:standard',
    ]);
  });

  it('says what is wrong and where, naming projects and environments', () => {
    const problems = (value: unknown): string[] => parseProjectConfigText(typeof value === 'string' ? value : JSON.stringify(value)).problems;
    assert.deepEqual(problems(''), ['.flightdeck.json is empty: it needs {"projects": [...]}']);
    assert.match(problems('{"projects": [}')[0] ?? '', /^\.flightdeck\.json is not valid JSON: /);
    assert.deepEqual(problems({ projects: 'payments' }), ['.flightdeck.json: projects needs "projects": a list of projects (got "payments")']);
    assert.deepEqual(problems(42), ['.flightdeck.json: must be a JSON object with a "projects" list (got 42)']);
    assert.deepEqual(problems({ projects: [], extra: true }), ['.flightdeck.json: has unknown field "extra" (allowed: $schema, projects)']);
    assert.deepEqual(problems({ projects: [{ name: 'payments', repo: 'acme/payments', enviroments: [] }] }), [
      '.flightdeck.json: projects[0] (payments) needs "environments": a list in ladder order',
      '.flightdeck.json: projects[0] (payments) has unknown field "enviroments" (allowed: name, repo, description, environments, github)',
    ]);
    assert.deepEqual(problems({ projects: [{ name: 'payments', environments: [] }] }), [
      '.flightdeck.json: projects[0] (payments) needs a "repo": owner/name or a git URL',
      '.flightdeck.json: projects[0] (payments).environments needs at least one environment',
    ]);
    assert.deepEqual(problems({ projects: [{ name: 'payments', repo: 'acme/payments', environments: [
      { name: 'dogfood', tier: 'prod' },
      { name: 'canary', tier: 'production', strategy: 'blue-green' },
      { tier: 'staging' },
      { name: 'bad name', tier: 'staging' },
      { name: 'x', tier: 'staging', steps: [] },
    ] }] }), [
      '.flightdeck.json: projects[0] (payments).environments[0] (dogfood).tier must be one of production, staging, development (got "prod")',
      '.flightdeck.json: projects[0] (payments).environments[1] (canary).strategy must be one of standard, dogfood, canary, rollout (got "blue-green")',
      '.flightdeck.json: projects[0] (payments).environments[2] needs a "name" (text)',
      '.flightdeck.json: projects[0] (payments).environments[3] (bad name).name is not a valid environment name: letters, digits, _ and -, starting with a letter or digit, at most 64 characters (got "bad name")',
      '.flightdeck.json: projects[0] (payments).environments[4] (x) has unknown field "steps" (allowed: name, tier, strategy)',
    ]);
    assert.deepEqual(problems({ projects: [{ name: 'payments', repo: 'a/b', environments: [{ name: 'x', tier: 'staging' }, { name: 'x', tier: 'staging' }] }] }), [
      '.flightdeck.json: projects[0] (payments).environments[1] (x).name lists environment x twice',
    ]);
    assert.deepEqual(problems({ projects: [valid.projects[0], valid.projects[0]] }), ['.flightdeck.json: projects[1] (payments).name names project payments twice']);
  });

  it('takes nothing from a file with any problem (half a ladder would misdirect promotes)', () => {
    const config = parseProjectConfigText(JSON.stringify({ projects: [valid.projects[0], { name: 'other', repo: 'a/b', environments: [{ name: 'x', tier: 'nope' }] }] }));
    assert.deepEqual(config.projects, []);
    assert.equal(config.problems.length, 1);
  });

  it('reads the setting as the same object or as just its projects list', () => {
    const source = 'setting flightdeck.aviator.projects';
    assert.deepEqual(parseProjectConfigValue(valid, source).projects.map((p) => p.name), ['payments']);
    assert.deepEqual(parseProjectConfigValue(valid.projects, source).projects.map((p) => p.name), ['payments']);
    assert.deepEqual(parseProjectConfigValue([{ name: 'p', repo: 'r', environments: [{ name: 'e', tier: 5 }] }], source).problems, [
      'setting flightdeck.aviator.projects: projects[0] (p).environments[0] (e).tier must be one of production, staging, development (got 5)',
    ]);
  });

  it('merges sources in order: the first to name a project wins, and the clash is reported', () => {
    const file = { ...parseProjectConfigText(JSON.stringify(valid)), source: '.flightdeck.json' };
    const setting = { ...parseProjectConfigValue([{ ...valid.projects[0], repo: 'other/repo' }, { name: 'web', repo: 'acme/web', environments: [{ name: 'prod', tier: 'production' }] }], 'setting'), source: 'the setting flightdeck.aviator.projects' };
    const merged = mergeProjectConfigs([file, setting]);
    assert.deepEqual(merged.projects.map((p) => `${p.name}:${p.repo}`), ['payments:acme/payments', 'web:acme/web']);
    assert.deepEqual(merged.problems, ['the setting flightdeck.aviator.projects also defines project payments: the one in .flightdeck.json is used']);
  });

  it('derives owner/name from git remotes, keeping case', () => {
    assert.equal(repoFromRemoteUrl('https://github.com/Acme/Payments.git'), 'Acme/Payments');
    assert.equal(repoFromRemoteUrl('git@github.com:Acme/Payments.git'), 'Acme/Payments');
    assert.equal(repoFromRemoteUrl('ssh://git@gitlab.example.com:2222/group/sub/app.git'), 'group/sub/app');
    assert.equal(repoFromRemoteUrl('https://github.com/flightdeck-test/payments.git/'), 'flightdeck-test/payments');
    assert.equal(repoFromRemoteUrl('https://host/'), undefined);
  });
});

describe('Reading Aviator deployments', () => {
  const context = { project: 'payments', environment: 'canary', firstSeen: () => '2026-01-01T00:00:00.000Z' };

  it('takes the contract\'s full Deployment as it is', () => {
    const full = {
      id: '42', project: 'payments', environment_name: 'canary', release_version: '1.4.0', release_candidate_version: '1.4.0-rc2',
      commit: 'a'.repeat(40), from_release_version: '1.3.1', from_release_candidate_version: '1.3.1-rc1', status: 'in_progress',
      kind: 'promote', actor: 'ci', deploy_start_at: '2026-11-23T08:00:00.000Z', deploy_end_at: null, updated_at: '2026-11-23T08:01:00.000Z',
      error_message: null, rollout: { step: 0, percent: 1, steps: [{ percent: 1, soak_seconds: 0 }, { percent: 100, soak_seconds: 0 }], paused: false },
    };
    assert.deepEqual(readDeployment(full, context), Deployment.parse(full));
  });

  it('fills what a sparser answer leaves out from the request and the contract\'s defaults', () => {
    const d = readDeployment({ id: 7, release_candidate_version: '2.0.0-rc3', status: 'success', created_at: '2026-02-03T04:05:06', commit: 'ABC' + 'd'.repeat(37) }, context);
    assert.ok(d);
    assert.deepEqual(Deployment.parse(d), d, 'a complete contract Deployment');
    assert.equal(d.id, '7');
    assert.equal(d.project, 'payments');
    assert.equal(d.environment_name, 'canary');
    assert.equal(d.release_version, '2.0.0');
    assert.equal(d.commit, 'abc' + 'd'.repeat(37));
    assert.equal(d.kind, 'deploy');
    assert.equal(d.deploy_start_at, '2026-02-03T04:05:06.000Z', 'no offset: UTC');
    assert.equal(d.rollout, null);
    assert.equal(readDeployment({ id: 1, release_candidate_version: '1.0.0-rc1', status: 'queued' }, context)?.status, 'unknown');
    assert.equal(readDeployment({ id: 1, release_candidate_version: '1.0.0-rc1', status: 'pending' }, context)?.deploy_start_at, '2026-01-01T00:00:00.000Z');
  });

  it('treats an empty 201 as no deployment, and a list entry without id or status as malformed', () => {
    assert.equal(readDeployment(undefined, context), undefined);
    assert.equal(readDeployment({}, context), undefined);
    assert.deepEqual(readDeploymentList([], context), { deployments: [] });
    assert.deepEqual(readDeploymentList({ deployments: [] }, context), { problem: 'expected a JSON array of deployments' });
    const bad = readDeploymentList([{ id: '1', release_candidate_version: '1.0.0-rc1', status: 'success' }, { release_candidate_version: '1.0.0-rc1' }], context);
    assert.ok('problem' in bad);
    assert.match(bad.problem, /^at 1\.(id|status): /);
  });
});
