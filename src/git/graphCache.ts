// The ancestry graph saved on disk, outside the repository, so that a new process (the CLI, a reloaded
// window) answers its first question without walking git's history again. A commit's parents never
// change (its name is the hash of its content), so a graph saved once stays true; what a new deployment
// adds is walked by git and appended (see AncestryIndex). Only complete histories are saved: the caller
// never saves or reads one for a shallow clone, whose cut history could hide parents after a deepen.
//
// One file per repository, `<cacheDir>/<sha256 of the real path of its git common dir>.graph`, so that
// every worktree of a repository shares it. Format (little-endian; refused on a big-endian host):
//   header   8 bytes magic, then u32 format version, sha width (20 | 32), commit count, parent index count,
//            tip count, 0 (reserved)
//   body     shas (count × width) · parentStart (count + 1 × i32) · parentIndices (i32) · tips (i32 graph
//            indices, least recently used first: the `^tip` limits of the next walk)
//   trailer  sha256 of everything before it
// A file that is truncated, of another version, fails its checksum or describes no valid graph is ignored
// (and replaced by the next write): a flipped bit must cost a walk, never give a wrong answer. Writes are
// atomic (temp file in the same directory, then rename), one at a time per file, the latest state winning.
// At most MAX_CACHE_FILES files are kept (least recently read or written go first).
//
// Size: about 28 bytes per commit, at most `maxGraphCommits` commits (14 MiB at the default 500,000); a
// saved graph that leaves no room for a new tip is dropped for a fresh walk (AncestryIndex), so history
// the deployments have left behind does not pile up. Like the in-memory graph of a long session, a saved
// graph does not see parents changed later by `git replace` or grafts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommitGraph } from './commitGraph';

/** A graph and the tips it was loaded for, least recently used first. */
export interface SavedGraph {
  graph: CommitGraph;
  tips: readonly string[];
}

const MAGIC = Buffer.from('FDGRAPH\n', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_BYTES = 32;
const CHECKSUM_BYTES = 32;
const FILE_SUFFIX = '.graph';
const MAX_CACHE_FILES = 16;
/** A temp file this old was left by a process that died mid-write. */
const ABANDONED_TEMP_MS = 60 * 60_000;
const LITTLE_ENDIAN = os.endianness() === 'LE';

export function encodeGraph({ graph, tips }: SavedGraph): Buffer | undefined {
  const { width, shaBytes, parentStart, parentIndices } = graph.toArrays();
  if (!LITTLE_ENDIAN || graph.size === 0) return undefined;
  const tipIndices = Int32Array.from(tips.flatMap((tip) => graph.indexOf(tip) ?? []));
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  [FORMAT_VERSION, width, graph.size, parentIndices.length, tipIndices.length, 0].forEach((value, i) => header.writeUInt32LE(value, 8 + 4 * i));
  const parts = [header, shaBytes, bytesOf(parentStart), bytesOf(parentIndices), bytesOf(tipIndices)];
  const checksum = createHash('sha256');
  for (const part of parts) checksum.update(part);
  return Buffer.concat([...parts, checksum.digest()]);
}

/** The graph in `bytes`, or undefined when they are not a valid file of this format within `maxCommits`. */
export function decodeGraph(bytes: Uint8Array, maxCommits: number): SavedGraph | undefined {
  if (!LITTLE_ENDIAN || bytes.length < HEADER_BYTES + CHECKSUM_BYTES) return undefined;
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const [version, width, count, parentCount, tipCount] = [0, 1, 2, 3, 4].map((i) => file.readUInt32LE(8 + 4 * i)) as [number, number, number, number, number];
  if (version !== FORMAT_VERSION || (width !== 20 && width !== 32) || count === 0 || count > maxCommits) return undefined;
  const bodyBytes = count * width + 4 * (count + 1 + parentCount + tipCount);
  if (file.length !== HEADER_BYTES + bodyBytes + CHECKSUM_BYTES) return undefined;
  const end = HEADER_BYTES + bodyBytes;
  if (!createHash('sha256').update(file.subarray(0, end)).digest().equals(file.subarray(end))) return undefined;

  let offset = HEADER_BYTES;
  const shaBytes = file.subarray(offset, (offset += count * width));
  const ints = (length: number): Int32Array => {
    // Copied into a fresh, aligned buffer: the file's bytes may sit at any offset of a pooled buffer.
    const values = new Int32Array(length);
    new Uint8Array(values.buffer).set(file.subarray(offset, (offset += 4 * length)));
    return values;
  };
  const parentStart = ints(count + 1);
  const parentIndices = ints(parentCount);
  const tipIndices = ints(tipCount);
  const graph = CommitGraph.fromArrays({ width, shaBytes: new Uint8Array(shaBytes), parentStart, parentIndices });
  if (!graph) return undefined;
  const tips = new Set<string>();
  for (const index of tipIndices) {
    if (index < 0 || index >= count) return undefined;
    tips.add(Buffer.from(shaBytes.subarray(index * width, (index + 1) * width)).toString('hex'));
  }
  return { graph, tips: [...tips] };
}

function bytesOf(values: Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * The cache file of one repository. Reading and writing never throw: a missing, unreadable or
 * read-only cache only costs the walk it would have saved (`onError` hears why, for a log).
 */
export class GraphDiskCache {
  private file: Promise<string> | undefined;
  private pendingSnapshot: (() => SavedGraph | undefined) | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly cacheDir: string,
    /** The repository's git common dir (shared by its worktrees), asked for once, when first needed. */
    private readonly locateCommonDir: () => Promise<string>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async read(maxCommits: number): Promise<SavedGraph | undefined> {
    try {
      const file = await this.cacheFile();
      const saved = decodeGraph(await readFile(file), maxCommits);
      if (!saved) {
        this.onError(new Error(`ignored ${file}: not a valid ancestry cache of this version`));
        return undefined;
      }
      // Marks it recently used, for pruning.
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      return saved;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(error);
      return undefined;
    }
  }

  /**
   * Saves what `snapshot` returns when the write runs (undefined: nothing to save). Asynchronous and
   * coalesced: while one write is in flight, further calls only replace the snapshot the next one takes.
   */
  scheduleWrite(snapshot: () => SavedGraph | undefined): void {
    this.pendingSnapshot = snapshot;
    this.writing ??= this.drain();
  }

  /** Resolves when no write is pending or in flight (before a process exits, and in tests). */
  async written(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    // The question that caused the write is answered first.
    await new Promise((resolve) => setImmediate(resolve));
    for (let snapshot = this.pendingSnapshot; snapshot; snapshot = this.pendingSnapshot) {
      this.pendingSnapshot = undefined;
      try {
        const saved = snapshot();
        const bytes = saved && encodeGraph(saved);
        if (bytes) await this.writeAtomically(bytes);
      } catch (error) {
        this.onError(error);
      }
    }
    this.writing = undefined;
  }

  private async writeAtomically(bytes: Buffer): Promise<void> {
    const file = await this.cacheFile();
    await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, bytes, { mode: 0o600 });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
    await pruneCacheDir(this.cacheDir, file);
  }

  private cacheFile(): Promise<string> {
    this.file ??= (async () => {
      const commonDir = await this.locateCommonDir();
      // The real path: a repository reached through a symlink or another worktree shares one file.
      const real = await realpath(commonDir).catch(() => path.resolve(commonDir));
      return path.join(this.cacheDir, `${createHash('sha256').update(real).digest('hex')}${FILE_SUFFIX}`);
    })();
    return this.file;
  }
}

/** Keeps the MAX_CACHE_FILES most recently used cache files (never `keep`) and drops abandoned temp files. */
async function pruneCacheDir(cacheDir: string, keep: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const graphs: { file: string; usedAt: number }[] = [];
  for (const name of names) {
    const file = path.join(cacheDir, name);
    const isGraph = /^[0-9a-f]{64}\.graph$/.test(name);
    if (!isGraph && !/^[0-9a-f]{64}\.graph\..*\.tmp$/.test(name)) continue;
    const info = await stat(file).catch(() => undefined);
    if (!info) continue;
    if (isGraph) graphs.push({ file, usedAt: info.mtimeMs });
    else if (Date.now() - info.mtimeMs > ABANDONED_TEMP_MS) await rm(file, { force: true }).catch(() => undefined);
  }
  if (graphs.length <= MAX_CACHE_FILES) return;
  graphs.sort((a, b) => a.usedAt - b.usedAt);
  for (const { file } of graphs.slice(0, graphs.length - MAX_CACHE_FILES)) {
    if (file !== keep) await rm(file, { force: true }).catch(() => undefined);
  }
}
