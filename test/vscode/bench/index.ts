// The extension benchmark's half that runs inside VS Code (started by bench/extension.bench.ts through
// the VS Code harness): activation time until the tree's first data request, and the time to build the
// tree for 200 projects × 10 environments through the real model and provider.
import * as vscode from 'vscode';
import type { Deployment, Environment, Project } from '../../../src/api/schemas';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { SessionManager } from '../../../src/extension/session';
import { ReleaseTreeModel } from '../../../src/extension/tree/model';
import { ReleaseTreeProvider } from '../../../src/extension/tree/provider';

function syntheticProjects(projectCount: number, environmentCount: number): Project[] {
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const deployment = (project: string, environment: string, i: number): Deployment => ({
    id: String(i), project, environment_name: environment, release_version: `1.${i}.0`, release_candidate_version: `1.${i}.0-rc1`,
    commit: i.toString(16).padStart(40, '0'), from_release_version: null, from_release_candidate_version: null, status: 'success',
    kind: 'promote', actor: 'ci', deploy_start_at: at, deploy_end_at: at, updated_at: at, error_message: null, rollout: null,
  });
  return Array.from({ length: projectCount }, (_, p) => {
    const name = `project-${p}`;
    const environments: Environment[] = Array.from({ length: environmentCount }, (_, e) => ({
      name: `env-${e}`, tier: 'production', position: e, strategy: 'standard', protected: false, frozen: false, steps: null,
      auto_promote: null, health_check: null, deploy: { type: 'none', command: null, url: null },
      current: deployment(name, `env-${e}`, p * environmentCount + e), active: null,
    }));
    return { name, repo: `acme/${name}`, description: null, created_at: at, environments };
  });
}

async function treeBuildMs(projects: Project[]): Promise<number> {
  const sessions = { get: async () => ({ backend: { listProjects: async () => projects } }), streamState: 'closed' } as unknown as SessionManager;
  const model = new ReleaseTreeModel(sessions);
  await model.refresh();
  const provider = new ReleaseTreeProvider(model);
  const start = performance.now();
  const roots = await provider.getChildren();
  let items = 0;
  for (const root of roots) {
    provider.getTreeItem(root);
    items += 1;
    for (const child of await provider.getChildren(root)) {
      provider.getTreeItem(child);
      items += 1;
    }
  }
  const elapsed = performance.now() - start;
  if (items !== projects.length * (1 + (projects[0]?.environments.length ?? 0))) throw new Error(`built ${items} items`);
  model.dispose();
  return elapsed;
}

export async function run(): Promise<void> {
  console.log(`running inside VS Code ${vscode.version} (extension benchmark)`);
  const api = await vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck')!.activate();
  const start = Date.now();
  while (api.model.firstFetchAt === undefined && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 20));
  const projects = syntheticProjects(200, 10);
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) samples.push(await treeBuildMs(projects));
  samples.sort((a, b) => a - b);
  const result = {
    vscode: vscode.version,
    activateMs: api.firstRequestAt !== undefined ? api.firstRequestAt - api.activatedAt : null,
    firstRequestMs: api.model.firstFetchAt !== undefined ? api.model.firstFetchAt - api.activatedAt : null,
    treeBuildMedianMs: samples[Math.floor(samples.length / 2)],
    treeBuildMaxMs: samples[samples.length - 1],
  };
  console.log(`EXTENSION-BENCH ${JSON.stringify(result)}`);
  console.log('VSCODE-TIER: 1 passed, 0 failed');
}
