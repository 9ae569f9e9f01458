// The commits behind the deployed tips, held in memory as a parent graph so that "is C in what this
// environment runs?" is a bit lookup instead of a git process. Invariant kept by the loader: every commit
// in the graph has all of its locally available ancestors in the graph too, so a tip's reachable set can
// be computed here without asking git again.

/** The ancestors of one tip (itself included), as a bitset over graph indices. */
export interface ReachSet {
  readonly tipIndex: number;
  /** Indices at or above this were added after the set was computed; none of them can be an ancestor. */
  readonly limit: number;
  readonly bits: Uint8Array;
  /** True when the walk met a commit whose parents this clone lacks (a shallow boundary). */
  readonly reachesBoundary: boolean;
}

export function reachSetHas(reach: ReachSet, index: number): boolean {
  return index < reach.limit && ((reach.bits[index >>> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

/** A growable Int32Array: a fraction of the memory of a number[] for millions of indices. */
class IntList {
  private data = new Int32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    return this.data[index] ?? 0;
  }

  get bytes(): number {
    return this.data.byteLength;
  }
}

const NEWLINE = 0x0a;
const SPACE = 0x20;

export class CommitGraph {
  private readonly indexBySha = new Map<string, number>();
  /** Parents of commit i are `parentIndices[parentStart[i] .. parentStart[i + 1])`. */
  private readonly parentStart = new IntList();
  private readonly parentIndices = new IntList();
  /** Commits whose parents are missing here: shallow-clone boundaries. Few, so a Set. */
  private readonly boundary = new Set<number>();

  constructor() {
    this.parentStart.push(0);
  }

  get size(): number {
    return this.indexBySha.size;
  }

  indexOf(sha: string): number | undefined {
    return this.indexBySha.get(sha);
  }

  /** A rough figure for cache reports: key strings, map slots and parent lists. */
  get approximateBytes(): number {
    const perCommit = 64 /* 40- or 64-char key string */ + 32 /* map slot */;
    return this.size * perCommit + this.parentStart.bytes + this.parentIndices.bytes;
  }

  /**
   * Adds the commits of `git rev-list --parents` output ("sha parent parent…" per line). Commits already
   * present are skipped. `shallow` lists the commits whose parents a shallow clone cut off.
   * Returns how many commits were new.
   */
  addRevListParents(output: Buffer, shallow: ReadonlySet<string>): number {
    const lines: { sha: string; parents: string[] }[] = [];
    let lineStart = 0;
    while (lineStart < output.length) {
      let lineEnd = output.indexOf(NEWLINE, lineStart);
      if (lineEnd === -1) lineEnd = output.length;
      const tokens = splitTokens(output, lineStart, lineEnd);
      const sha = tokens[0];
      if (sha !== undefined && !this.indexBySha.has(sha)) lines.push({ sha, parents: tokens.slice(1) });
      lineStart = lineEnd + 1;
    }
    // Number the new commits first: a line may name parents that come later in the output.
    const firstNew = this.size;
    lines.forEach((line, i) => this.indexBySha.set(line.sha, firstNew + i));
    lines.forEach((line, i) => {
      const index = firstNew + i;
      let missingParent = shallow.has(line.sha);
      for (const parent of line.parents) {
        const parentIndex = this.indexBySha.get(parent);
        if (parentIndex === undefined) missingParent = true;
        else this.parentIndices.push(parentIndex);
      }
      this.parentStart.push(this.parentIndices.length);
      if (missingParent) this.boundary.add(index);
    });
    return lines.length;
  }

  /** Every ancestor of the commit at `tipIndex`, by an iterative depth-first walk over the parent lists. */
  reachFrom(tipIndex: number): ReachSet {
    const limit = this.size;
    const bits = new Uint8Array((limit + 7) >>> 3);
    const stack = new IntList();
    let reachesBoundary = false;
    bits[tipIndex >>> 3] = (bits[tipIndex >>> 3] ?? 0) | (1 << (tipIndex & 7));
    stack.push(tipIndex);
    while (stack.length > 0) {
      const index = stack.at(--stack.length);
      if (this.boundary.has(index)) reachesBoundary = true;
      const end = this.parentStart.at(index + 1);
      for (let p = this.parentStart.at(index); p < end; p++) {
        const parent = this.parentIndices.at(p);
        const byte = parent >>> 3;
        const mask = 1 << (parent & 7);
        const current = bits[byte] ?? 0;
        if ((current & mask) !== 0) continue;
        bits[byte] = current | mask;
        stack.push(parent);
      }
    }
    return { tipIndex, limit, bits, reachesBoundary };
  }
}

/** Space-separated tokens of one line, as fresh strings (a slice of a big string would pin all of it). */
function splitTokens(output: Buffer, start: number, end: number): string[] {
  const tokens: string[] = [];
  let tokenStart = start;
  for (let i = start; i <= end; i++) {
    if (i === end || output[i] === SPACE) {
      if (i > tokenStart) tokens.push(output.toString('latin1', tokenStart, i));
      tokenStart = i + 1;
    }
  }
  return tokens;
}
