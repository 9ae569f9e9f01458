// Fast, bounded, never-wrong ancestry answers for many (commit, deployed tip) questions.
//
// Method (chosen by bench/where.bench.ts): the first question about a new tip loads every commit behind it
// with ONE `git rev-list --parents` (for all new tips at once, minus what is already loaded) into a compact
// in-memory parent graph; each tip's ancestors become a bitset (LRU by tip). A hover is then one hash
// lookup plus one bit test per environment. Without generation numbers (we may not write a commit-graph
// file into the user's repo) proving "not contained" needs the tip's whole ancestry anyway, so one bulk
// walk by git's own C code beats per-pair `merge-base` processes and per-object `cat-file --batch` reads.
//
// Bounds: the graph holds at most `maxGraphCommits` commits (tips beyond it fall back to one
// `git merge-base --is-ancestor` per question, answers cached); `maxTipSets` bitsets; `maxCachedAnswers`
// fallback answers. Shallow clones: an answer that depends on history the clone lacks is 'unknown'.
//
// With `cacheDir`, the graph outlives the process (graphCache.ts): the first load reads what an earlier
// process saved, walks only what is new since, and saves the result in the background.
import * as path from 'node:path';
import type { AncestryOracle, Containment } from '../core/containment';
import { CommitGraph, reachSetHas, type ReachSet } from './commitGraph';
import { GitCommandError, runGit, runGitToBuffer } from './exec';
import { fileSignature, readShallowCommits, type GitLocations, type ShallowState } from './gitDirFiles';
import { GraphDiskCache } from './graphCache';
import { LruCache } from './lruCache';

export interface AncestryIndexOptions {
  /** Most commits held in memory (about 55 bytes each with growth slack). Default 500,000 (under 30 MiB). */
  maxGraphCommits?: number;
  /** Most per-tip ancestor bitsets kept (each graph-size / 8 bytes). Default 64. */
  maxTipSets?: number;
  /** Most answers cached for tips answered by git directly (beyond the graph bound, shallow checks). */
  maxCachedAnswers?: number;
  /** A deployed commit missing from this clone is looked for again after this long (a fetch may bring it). */
  missingTipRetryMs?: number;
  /** How many git processes the fallback runs at once. */
  fallbackConcurrency?: number;
  /**
   * A directory (outside the repository) where the graph is saved for the next process; none: memory
   * only. Never used for a shallow clone.
   */
  cacheDir?: string;
  /** Hears why the cache directory could not be read or written (the answers do not depend on it). */
  onCacheError?: (error: unknown) => void;
  now?: () => number;
}

export interface AncestryCacheStats {
  graphCommits: number;
  graphBytes: number;
  tipSets: number;
  tipSetBytes: number;
  cachedAnswers: number;
  tipsBeyondBound: number;
  missingTips: number;
  /** The graph in memory started as the one saved in `cacheDir`. */
  graphLoadedFromDisk: boolean;
  /** `git rev-list` walks this index ran. */
  historyWalks: number;
  /** graphBytes + tipSetBytes + an estimate for cached answers. */
  approximateBytes: number;
}

/** How many loaded tips to exclude (`^tip`) so that a new walk stops at history already loaded. */
const MAX_NEGATIVE_TIPS = 256;

export class AncestryIndex implements AncestryOracle {
  private readonly maxGraphCommits: number;
  private readonly missingTipRetryMs: number;
  private readonly fallbackConcurrency: number;
  private readonly now: () => number;

  private graph = new CommitGraph();
  private readonly reachByTip: LruCache<string, ReachSet>;
  private readonly recentTips = new LruCache<string, true>(MAX_NEGATIVE_TIPS);
  private readonly answers: LruCache<string, Containment>;
  /** Tips whose ancestry did not fit the graph bound: asked of git one pair at a time. */
  private readonly tipsBeyondBound: LruCache<string, true>;
  /** Tips this clone does not have, with the time to look again. */
  private readonly missingTips: LruCache<string, number>;
  private shallow: ShallowState | undefined;
  private shallowFilePath: string | undefined;
  private readonly diskCache: GraphDiskCache | undefined;
  /** The disk cache is read at most once per graph (again after a shallow change resets the graph). */
  private diskCacheRead = false;
  private graphFromDisk = false;
  private historyWalks = 0;
  /** Loads run one after another: a second hover waits for the walk the first one started. */
  private loadQueue: Promise<void> = Promise.resolve();

  /** @param locations what the caller knows already; the rest is asked of git on first use. */
  constructor(private readonly repoDir: string, options: AncestryIndexOptions = {}, locations: GitLocations = {}) {
    this.shallowFilePath = locations.shallowFile;
    this.maxGraphCommits = options.maxGraphCommits ?? 500_000;
    this.missingTipRetryMs = options.missingTipRetryMs ?? 30_000;
    this.fallbackConcurrency = options.fallbackConcurrency ?? 4;
    this.now = options.now ?? Date.now;
    this.reachByTip = new LruCache(options.maxTipSets ?? 64);
    this.answers = new LruCache(options.maxCachedAnswers ?? 10_000);
    this.tipsBeyondBound = new LruCache(4096);
    this.missingTips = new LruCache(4096);
    this.diskCache = options.cacheDir === undefined ? undefined : new GraphDiskCache(
      options.cacheDir,
      async () => locations.commonDir ?? path.resolve(repoDir, (await runGit(repoDir, ['rev-parse', '--git-common-dir'])).stdout.trim()),
      options.onCacheError,
    );
  }

  async isAncestor(ancestor: string, descendant: string): Promise<Containment> {
    const [answer] = await this.containsAll(ancestor, [descendant]);
    return answer ?? 'unknown';
  }

  async containsAll(commit: string, tips: readonly string[]): Promise<Containment[]> {
    const commitSha = commit.toLowerCase();
    if (!isFullSha(commitSha)) throw new TypeError(`Ancestry questions take a full commit sha (resolve "${commit}" first).`);
    const lowerTips = tips.map((tip) => tip.toLowerCase());
    await this.forgetIfShallowChanged();
    await this.index(lowerTips.filter((tip) => tip !== commitSha && isFullSha(tip)));
    const query = new Query(commitSha, this.graph);

    // A tip that is not a commit name (bad data from a server) is never handed to git.
    const results: (Containment | undefined)[] = lowerTips.map((tip) =>
      isFullSha(tip) ? this.answerFromGraph(query, tip) : 'unknown',
    );
    const askGit = lowerTips.flatMap((tip, i) => (results[i] === undefined ? [{ tip, i }] : []));
    await forEachLimited(askGit, this.fallbackConcurrency, async ({ tip, i }) => {
      results[i] = await this.answerFromGit(query.commit, tip);
    });
    return results.map((answer) => answer ?? 'unknown');
  }

  /**
   * Loads the history behind these tips and computes their bitsets now (call it when deployments
   * change), so that the next hover is answered from memory.
   */
  async prepare(tips: readonly string[]): Promise<void> {
    const fullTips = tips.map((tip) => tip.toLowerCase()).filter(isFullSha);
    await this.forgetIfShallowChanged();
    await this.index(fullTips);
    const graph = this.graph;
    for (const tip of fullTips) {
      const tipIndex = graph.indexOf(tip);
      if (tipIndex !== undefined) this.reachOf(graph, tip, tipIndex);
    }
  }

  cacheStats(): AncestryCacheStats {
    let tipSetBytes = 0;
    for (const reach of this.reachByTip.values()) tipSetBytes += reach.bits.byteLength;
    const graphBytes = this.graph.bytes;
    const answerBytes = this.answers.size * 200;
    return {
      graphCommits: this.graph.size,
      graphBytes,
      tipSets: this.reachByTip.size,
      tipSetBytes,
      cachedAnswers: this.answers.size,
      tipsBeyondBound: this.tipsBeyondBound.size,
      missingTips: this.missingTips.size,
      graphLoadedFromDisk: this.graphFromDisk,
      historyWalks: this.historyWalks,
      approximateBytes: graphBytes + tipSetBytes + answerBytes,
    };
  }

  /** Resolves when the graph this index saves to its `cacheDir` is on disk (awaited before a CLI exits). */
  cacheWritten(): Promise<void> {
    return this.diskCache?.written() ?? Promise.resolve();
  }

  /** undefined: the graph cannot decide, git must be asked. */
  private answerFromGraph(query: Query, tip: string): Containment | undefined {
    if (query.commit === tip) return true;
    if (this.isMissing(tip)) return 'unknown';
    const tipIndex = query.graph.indexOf(tip);
    if (tipIndex === undefined) return undefined; // beyond the graph bound
    const reach = this.reachOf(query.graph, tip, tipIndex);
    if (query.index !== undefined && reachSetHas(reach, query.index)) return true;
    // The tip's whole ancestry is here and the commit is not in it (or not in the repository at all).
    if (!reach.reachesBoundary) return false;
    // A shallow clone lacks part of the tip's history, so "not found" proves nothing. One case is still
    // certain: when the tip is an ancestor of the commit, the commit is newer and cannot be in the tip.
    // The commit's own ancestry is in the graph when the commit is, else git has to walk it.
    if (query.index === undefined) return undefined;
    return reachSetHas(query.ancestors(), tipIndex) ? false : 'unknown';
  }

  /** For tips beyond the graph bound, and for shallow-clone questions about commits outside the graph. */
  private async answerFromGit(commit: string, tip: string): Promise<Containment> {
    const key = `${commit}:${tip}`;
    const cached = this.answers.get(key);
    if (cached !== undefined) return cached;
    const shallow = (this.shallow?.commits.size ?? 0) > 0;
    // When the tip is in the graph, everything local behind it was walked already: git would find no more.
    let answer = this.graph.indexOf(tip) === undefined ? await this.mergeBaseIsAncestor(commit, tip) : 'unknown';
    // In a shallow clone git sees only part of the history: a path it finds is real, its "no" is not.
    if (answer === false && shallow) answer = 'unknown';
    // Still certain: when the tip is an ancestor of the commit, the commit is newer and cannot be in it.
    if (answer === 'unknown' && (await this.mergeBaseIsAncestor(tip, commit)) === true) answer = false;
    this.answers.set(key, answer);
    return answer;
  }

  /** The baseline method: one git process per question. */
  async mergeBaseIsAncestor(ancestor: string, descendant: string): Promise<Containment> {
    try {
      const { exitCode } = await runGit(this.repoDir, ['merge-base', '--is-ancestor', ancestor, descendant], { okExitCodes: [1] });
      return exitCode === 0;
    } catch (error) {
      // Exit 128: one of them is not a commit here (not fetched); we cannot tell.
      if (error instanceof GitCommandError) return 'unknown';
      throw error;
    }
  }

  private reachOf(graph: CommitGraph, tip: string, tipIndex: number): ReachSet {
    const cached = this.reachByTip.get(tip);
    if (cached) return cached;
    const reach = graph.reachFrom(tipIndex);
    this.reachByTip.set(tip, reach);
    return reach;
  }

  private isMissing(tip: string): boolean {
    const retryAt = this.missingTips.get(tip);
    if (retryAt === undefined) return false;
    if (this.now() < retryAt) return true;
    this.missingTips.delete(tip);
    return false;
  }

  private needsLoading(tip: string): boolean {
    return this.graph.indexOf(tip) === undefined && !this.isMissing(tip) && !this.tipsBeyondBound.has(tip);
  }

  private async index(tips: readonly string[]): Promise<void> {
    if (!tips.some((tip) => this.needsLoading(tip))) return;
    const run = this.loadQueue.then(async () => {
      await this.adoptSavedGraph(tips);
      // Re-check: the load queued before this one (or the saved graph) may have brought these tips.
      const pending = [...new Set(tips.filter((tip) => this.needsLoading(tip)))];
      if (pending.length > 0) await this.load(pending);
    });
    this.loadQueue = run.catch(() => undefined);
    await run;
  }

  /** Before the first walk: the graph an earlier process saved, if any, so that only newer commits are walked. */
  private async adoptSavedGraph(tips: readonly string[]): Promise<void> {
    if (this.diskCache === undefined || this.diskCacheRead || !this.isCompleteClone()) return;
    this.diskCacheRead = true;
    const saved = await this.diskCache.read(this.maxGraphCommits);
    // Only into an empty graph, and only when the tips name commits the same way (a repository
    // re-created at the same path may use the other hash function).
    if (!saved || this.graph.size > 0 || !this.isCompleteClone() || !tips.every((tip) => tip.length === saved.graph.hexLength)) return;
    this.graph = saved.graph;
    this.graphFromDisk = true;
    for (const tip of saved.tips) this.recentTips.set(tip, true);
  }

  /** Not shallow: every commit's parents are here, so a graph may be read from disk or saved to it. */
  private isCompleteClone(): boolean {
    return this.shallow?.signature === 'absent';
  }

  /**
   * A saved graph that is full (of history the deployments have left behind: new tips do not fit) is
   * dropped for a fresh walk, once: it is there only to save time.
   */
  private dropSavedGraph(): boolean {
    if (!this.graphFromDisk) return false;
    this.resetGraph();
    return true;
  }

  private resetGraph(): void {
    this.graph = new CommitGraph();
    this.graphFromDisk = false;
    this.reachByTip.clear();
    this.recentTips.clear();
    this.tipsBeyondBound.clear();
  }

  private saveGraph(): void {
    this.diskCache?.scheduleWrite(() =>
      // Checked again when the write runs: the clone may have become shallow since.
      this.isCompleteClone() && !this.graph.hasBoundary ? { graph: this.graph, tips: [...this.recentTips.keys()] } : undefined,
    );
  }

  private async load(tips: readonly string[]): Promise<void> {
    const room = this.maxGraphCommits - this.graph.size;
    if (room <= 0) {
      if (this.dropSavedGraph()) return this.load(tips);
      for (const tip of tips) this.tipsBeyondBound.set(tip, true);
      return;
    }
    const graph = this.graph;
    let output: Buffer;
    try {
      this.historyWalks++;
      output = await this.listCommitsWithParents(tips, room + 1);
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      // One bad tip (e.g. it names a tree) must not cost the others their fast answers: one by one.
      if (tips.length > 1) {
        for (const tip of tips) if (this.needsLoading(tip)) await this.load([tip]);
      } else if (tips[0] !== undefined) {
        this.missingTips.set(tips[0], this.now() + this.missingTipRetryMs);
      }
      return;
    }
    // A deepened shallow clone replaced the graph meanwhile: this walk stopped at commits it no longer holds.
    if (graph !== this.graph) return;
    if (countLines(output) > room) {
      if (this.dropSavedGraph()) return this.load(tips);
      if (tips.length > 1) {
        for (const tip of tips) if (this.needsLoading(tip)) await this.load([tip]);
      } else if (tips[0] !== undefined) {
        this.tipsBeyondBound.set(tips[0], true);
      }
      return;
    }
    const added = this.graph.addParentLines(output, this.shallow?.commits ?? new Set());
    for (const tip of tips) {
      if (this.graph.indexOf(tip) !== undefined) this.recentTips.set(tip, true);
      else this.missingTips.set(tip, this.now() + this.missingTipRetryMs);
    }
    if (added > 0) this.saveGraph();
  }

  /** "sha parent…" for every commit behind `tips` that is not behind a recently loaded tip, at most `maxCount` lines. */
  private listCommitsWithParents(tips: readonly string[], maxCount: number): Promise<Buffer> {
    // `^sha` lines: git before 2.42 rejects `--not` on stdin.
    const input = [...tips, ...[...this.recentTips.keys()].map((tip) => `^${tip}`)].join('\n') + '\n';
    const args = ['rev-list', '--parents', `--max-count=${maxCount}`, '--ignore-missing', '--stdin'];
    return runGitToBuffer(this.repoDir, args, { input, timeoutMs: 5 * 60_000 });
  }

  /**
   * A shallow clone that is deepened (or made shallower) changes which answers are knowable: start over.
   * One stat per question keeps that cheap.
   */
  private async forgetIfShallowChanged(): Promise<void> {
    if (this.shallowFilePath === undefined) {
      const { stdout } = await runGit(this.repoDir, ['rev-parse', '--git-path', 'shallow']);
      this.shallowFilePath = path.resolve(this.repoDir, stdout.trim());
    }
    const signature = await fileSignature(this.shallowFilePath);
    if (this.shallow?.signature === signature) return;
    const commits = signature === 'absent' ? new Set<string>() : await readShallowCommits(this.shallowFilePath);
    if (this.shallow !== undefined) {
      this.resetGraph();
      this.answers.clear();
      this.missingTips.clear();
      this.diskCacheRead = false;
    }
    this.shallow = { signature, commits };
  }
}

/** One containsAll call: the commit asked about, and its own ancestry computed at most once. */
class Query {
  private ancestorSet: ReachSet | undefined;

  constructor(readonly commit: string, readonly graph: CommitGraph) {}

  get index(): number | undefined {
    return this.graph.indexOf(this.commit);
  }

  ancestors(): ReachSet {
    const index = this.index;
    if (index === undefined) throw new Error('ancestors() needs a commit that is in the graph');
    this.ancestorSet ??= this.graph.reachFrom(index);
    return this.ancestorSet;
  }
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function isFullSha(text: string): boolean {
  return FULL_SHA.test(text);
}

function countLines(output: Buffer): number {
  let lines = 0;
  for (let i = output.indexOf(0x0a); i !== -1; i = output.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
