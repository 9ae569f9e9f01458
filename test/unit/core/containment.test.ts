import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import { distinctTips, whereIsCommit, type AncestryOracle, type Containment } from '../../../src/core/containment';
import * as contract from '../../shared/contractFixtures';

/** Commit names padded to 40 hex characters, so they look like the shas the API carries. */
const sha = (name: string): string => Buffer.from(name).toString('hex').padEnd(40, '0').slice(0, 40);

/** An in-memory DAG: child → parents. `cut` marks commits whose parents are unknown (a shallow boundary). */
class FakeDagOracle implements AncestryOracle {
  readonly containsAllCalls: { commit: string; tips: readonly string[] }[] = [];

  constructor(
    private readonly parents: Record<string, string[]>,
    private readonly cut: ReadonlySet<string> = new Set(),
  ) {}

  async isAncestor(ancestor: string, descendant: string): Promise<Containment> {
    const seen = new Set<string>();
    const stack = [descendant];
    let hitCut = false;
    while (stack.length > 0) {
      const current = stack.pop() as string;
      if (current === ancestor) return true;
      if (seen.has(current)) continue;
      seen.add(current);
      // A cut commit's parents are not known here, as at a shallow clone's boundary.
      if (this.cut.has(current)) hitCut = true;
      else stack.push(...(this.parents[current] ?? []));
    }
    return hitCut ? 'unknown' : false;
  }

  async containsAll(commit: string, tips: readonly string[]): Promise<Containment[]> {
    this.containsAllCalls.push({ commit, tips });
    return Promise.all(tips.map((tip) => this.isAncestor(commit, tip)));
  }
}

// a ← b ← c ← m(c, f) ← d      (f: a feature branch from b, merged at m)
//      ╰── f ──╯
//      ╰── x                   (unmerged)
const dag: Record<string, string[]> = {
  [sha('a')]: [],
  [sha('b')]: [sha('a')],
  [sha('c')]: [sha('b')],
  [sha('f')]: [sha('b')],
  [sha('m')]: [sha('c'), sha('f')],
  [sha('d')]: [sha('m')],
  [sha('x')]: [sha('b')],
};

let nextId = 1;
function deployment(commitName: string, rc: string, rollout: Deployment['rollout'] = null): Deployment {
  return contract.deployment({
    id: String(nextId++), environment_name: 'e', release_candidate_version: rc, commit: sha(commitName),
    status: rollout ? 'in_progress' : 'success', rollout,
  });
}
function environment(name: string, position: number, current: Deployment | null, active: Deployment | null = null): Environment {
  return contract.environment({ name, position, strategy: active?.rollout ? 'rollout' : 'standard', current, active });
}
function project(name: string, environments: Environment[]): Project {
  return contract.project({ name, environments });
}

const rollout = (percent: number): NonNullable<Deployment['rollout']> => ({
  step: 1, percent, paused: false,
  steps: [{ percent: 10, soak_seconds: 60 }, { percent: percent, soak_seconds: 60 }, { percent: 100, soak_seconds: 0 }],
});

const payments = project('payments', [
  environment('production', 3, deployment('b', '1.0.0-rc1'), deployment('m', '1.1.0-rc1', rollout(25))),
  environment('dogfood', 0, deployment('d', '1.2.0-rc1')),
  environment('canary', 1, deployment('m', '1.1.0-rc1')),
  environment('staging', 2, null),
]);

describe('whereIsCommit', () => {
  it('answers every environment in ladder order, by ancestry', async () => {
    const oracle = new FakeDagOracle(dag);
    const [result] = await whereIsCommit(sha('f'), [payments], oracle);
    assert.equal(result?.project, 'payments');
    assert.deepEqual(result?.environments.map((e) => [e.name, e.contains]), [
      ['dogfood', true],
      ['canary', true],
      ['staging', false],
      ['production', false],
    ]);
    assert.deepEqual(result?.environments[1], {
      name: 'canary', position: 1, release_candidate_version: '1.1.0-rc1', commit: sha('m'), contains: true, rollout: null,
    });
  });

  it('says an environment with nothing deployed contains nothing', async () => {
    const [result] = await whereIsCommit(sha('a'), [payments], new FakeDagOracle(dag));
    const staging = result?.environments.find((e) => e.name === 'staging');
    assert.deepEqual(staging, { name: 'staging', position: 2, release_candidate_version: null, commit: null, contains: false, rollout: null });
  });

  it('reports the percent of an active rollout that contains the commit', async () => {
    const [result] = await whereIsCommit(sha('c'), [payments], new FakeDagOracle(dag));
    const production = result?.environments.find((e) => e.name === 'production');
    assert.equal(production?.contains, false, 'what is fully live (b) does not contain c');
    assert.deepEqual(production?.rollout, { release_candidate_version: '1.1.0-rc1', commit: sha('m'), step: 1, percent: 25, paused: false });
  });

  it('reports no rollout when the rolling-out commit does not contain it', async () => {
    const [result] = await whereIsCommit(sha('x'), [payments], new FakeDagOracle(dag));
    assert.ok(result?.environments.every((e) => e.contains === false && e.rollout === null));
  });

  it('asks the oracle once per hover, each deployed commit once', async () => {
    const oracle = new FakeDagOracle(dag);
    const ledger = project('ledger', [environment('production', 0, deployment('m', '3.0.0-rc1'))]);
    await whereIsCommit(sha('a'), [payments, ledger], oracle);
    assert.equal(oracle.containsAllCalls.length, 1);
    assert.deepEqual(oracle.containsAllCalls[0]?.tips, [sha('b'), sha('m'), sha('d')]);
    assert.deepEqual(distinctTips([payments, ledger]), [sha('b'), sha('m'), sha('d')]);
  });

  it('passes unknown through: a cut history is never guessed', async () => {
    const oracle = new FakeDagOracle(dag, new Set([sha('b')]));
    const [result] = await whereIsCommit(sha('a'), [payments], oracle);
    assert.deepEqual(result?.environments.map((e) => e.contains), ['unknown', 'unknown', false, 'unknown']);
  });

  it('treats commit case as irrelevant', async () => {
    const upper = project('upper', [environment('prod', 0, { ...deployment('m', '1.0.0-rc1'), commit: sha('m').toUpperCase() })]);
    const [result] = await whereIsCommit(sha('f').toUpperCase(), [upper], new FakeDagOracle(dag));
    assert.equal(result?.environments[0]?.contains, true);
    assert.equal(result?.environments[0]?.commit, sha('m'));
  });

  it('does not ask anything when nothing is deployed anywhere', async () => {
    const oracle = new FakeDagOracle(dag);
    const empty = project('empty', [environment('prod', 0, null)]);
    const [result] = await whereIsCommit(sha('a'), [empty], oracle);
    assert.equal(oracle.containsAllCalls.length, 0);
    assert.equal(result?.environments[0]?.contains, false);
    assert.deepEqual(await whereIsCommit(sha('a'), [], oracle), []);
  });

  it('refuses an oracle that answers the wrong number of questions', async () => {
    const broken: AncestryOracle = { isAncestor: async () => true, containsAll: async () => [true] };
    await assert.rejects(whereIsCommit(sha('a'), [payments], broken), /answered 1 questions for 3/);
  });
});
