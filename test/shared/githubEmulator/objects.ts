// GitHub's REST objects as GitHub sends them (every field its OpenAPI description requires), built from
// the emulator's state. `api` is the REST root the client called (with /api/v3 on Enterprise), `web` the
// site's root, so URLs point where GitHub's would.
export interface Roots {
  api: string;
  web: string;
}

/** GitHub's opaque global ids: unique per object, meaningless to clients. */
export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString('base64');
}

export function user(roots: Roots, login: string, id: number): Record<string, unknown> {
  const url = `${roots.api}/users/${login}`;
  return {
    login, id, node_id: nodeId('User', id), avatar_url: `${roots.web}/avatars/${login}`, gravatar_id: '',
    url, html_url: `${roots.web}/${login}`, followers_url: `${url}/followers`, following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`, starred_url: `${url}/starred{/owner}{/repo}`, subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`, repos_url: `${url}/repos`, events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`, type: 'User', site_admin: false,
  };
}

export function minimalRepository(roots: Roots, fullName: string, id: number, owner: Record<string, unknown>): Record<string, unknown> {
  const url = `${roots.api}/repos/${fullName}`;
  const name = fullName.split('/')[1] ?? fullName;
  const suffixes = {
    archive_url: '/{archive_format}{/ref}', assignees_url: '/assignees{/user}', blobs_url: '/git/blobs{/sha}',
    branches_url: '/branches{/branch}', collaborators_url: '/collaborators{/collaborator}', comments_url: '/comments{/number}',
    commits_url: '/commits{/sha}', compare_url: '/compare/{base}...{head}', contents_url: '/contents/{+path}',
    contributors_url: '/contributors', deployments_url: '/deployments', downloads_url: '/downloads', events_url: '/events',
    forks_url: '/forks', git_commits_url: '/git/commits{/sha}', git_refs_url: '/git/refs{/sha}', git_tags_url: '/git/tags{/sha}',
    hooks_url: '/hooks', issue_comment_url: '/issues/comments{/number}', issue_events_url: '/issues/events{/number}',
    issues_url: '/issues{/number}', keys_url: '/keys{/key_id}', labels_url: '/labels{/name}', languages_url: '/languages',
    merges_url: '/merges', milestones_url: '/milestones{/number}', notifications_url: '/notifications{?since,all,participating}',
    pulls_url: '/pulls{/number}', releases_url: '/releases{/id}', stargazers_url: '/stargazers', statuses_url: '/statuses/{sha}',
    subscribers_url: '/subscribers', subscription_url: '/subscription', tags_url: '/tags', teams_url: '/teams', trees_url: '/git/trees{/sha}',
  };
  return {
    id, node_id: nodeId('Repository', id), name, full_name: fullName, owner, private: true, html_url: `${roots.web}/${fullName}`,
    description: null, fork: false, url,
    ...Object.fromEntries(Object.entries(suffixes).map(([key, suffix]) => [key, `${url}${suffix}`])),
  };
}

export interface EnvironmentRecord {
  id: number;
  name: string;
  reviewers: boolean;
  createdAt: string;
}

export function environment(roots: Roots, fullName: string, env: EnvironmentRecord, reviewer: Record<string, unknown>): Record<string, unknown> {
  return {
    id: env.id, node_id: nodeId('Environment', env.id), name: env.name,
    url: `${roots.api}/repos/${fullName}/environments/${encodeURIComponent(env.name)}`,
    html_url: `${roots.web}/${fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(env.name)}`,
    created_at: env.createdAt, updated_at: env.createdAt,
    protection_rules: env.reviewers
      ? [{ id: env.id * 10, node_id: nodeId('Gate', env.id * 10), type: 'required_reviewers', prevent_self_review: false, reviewers: [{ type: 'User', reviewer }] }]
      : [],
    deployment_branch_policy: null,
  };
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  creator: string;
  createdAt: string;
  statuses: StatusRecord[];
}

export interface StatusRecord {
  id: number;
  state: 'error' | 'failure' | 'inactive' | 'pending' | 'success' | 'queued' | 'in_progress';
  description: string;
  createdAt: string;
}

export function deployment(roots: Roots, fullName: string, d: DeploymentRecord, creator: Record<string, unknown>): Record<string, unknown> {
  const url = `${roots.api}/repos/${fullName}/deployments/${d.id}`;
  const updated = d.statuses[d.statuses.length - 1]?.createdAt ?? d.createdAt;
  return {
    url, id: d.id, node_id: nodeId('Deployment', d.id), sha: d.sha, ref: d.ref, task: 'deploy', payload: {},
    original_environment: d.environment, environment: d.environment, description: null, creator,
    created_at: d.createdAt, updated_at: updated, statuses_url: `${url}/statuses`, repository_url: `${roots.api}/repos/${fullName}`,
    transient_environment: false, production_environment: /^prod/i.test(d.environment),
  };
}

export function deploymentStatus(roots: Roots, fullName: string, d: DeploymentRecord, s: StatusRecord, creator: Record<string, unknown>): Record<string, unknown> {
  const deploymentUrl = `${roots.api}/repos/${fullName}/deployments/${d.id}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`, id: s.id, node_id: nodeId('DeploymentStatus', s.id), state: s.state, creator,
    description: s.description, environment: d.environment, target_url: `${roots.web}/${fullName}/deployments`,
    created_at: s.createdAt, updated_at: s.createdAt, deployment_url: deploymentUrl, repository_url: `${roots.api}/repos/${fullName}`,
  };
}

export interface RunRecord {
  id: number;
  workflowId: number;
  workflowPath: string;
  headSha: string;
  headBranch: string;
  event: string;
  status: 'waiting' | 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  actor: string;
  createdAt: string;
  /** Environments the run's jobs wait on for review (pending deployments). */
  waitingOn: { environment: string; waitTimer: number }[];
}

export function workflowRun(roots: Roots, fullName: string, run: RunRecord, actor: Record<string, unknown>, repository: Record<string, unknown>, message: string): Record<string, unknown> {
  const url = `${roots.api}/repos/${fullName}/actions/runs/${run.id}`;
  return {
    id: run.id, name: run.workflowPath.replace(/^.*\//, ''), node_id: nodeId('WorkflowRun', run.id), check_suite_id: run.id + 1,
    check_suite_node_id: nodeId('CheckSuite', run.id + 1), head_branch: run.headBranch, head_sha: run.headSha, path: run.workflowPath,
    run_number: run.id, run_attempt: 1, event: run.event, status: run.status, conclusion: run.conclusion, workflow_id: run.workflowId,
    url, html_url: `${roots.web}/${fullName}/actions/runs/${run.id}`, pull_requests: [], created_at: run.createdAt,
    updated_at: run.createdAt, actor, triggering_actor: actor, run_started_at: run.createdAt, jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`, check_suite_url: `${roots.api}/repos/${fullName}/check-suites/${run.id + 1}`,
    artifacts_url: `${url}/artifacts`, cancel_url: `${url}/cancel`, rerun_url: `${url}/rerun`, previous_attempt_url: null,
    workflow_url: `${roots.api}/repos/${fullName}/actions/workflows/${run.workflowId}`,
    head_commit: { id: run.headSha, tree_id: run.headSha, message, timestamp: run.createdAt, author: { name: run.actor, email: `${run.actor}@example.com` }, committer: { name: run.actor, email: `${run.actor}@example.com` } },
    repository, head_repository: repository, display_title: message.split('\n')[0] ?? '',
  };
}

export function pendingDeployment(roots: Roots, fullName: string, env: EnvironmentRecord, waitTimer: number, timerStart: string, canApprove: boolean, reviewer: Record<string, unknown>): Record<string, unknown> {
  return {
    environment: { id: env.id, node_id: nodeId('Environment', env.id), name: env.name, url: `${roots.api}/repos/${fullName}/environments/${encodeURIComponent(env.name)}`, html_url: `${roots.web}/${fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(env.name)}` },
    wait_timer: waitTimer, wait_timer_started_at: waitTimer > 0 ? timerStart : null, current_user_can_approve: canApprove,
    reviewers: [{ type: 'User', reviewer }],
  };
}

export interface GitCommit {
  sha: string;
  parents: string[];
  tree: string;
  author: string;
  email: string;
  date: string;
  message: string;
}

export function commit(roots: Roots, fullName: string, c: GitCommit): Record<string, unknown> {
  const url = `${roots.api}/repos/${fullName}/commits/${c.sha}`;
  const person = { name: c.author, email: c.email, date: c.date };
  return {
    url, sha: c.sha, node_id: nodeId('Commit', c.sha.length), html_url: `${roots.web}/${fullName}/commit/${c.sha}`, comments_url: `${url}/comments`,
    commit: {
      url: `${roots.api}/repos/${fullName}/git/commits/${c.sha}`, author: person, committer: person, message: c.message, comment_count: 0,
      tree: { sha: c.tree, url: `${roots.api}/repos/${fullName}/git/trees/${c.tree}` },
    },
    author: null, committer: null,
    parents: c.parents.map((p) => ({ sha: p, url: `${roots.api}/repos/${fullName}/commits/${p}`, html_url: `${roots.web}/${fullName}/commit/${p}` })),
  };
}

export function basicError(message: string, status: number): Record<string, unknown> {
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
}
