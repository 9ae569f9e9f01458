// One first hover in a process of its own, for bench/where.bench.ts's "new process" row (bundled by the
// bench with esbuild, run with plain node, timed from spawn to exit): the code a hover runs on a commit
// SHA — open the repository with the ancestry disk cache, `git rev-parse` the SHA as written, `git show`
// its subject, and where it is deployed — then the answer as JSON on stdout.
// node hover-child.js REPO_DIR CACHE_DIR PROJECTS_JSON_FILE REVISION
import { readFileSync } from 'node:fs';
import type { Project } from '../src/api/schemas';
import { whereIsCommit } from '../src/core/containment';
import { GitRepository } from '../src/git';

async function main(): Promise<void> {
  const [repoDir, cacheDir, projectsFile, revision] = process.argv.slice(2);
  if (!repoDir || !cacheDir || !projectsFile || !revision) throw new Error('usage: REPO_DIR CACHE_DIR PROJECTS_JSON_FILE REVISION');
  const projects = JSON.parse(readFileSync(projectsFile, 'utf8')) as Project[];
  const repository = await GitRepository.open(repoDir, { cacheDir });
  const commit = await repository.resolve(revision);
  if (commit === undefined) throw new Error(`cannot resolve ${revision}`);
  const info = await repository.commitInfo(commit);
  if (info === undefined) throw new Error(`no commit info for ${commit}`);
  const presence = await whereIsCommit(commit, projects, repository);
  await repository.cacheWritten();
  process.stdout.write(`${JSON.stringify({ commit, subject: info.subject, presence, graphLoadedFromDisk: repository.cacheStats().graphLoadedFromDisk })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
