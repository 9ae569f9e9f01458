// A leaf module: the commands, the tree and the workspace share this type without importing each other.

/** Counts commits a change adds (positive) or removes, from the local repository when it has both. */
export interface CommitCounter {
  count(fromCommit: string, toCommit: string): Promise<{ added: number; removed: number } | undefined>;
}
