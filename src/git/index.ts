// The git adapter's public face: import from here, not from the files behind it.
export { GitRepository, UNCOMMITTED, type BlameOptions, type CommitInfo, type GitRepositoryOptions } from './repository';
export { AncestryIndex, isFullSha, type AncestryCacheStats, type AncestryIndexOptions } from './ancestry';
export { GitCommandError, GitNotFoundError, NotAGitRepositoryError } from './exec';
export {
  githubRepositoryOf, githubWebHost, parseRemoteVerbose, parseRepositoryLocation, projectsForRemotes, repoMatchesRemote,
  type RemoteUrl, type RepositoryLocation,
} from './remotes';
