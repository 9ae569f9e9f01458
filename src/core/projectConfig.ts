// The project configuration for backends that cannot list projects (Aviator Releases) or their order
// (GitHub): a `.flightdeck.json` at the repository root, and/or a setting, naming each project, its
// repository, its environments in ladder order with their tiers, and for GitHub how to promote. Pure:
// text or values in, typed configuration or readable problems out; reading files and settings is the
// caller's job.
import * as z from 'zod';
import { ENVIRONMENT_NAME_PATTERN, PROJECT_NAME_PATTERN, Strategy, Tier } from '../api/schemas';
import { describeError } from './errors';

export const PROJECT_CONFIG_FILE = '.flightdeck.json';

const TIERS = Tier.options.join(', ');
const STRATEGIES = Strategy.options.join(', ');

export const ConfiguredEnvironment = z.object({
  name: z.string({ error: 'needs a "name" (text)' })
    .regex(ENVIRONMENT_NAME_PATTERN, 'is not a valid environment name: letters, digits, _ and -, starting with a letter or digit, at most 64 characters'),
  tier: z.enum(Tier.options, { error: `must be one of ${TIERS}` }),
  strategy: z.enum(Strategy.options, { error: `must be one of ${STRATEGIES}` }).default('standard'),
}).strict();
export type ConfiguredEnvironment = z.output<typeof ConfiguredEnvironment>;

/** What a `{placeholder}` in a GitHub workflow's ref or inputs may name, filled per promote or rollback. */
export const WORKFLOW_PLACEHOLDERS = ['environment', 'from_environment', 'commit', 'candidate', 'action'] as const;
export type WorkflowPlaceholder = (typeof WORKFLOW_PLACEHOLDERS)[number];

function placeholderProblem(text: string): string | undefined {
  const unknown = [...text.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '').filter((name) => !(WORKFLOW_PLACEHOLDERS as readonly string[]).includes(name));
  return unknown.length ? `names unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')} (allowed: ${WORKFLOW_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})` : undefined;
}

const templated = (what: string) => z.string({ error: `${what} must be text` }).max(500).superRefine((text, ctx) => {
  const problem = placeholderProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * How a GitHub repository promotes and rolls back: a `workflow_dispatch` workflow (file name or id), the
 * ref to run it on, and its inputs. `{environment}`, `{from_environment}`, `{commit}`, `{candidate}` and
 * `{action}` (promote or rollback) are filled in for each dispatch.
 */
export const ConfiguredGitHubWorkflow = z.object({
  workflow: z.string({ error: 'needs a "workflow": the workflow file name (deploy.yml) or id' }).trim()
    .regex(/^(?:[\w.-]+\.ya?ml|\d+)$/, 'must be a workflow file name (deploy.yml) or a numeric workflow id'),
  ref: templated('"ref"').min(1, '"ref" must name a branch or tag').default('main'),
  inputs: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/, 'input names are letters, digits, _ and -'), templated('each input'), { error: '"inputs" must be an object of text values' })
    .default({})
    .refine((inputs) => Object.keys(inputs).length <= 25, 'GitHub accepts at most 25 inputs'),
}).strict();
export type ConfiguredGitHubWorkflow = z.output<typeof ConfiguredGitHubWorkflow>;

/** `{name}` placeholders replaced by their values (pure; an absent value becomes the empty string). */
export function fillWorkflowTemplate(text: string, values: Partial<Record<WorkflowPlaceholder, string>>): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => ((WORKFLOW_PLACEHOLDERS as readonly string[]).includes(name) ? values[name as WorkflowPlaceholder] ?? '' : whole));
}

export const ConfiguredProject = z.object({
  name: z.string({ error: 'needs a "name" (text)' })
    .regex(PROJECT_NAME_PATTERN, 'is not a valid project name: letters, digits, spaces, _ and -, starting with a letter or digit, at most 100 characters'),
  repo: z.string({ error: 'needs a "repo": owner/name or a git URL' }).trim().min(1, 'needs a "repo": owner/name or a git URL').max(500),
  description: z.string().max(2000).nullable().default(null),
  /** In ladder order: the first is the bottom rung (e.g. dogfood), the last the top (production). */
  environments: z.array(ConfiguredEnvironment, { error: 'needs "environments": a list in ladder order' })
    .min(1, 'needs at least one environment')
    .max(50, 'has more than 50 environments'),
  /** GitHub backend only: the workflow that promotes and rolls back. */
  github: ConfiguredGitHubWorkflow.optional(),
}).strict().superRefine((project, ctx) => {
  const seen = new Set<string>();
  project.environments.forEach((env, index) => {
    if (seen.has(env.name)) ctx.addIssue({ code: 'custom', message: `lists environment ${env.name} twice`, path: ['environments', index, 'name'] });
    seen.add(env.name);
  });
});
export type ConfiguredProject = z.output<typeof ConfiguredProject>;

const projectList = z.array(ConfiguredProject, { error: 'needs "projects": a list of projects' })
  .max(100, 'has more than 100 projects')
  .superRefine((projects, ctx) => {
    const seen = new Set<string>();
    projects.forEach((project, index) => {
      if (seen.has(project.name)) ctx.addIssue({ code: 'custom', message: `names project ${project.name} twice`, path: [index, 'name'] });
      seen.add(project.name);
    });
  });

/** The file: `{ "projects": [ … ] }` (a `$schema` key is allowed for editors). */
export const ProjectConfigFile = z.object({
  $schema: z.string().optional(),
  projects: projectList,
}, { error: 'must be a JSON object with a "projects" list' }).strict();
export type ProjectConfigFile = z.input<typeof ProjectConfigFile>;

/** The configuration a backend reads: every valid project, and every problem met on the way. */
export interface ProjectConfig {
  projects: ConfiguredProject[];
  /** One readable sentence each, naming the source and where in it. */
  problems: string[];
}

export const EMPTY_PROJECT_CONFIG: ProjectConfig = Object.freeze({ projects: [], problems: [] }) as ProjectConfig;

/**
 * Parses the text of a `.flightdeck.json`. `source` names it in problems (e.g. `.flightdeck.json` or
 * `api/.flightdeck.json`). A file with any problem contributes no project: half a ladder is worse than
 * none, because promotes follow the ladder.
 */
export function parseProjectConfigText(text: string, source: string = PROJECT_CONFIG_FILE): ProjectConfig {
  if (text.trim() === '') return { projects: [], problems: [`${source} is empty: it needs {"projects": [...]}`] };
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { projects: [], problems: [`${source} is not valid JSON: ${jsonErrorWhere(error, text)}`] };
  }
  return parseProjectConfigValue(value, source);
}

/**
 * Parses an already-parsed value: the file's object, or the setting's value, which may be the same object
 * or just its `projects` list.
 */
export function parseProjectConfigValue(value: unknown, source: string): ProjectConfig {
  const parsed = Array.isArray(value) ? projectList.safeParse(value) : ProjectConfigFile.safeParse(value);
  if (parsed.success) return { projects: Array.isArray(parsed.data) ? parsed.data : parsed.data.projects, problems: [] };
  const prefix: PropertyKey[] = Array.isArray(value) ? ['projects'] : [];
  return { projects: [], problems: parsed.error.issues.map((issue) => describeIssue(issue, source, prefix, value)) };
}

/**
 * Several sources (each workspace folder's file, then the setting) in order of precedence: a project named
 * by an earlier source wins, and the later one is reported as a problem.
 */
export function mergeProjectConfigs(configs: readonly (ProjectConfig & { source?: string })[]): ProjectConfig {
  const projects: ConfiguredProject[] = [];
  const problems: string[] = [];
  const from = new Map<string, string | undefined>();
  for (const config of configs) {
    problems.push(...config.problems);
    for (const project of config.projects) {
      if (from.has(project.name)) {
        const first = from.get(project.name);
        problems.push(`${config.source ?? 'A later source'} also defines project ${project.name}: ${first ? `the one in ${first}` : 'the first one'} is used`);
        continue;
      }
      from.set(project.name, config.source);
      projects.push(project);
    }
  }
  return { projects, problems };
}

/** The file `Create .flightdeck.json` writes: one project with the default ladder. */
export function defaultProjectConfig(name: string, repo: string): ProjectConfigFile {
  return {
    projects: [{
      name,
      repo,
      environments: [
        { name: 'dogfood', tier: 'development', strategy: 'dogfood' },
        { name: 'canary', tier: 'production', strategy: 'canary' },
        { name: 'rollout', tier: 'production', strategy: 'rollout' },
        { name: 'production', tier: 'production', strategy: 'standard' },
      ],
    }],
  };
}

export function projectConfigText(config: ProjectConfigFile): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** `owner/name` from a git remote URL (https, ssh or scp-like), keeping its case; undefined if none. */
export function repoFromRemoteUrl(url: string): string | undefined {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/]+\/|[^@/:\s]+@[^:/\s]+:|[^:/\s]+:)(.+?)(?:\.git)?\/*$/i.exec(url.trim());
  const path = match?.[1]?.replace(/^\/+/, '');
  return path && path.includes('/') ? path : undefined;
}

// ── problems, in words ───────────────────────────────────────────────────────────────────────────

function describeIssue(issue: z.core.$ZodIssue, source: string, prefix: PropertyKey[], root: unknown): string {
  const value = valueAt(root, issue.path);
  let path = [...prefix, ...issue.path];
  const last = path[path.length - 1];
  // A missing field reads better on its parent: `projects[0] (payments) needs "environments"`.
  if (value === undefined && typeof last === 'string' && issue.message.includes(`"${last}"`)) path = path.slice(0, -1);
  const where = formatPath(path, root, prefix.length);
  return `${source}: ${where ? `${where} ` : ''}${issueMessage(issue, value)}`;
}

function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (allowed: ${allowedKeys(issue.path)})`;
    case 'invalid_type':
      if (value === undefined) return issue.message.startsWith('needs') ? issue.message : `needs a value (${issue.expected})`;
      return issue.message.startsWith('needs') || issue.message.startsWith('must') ? `${issue.message} (got ${describeValue(value)})` : `must be ${expectedType(issue.expected)} (got ${describeValue(value)})`;
    case 'invalid_value':
    case 'invalid_format':
      return `${issue.message} (got ${describeValue(value)})`;
    default:
      return issue.message;
  }
}

function allowedKeys(path: readonly PropertyKey[]): string {
  const inEnvironment = path.includes('environments');
  const inGitHub = path.includes('github');
  const inProject = !inEnvironment && path.length > 0;
  const shape = inGitHub ? ConfiguredGitHubWorkflow.shape : inEnvironment ? ConfiguredEnvironment.shape : inProject ? ConfiguredProject.shape : ProjectConfigFile.shape;
  return Object.keys(shape).join(', ');
}

/** `projects[0] (payments).environments[1] (canary).tier`: indexes plus the names people look for. */
function formatPath(path: readonly PropertyKey[], root: unknown, skip: number): string {
  let text = '';
  let node: unknown = root;
  path.forEach((key, index) => {
    const inRoot = index >= skip;
    if (typeof key === 'number') {
      if (inRoot) node = Array.isArray(node) ? node[key] : undefined;
      const name = node !== null && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
      text += `[${key}]${typeof name === 'string' && name !== '' ? ` (${name})` : ''}`;
    } else {
      if (inRoot) node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
      text += `${text ? '.' : ''}${String(key)}`;
    }
  });
  return text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function expectedType(expected: string): string {
  const words: Record<string, string> = { object: 'an object', array: 'a list', string: 'text', number: 'a number', boolean: 'true or false' };
  return words[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** `Unexpected token } … (line 7, column 3)`: V8 names a character position; people look for lines. */
function jsonErrorWhere(error: unknown, text: string): string {
  const message = describeError(error);
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return message;
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '').replace(/ at position \d+.*$/, '')} (line ${line}, column ${column})`;
}
