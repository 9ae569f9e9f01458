// The commits behind the deployed tips, held in memory as a parent graph so that "is C in what this
// environment runs?" is a bit lookup instead of a git process. Invariant kept by the loader: every commit
// in the graph has all of its locally available ancestors in the graph too, so a tip's reachable set can
// be computed here without asking git again.
//
// Compact on purpose (a big repository has a million commits): shas are stored as binary in one growing
// byte array and found through an open-addressing table of indices; parents are int lists. About 55 bytes
// per commit, no per-commit JS objects or strings, so loading 20,000 commits allocates almost nothing.

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
  private data: Int32Array;
  length: number;

  /** Starts as `initial` (taken over, not copied) when given: how a graph read from disk is adopted. */
  constructor(initial?: Int32Array) {
    this.data = initial ?? new Int32Array(1024);
    this.length = initial?.length ?? 0;
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(Math.max(1024, this.data.length * 2));
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

  /** The values, as a view that is valid until the next push. */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const NOT_HEX = 255;
/** ASCII code → nibble value, NOT_HEX for anything else. */
const NIBBLE = new Uint8Array(256).fill(NOT_HEX);
for (let c = 0; c < 10; c++) NIBBLE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  NIBBLE[0x61 + c] = 10 + c;
  NIBBLE[0x41 + c] = 10 + c;
}

/**
 * A graph's contents as plain arrays: what graphCache.ts writes to disk and reads back. Views of the
 * graph's own storage, valid until the graph changes.
 */
export interface CommitGraphArrays {
  /** Bytes per sha: 20 (SHA-1) or 32 (SHA-256). */
  width: number;
  /** count × width bytes. */
  shaBytes: Uint8Array;
  /** count + 1 offsets into parentIndices, from 0, never decreasing. */
  parentStart: Int32Array;
  /** Graph indices, each below count. */
  parentIndices: Int32Array;
}

export class CommitGraph {
  /** Binary sha of commit i at `shaBytes[i * width .. (i + 1) * width)`. */
  private shaBytes: Uint8Array = new Uint8Array(0);
  /** 20 (SHA-1) or 32 (SHA-256), fixed by the first commit added. */
  private width = 0;
  private count = 0;
  /** Open addressing: slot holds index + 1, 0 is empty. Kept under half full. */
  private table = new Int32Array(1024);
  /** Parents of commit i are `parentIndices[parentStart[i] .. parentStart[i + 1])`. */
  private parentStart = new IntList();
  private parentIndices = new IntList();
  /** Commits whose parents are missing here: shallow-clone boundaries. Few, so a Set. */
  private readonly boundary = new Set<number>();
  private readonly scratch = new Uint8Array(32);

  constructor() {
    this.parentStart.push(0);
  }

  get size(): number {
    return this.count;
  }

  /**
   * A graph over these arrays (taken over, not copied), or undefined when they do not describe one: a
   * wrong width or length, offsets that go backwards, a parent index out of range, a sha listed twice.
   * Commits read this way have no shallow boundary: only a complete history is ever written to disk.
   */
  static fromArrays(arrays: CommitGraphArrays): CommitGraph | undefined {
    const { width, shaBytes, parentStart, parentIndices } = arrays;
    if (width !== 20 && width !== 32) return undefined;
    const count = shaBytes.length / width;
    if (!Number.isInteger(count) || count === 0 || parentStart.length !== count + 1) return undefined;
    if (parentStart[0] !== 0 || parentStart[count] !== parentIndices.length) return undefined;
    for (let i = 0; i < count; i++) if ((parentStart[i + 1] ?? 0) < (parentStart[i] ?? 0)) return undefined;
    for (const parent of parentIndices) if (parent < 0 || parent >= count) return undefined;
    const graph = new CommitGraph();
    graph.width = width;
    graph.shaBytes = shaBytes;
    graph.count = count;
    graph.parentStart = new IntList(parentStart);
    graph.parentIndices = new IntList(parentIndices);
    // The table is rebuilt rather than stored: about 1 ms for 20,000 commits and 25-50 ms for 500,000
    // (a small part of the walk it saves), the file is a third smaller, and rebuilding is what proves that
    // no sha is listed twice.
    let size = 1024;
    while (size < count * 2) size *= 2;
    graph.table = new Int32Array(size);
    for (let i = 0; i < count; i++) if (!graph.placeUnique(i)) return undefined;
    return graph;
  }

  toArrays(): CommitGraphArrays {
    return {
      width: this.width,
      shaBytes: this.shaBytes.subarray(0, this.count * this.width),
      parentStart: this.parentStart.view(),
      parentIndices: this.parentIndices.view(),
    };
  }

  /** Hex digits of this graph's commit names: 40 (SHA-1) or 64 (SHA-256); 0 while empty. */
  get hexLength(): number {
    return this.width * 2;
  }

  /** True when some commit's parents are missing here (a shallow clone): such a graph is not complete. */
  get hasBoundary(): boolean {
    return this.boundary.size > 0;
  }

  /** Bytes held by the graph's arrays (what it costs to keep). */
  get bytes(): number {
    return this.shaBytes.byteLength + this.table.byteLength + this.parentStart.bytes + this.parentIndices.bytes;
  }

  indexOf(sha: string): number | undefined {
    const width = sha.length >>> 1;
    if (this.count === 0 || width !== this.width || sha.length !== width * 2) return undefined;
    for (let i = 0; i < width; i++) {
      const high = NIBBLE[sha.charCodeAt(2 * i)] ?? NOT_HEX;
      const low = NIBBLE[sha.charCodeAt(2 * i + 1)] ?? NOT_HEX;
      if (high === NOT_HEX || low === NOT_HEX) return undefined;
      this.scratch[i] = (high << 4) | low;
    }
    const found = this.find(this.scratch);
    return found >= 0 ? found : undefined;
  }

  /**
   * Adds the commits of `git log --format='%H %P'` (or `rev-list --parents`) output: "sha parent parent…"
   * per line. Commits already present are skipped. `shallow` lists the commits whose parents a shallow
   * clone cut off. Returns how many commits were new.
   */
  addParentLines(output: Uint8Array, shallow: ReadonlySet<string>): number {
    const firstNew = this.count;
    // Pass 1 numbers the new commits: a line may name parents that only come later in the output.
    const newLineStarts = new IntList();
    forEachLine(output, (start, end) => {
      const width = tokenEnd(output, start, end) - start;
      if (width !== 40 && width !== 64) return;
      if (this.width === 0) this.width = width / 2;
      if (width / 2 !== this.width || !decodeHex(output, start, this.width, this.scratch)) return;
      if (this.find(this.scratch) >= 0) return;
      this.insert(this.scratch);
      newLineStarts.push(start);
      newLineStarts.push(end);
    });
    // Pass 2 records parents, in index order so that parentStart stays a prefix sum.
    for (let n = 0; n < newLineStarts.length; n += 2) {
      const index = firstNew + n / 2;
      const start = newLineStarts.at(n);
      const end = newLineStarts.at(n + 1);
      let missingParent = shallow.size > 0 && shallow.has(latin1(output, start, start + this.width * 2));
      let cursor = start + this.width * 2 + 1;
      while (cursor < end) {
        const parentEnd = tokenEnd(output, cursor, end);
        const wellFormed = parentEnd - cursor === this.width * 2 && decodeHex(output, cursor, this.width, this.scratch);
        const parentIndex = wellFormed ? this.find(this.scratch) : -1;
        if (parentIndex < 0) missingParent = true;
        else this.parentIndices.push(parentIndex);
        cursor = parentEnd + 1;
      }
      this.parentStart.push(this.parentIndices.length);
      if (missingParent) this.boundary.add(index);
    }
    return this.count - firstNew;
  }

  /** Every ancestor of the commit at `tipIndex`, by an iterative depth-first walk over the parent lists. */
  reachFrom(tipIndex: number): ReachSet {
    const limit = this.count;
    const bits = new Uint8Array((limit + 7) >>> 3);
    const stack = new IntList();
    let reachesBoundary = false;
    bits[tipIndex >>> 3] = (bits[tipIndex >>> 3] ?? 0) | (1 << (tipIndex & 7));
    stack.push(tipIndex);
    while (stack.length > 0) {
      const index = stack.at(--stack.length);
      if (this.boundary.size > 0 && this.boundary.has(index)) reachesBoundary = true;
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

  /** The home slot of the sha at `bytes[offset ..]`. */
  private slotFor(bytes: Uint8Array, offset: number): number {
    // A sha is already uniformly random: its first four bytes make a good hash.
    const hash = ((bytes[offset] ?? 0) << 24) | ((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0);
    return hash & (this.table.length - 1);
  }

  private find(sha: Uint8Array): number {
    const mask = this.table.length - 1;
    for (let slot = this.slotFor(sha, 0); ; slot = (slot + 1) & mask) {
      const entry = this.table[slot] ?? 0;
      if (entry === 0) return -1;
      if (this.shaEquals(entry - 1, sha)) return entry - 1;
    }
  }

  /** Whether commit `index` is the sha at `bytes[from ..]`. */
  private shaEquals(index: number, bytes: Uint8Array, from = 0): boolean {
    const offset = index * this.width;
    for (let i = 0; i < this.width; i++) if (this.shaBytes[offset + i] !== bytes[from + i]) return false;
    return true;
  }

  private insert(sha: Uint8Array): number {
    const index = this.count;
    if ((index + 1) * this.width > this.shaBytes.length) {
      const grown = new Uint8Array(Math.max(1024, this.shaBytes.length * 2));
      grown.set(this.shaBytes);
      this.shaBytes = grown;
    }
    this.shaBytes.set(sha.subarray(0, this.width), index * this.width);
    this.count++;
    if (this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    else this.place(index);
    return index;
  }

  private place(index: number): void {
    const mask = this.table.length - 1;
    let slot = this.slotFor(this.shaBytes, index * this.width);
    while ((this.table[slot] ?? 0) !== 0) slot = (slot + 1) & mask;
    this.table[slot] = index + 1;
  }

  /** `place`, but false (and nothing placed) when an equal sha is in the table already. */
  private placeUnique(index: number): boolean {
    const mask = this.table.length - 1;
    const offset = index * this.width;
    let slot = this.slotFor(this.shaBytes, offset);
    for (let entry = this.table[slot] ?? 0; entry !== 0; entry = this.table[slot] ?? 0) {
      if (this.shaEquals(entry - 1, this.shaBytes, offset)) return false;
      slot = (slot + 1) & mask;
    }
    this.table[slot] = index + 1;
    return true;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    for (let i = 0; i < this.count; i++) this.place(i);
  }
}

function forEachLine(output: Uint8Array, visit: (start: number, end: number) => void): void {
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf(NEWLINE, start);
    if (end === -1) end = output.length;
    if (end > start) visit(start, end);
    start = end + 1;
  }
}

function tokenEnd(output: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && output[i] !== SPACE) i++;
  return i;
}

/** Decodes `width` bytes of hex at `start` into `into`; false if any character is not hex. */
function decodeHex(output: Uint8Array, start: number, width: number, into: Uint8Array): boolean {
  for (let i = 0; i < width; i++) {
    const high = NIBBLE[output[start + 2 * i] ?? 0] ?? NOT_HEX;
    const low = NIBBLE[output[start + 2 * i + 1] ?? 0] ?? NOT_HEX;
    if (high === NOT_HEX || low === NOT_HEX) return false;
    into[i] = (high << 4) | low;
  }
  return true;
}

function latin1(output: Uint8Array, start: number, end: number): string {
  return Buffer.from(output.buffer, output.byteOffset + start, end - start).toString('latin1').toLowerCase();
}
