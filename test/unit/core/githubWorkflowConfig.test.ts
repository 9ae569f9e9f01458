// A configured project's GitHub workflow (core/projectConfig): how promote and rollback dispatch it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillWorkflowTemplate, parseProjectConfigValue } from '../../../src/core/projectConfig';

const project = (github: unknown) => ({
  projects: [{ name: 'shop', repo: 'acme/shop', environments: [{ name: 'production', tier: 'production' }], github }],
});

describe('.flightdeck.json: a GitHub workflow to promote with', () => {
  it('reads the workflow, its ref (default main) and its inputs', () => {
    const config = parseProjectConfigValue(project({ workflow: 'deploy.yml', inputs: { environment: '{environment}', sha: '{commit}' } }), '.flightdeck.json');
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.projects[0]?.github, { workflow: 'deploy.yml', ref: 'main', inputs: { environment: '{environment}', sha: '{commit}' } });
  });

  it('says what is wrong in words', () => {
    const problems = (github: unknown) => parseProjectConfigValue(project(github), '.flightdeck.json').problems;
    assert.deepEqual(problems({ workflow: 'deploy' }), ['.flightdeck.json: projects[0] (shop).github.workflow must be a workflow file name (deploy.yml) or a numeric workflow id (got "deploy")']);
    assert.deepEqual(problems({ workflow: 'deploy.yml', inputs: { env: '{enviroment}' } }), [
      '.flightdeck.json: projects[0] (shop).github.inputs.env names unknown placeholder {enviroment} (allowed: {environment}, {from_environment}, {commit}, {candidate}, {action})',
    ]);
    assert.deepEqual(problems({ workflow: 'deploy.yml', branch: 'main' }), ['.flightdeck.json: projects[0] (shop).github has unknown field "branch" (allowed: workflow, ref, inputs)']);
    assert.deepEqual(problems({}), ['.flightdeck.json: projects[0] (shop).github needs a "workflow": the workflow file name (deploy.yml) or id']);
  });

  it('fills placeholders', () => {
    assert.equal(fillWorkflowTemplate('{action} {candidate} to {environment} from {from_environment} ({commit}) {other}', {
      action: 'promote', candidate: 'v1-rc1', environment: 'production', from_environment: 'staging', commit: 'abc',
    }), 'promote v1-rc1 to production from staging (abc) {other}');
  });
});
