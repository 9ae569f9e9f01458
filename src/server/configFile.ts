// `flightdeck serve --config FILE`: a JSON or YAML file of projects (endpoint 7 bodies keyed by project
// name), applied at start. Applying it again changes nothing: unchanged projects record no event, and
// `frozen` / `protected` left out of the file keep what an operator set through the API.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ProjectName, ProjectSpec } from '../api/schemas';
import type { ReleaseService } from './service/release-service';

const ConfigFile = z.record(ProjectName, ProjectSpec);

export interface AppliedProject {
  name: string;
  created: boolean;
}

export async function applyConfigFile(service: ReleaseService, file: string): Promise<AppliedProject[]> {
  const absolute = path.resolve(file);
  const raw = readConfig(absolute);
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    throw new Error(`Invalid config file ${absolute}: ${where}${issue?.message ?? 'invalid'}`);
  }
  const applied: AppliedProject[] = [];
  for (const [name, spec] of Object.entries(parsed.data)) {
    const { created } = await service.putProject(name, spec, {
      force: false,
      configDir: path.dirname(absolute),
      keepFlags: flagsLeftOut(raw, name),
    });
    applied.push({ name, created });
  }
  return applied;
}

function readConfig(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`Config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
}

/** Per environment of the project, which of `frozen` and `protected` the file does not mention. */
function flagsLeftOut(raw: unknown, project: string): Map<string, Array<'frozen' | 'protected'>> {
  const result = new Map<string, Array<'frozen' | 'protected'>>();
  const environments = (raw as Record<string, { environments?: unknown } | undefined>)[project]?.environments;
  if (!Array.isArray(environments)) return result;
  for (const env of environments as Array<Record<string, unknown>>) {
    if (typeof env.name !== 'string') continue;
    result.set(env.name, (['frozen', 'protected'] as const).filter((flag) => !(flag in env)));
  }
  return result;
}
