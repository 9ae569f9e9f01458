// Files in a repository's git dir that Flightdeck reads directly, because a stat is far cheaper than a
// git process on every hover: whether one changed (the shallow list, the index), and the shallow list.
import { readFile, stat } from 'node:fs/promises';

/** Where git keeps a repository's files, when the caller has asked git already. */
export interface GitLocations {
  /** `git rev-parse --git-path shallow`, resolved. */
  shallowFile?: string;
  /** `git rev-parse --git-common-dir`, resolved: one for all worktrees of a repository. */
  commonDir?: string;
}

export interface ShallowState {
  /** `fileSignature` of the shallow file, or 'absent': when it changes, a fetch deepened or cut history. */
  signature: string;
  commits: ReadonlySet<string>;
}

/** Changes whenever the file is rewritten (git replaces these files by rename); 'absent' when it is not there. */
export async function fileSignature(file: string): Promise<string> {
  try {
    const info = await stat(file);
    return `${info.mtimeMs}:${info.size}:${info.ino}`;
  } catch {
    return 'absent';
  }
}

/** The commits a shallow clone lists in its `shallow` file (their parents were cut off). */
export async function readShallowCommits(file: string): Promise<Set<string>> {
  try {
    const text = await readFile(file, 'utf8');
    return new Set(text.split('\n').map((line) => line.trim().toLowerCase()).filter((line) => line !== ''));
  } catch {
    return new Set();
  }
}
