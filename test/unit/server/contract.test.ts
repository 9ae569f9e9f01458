// The API contract (shared/docs/API.md), endpoint by endpoint with every documented error, run
// against PGlite and against PostgreSQL (when FLIGHTDECK_TEST_DATABASE_URL points at one).
import { after, before, describe, it } from 'node:test';
import { postgresSkipReason, startTestServer, type Backend, type TestServer } from '../helpers/server';
import { accessContract } from './contract/access';
import { approvalClockContract, approvalContract, approvalCrashContract } from './contract/approvals';
import { deploymentContract } from './contract/deployments';
import { projectContract } from './contract/projects';
import { releaseContract } from './contract/releases';
import { promoteContract, rollbackContract } from './contract/rollback-promote';

/** Suites may be async: the skip decision (is PostgreSQL reachable?) needs a round trip. */
function defineSuite(backend: Backend): void {
  void describe(`API contract on ${backend}`, async () => {
    const skip = backend === 'postgres' ? await postgresSkipReason() : undefined;
    if (skip) {
      console.log(`# PostgreSQL contract suite skipped: ${skip}`);
      void it.skip(`PostgreSQL: ${skip}`);
      return;
    }
    let server: TestServer | undefined;
    const current = (): TestServer => {
      if (!server) throw new Error('server not started');
      return server;
    };
    before(async () => { server = await startTestServer({ backend }); });
    after(async () => { await server?.close(); });
    void describe('releases (1, 9)', () => releaseContract(current));
    void describe('deployments (2, 3, 4, 12)', () => deploymentContract(current));
    void describe('rollback (5)', () => rollbackContract(current));
    void describe('promote (10)', () => promoteContract(current));
    void describe('projects (6, 7, 8, 11)', () => projectContract(current));
    void describe('access and errors (16, 17)', () => accessContract(current));
    void describe('approvals and blocked candidates (19–22)', () => approvalContract(current));
    void describe('approval expiry (a server whose clock the test sets back)', () => {
      let clockOffset = 0;
      let clocked: TestServer | undefined;
      before(async () => { clocked = await startTestServer({ backend, now: () => new Date(Date.now() + clockOffset) }); });
      after(async () => { await clocked?.close(); });
      approvalClockContract(() => {
        if (!clocked) throw new Error('server not started');
        return clocked;
      }, (ms) => { clockOffset = ms; });
    });
    void describe('approvals across kill -9', () => approvalCrashContract(backend));
  });
}

defineSuite('pglite');
defineSuite('postgres');
