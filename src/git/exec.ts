// Runs git: `execFile('git', ['-C', repoDir, ...args])`, never a shell, and only read-only commands (the
// callers' business; this module sets what keeps even reads from writing: no optional locks, no prompts).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export class GitNotFoundError extends Error {
  constructor() {
    super('git was not found on PATH; install git to see where commits are deployed.');
    this.name = 'GitNotFoundError';
  }
}

export class NotAGitRepositoryError extends Error {
  constructor(readonly repoDir: string, detail: string) {
    super(`${repoDir} is not a git repository (${detail}).`);
    this.name = 'NotAGitRepositoryError';
  }
}

export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    reason: string,
  ) {
    super(`git ${args.join(' ')} failed: ${reason}`);
    this.name = 'GitCommandError';
  }
}

export interface GitRunOptions {
  /** Written to git's stdin (then closed). */
  input?: string;
  /** Exit codes that are answers, not failures (e.g. 1 from `merge-base --is-ancestor`). */
  okExitCodes?: readonly number[];
  /** Above this many bytes of stdout git is killed and the call fails with `StdoutLimitError`. */
  maxStdoutBytes?: number;
  timeoutMs?: number;
}

export interface GitOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class StdoutLimitError extends Error {
  constructor(readonly args: readonly string[], readonly limitBytes: number) {
    super(`git ${args.join(' ')} printed more than ${limitBytes} bytes`);
    this.name = 'StdoutLimitError';
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_STDOUT_BYTES = 64 * 1024 * 1024;

/** Variables that would point git at another repository than `-C repoDir` (e.g. when run from a hook). */
const REPOSITORY_LOCATING_VARIABLES = [
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX',
];

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of REPOSITORY_LOCATING_VARIABLES) delete env[name];
  // No index refresh written behind the user's back, no credential prompt, messages we can recognise.
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  return env;
}

export function runGit(repoDir: string, args: readonly string[], options: GitRunOptions = {}): Promise<GitOutput> {
  const fullArgs = ['-C', repoDir, ...args];
  const maxStdoutBytes = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      fullArgs,
      {
        encoding: 'utf8',
        env: gitEnvironment(),
        maxBuffer: maxStdoutBytes,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr, exitCode: 0 });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (code === 'ENOENT') return reject(new GitNotFoundError());
        if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new StdoutLimitError(args, maxStdoutBytes));
        if (error.killed || (error as { signal?: unknown }).signal) {
          return reject(new GitCommandError(args, null, stderr, `killed after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms or by a signal`));
        }
        const exitCode = typeof code === 'number' ? code : null;
        if (exitCode !== null && options.okExitCodes?.includes(exitCode)) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        const notRepository = notARepositoryReason(stderr);
        if (notRepository) return reject(new NotAGitRepositoryError(repoDir, notRepository));
        reject(new GitCommandError(args, exitCode, stderr, firstLine(stderr) || `exit code ${String(exitCode)}`));
      },
    );
    // A git that exits before reading its input closes the pipe; that error is reported by the callback.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * Like `runGit`, but git's stdout goes straight into `outputFile` (created, mode 0600). For the one big
 * read, the ancestry walk: through a pipe git stalls on every 4 KiB write until the reader wakes, which
 * doubles the walk's time. `execFile` cannot redirect stdout, so this is `spawn` with the same argument
 * vector, `shell: false` and the same environment: still no shell anywhere.
 */
export async function runGitToFile(
  repoDir: string,
  args: readonly string[],
  outputFile: string,
  options: Pick<GitRunOptions, 'input' | 'timeoutMs'> = {},
): Promise<void> {
  const output = await open(outputFile, 'w', 0o600);
  try {
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const child = spawn('git', ['-C', repoDir, ...args], {
        env: gitEnvironment(),
        shell: false,
        stdio: ['pipe', output.fd, 'pipe'],
        windowsHide: true,
      });
      let stderr = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill();
      }, timeoutMs);
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        if (stderr.length < 64 * 1024) stderr += chunk;
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(error.code === 'ENOENT' ? new GitNotFoundError() : error);
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        if (exitCode === 0) return resolve();
        if (timedOut || signal) return reject(new GitCommandError(args, null, stderr, `killed after ${timeoutMs} ms or by a signal`));
        const notRepository = notARepositoryReason(stderr);
        if (notRepository) return reject(new NotAGitRepositoryError(repoDir, notRepository));
        reject(new GitCommandError(args, exitCode, stderr, firstLine(stderr) || `exit code ${String(exitCode)}`));
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input ?? '');
    });
  } finally {
    await output.close();
  }
}

/** `runGitToFile` into a private temp dir (outside the repository), read back and removed. */
export async function runGitToBuffer(
  repoDir: string,
  args: readonly string[],
  options: Pick<GitRunOptions, 'input' | 'timeoutMs'> = {},
): Promise<Buffer> {
  const scratchDir = await mkdtemp(path.join(os.tmpdir(), 'flightdeck-git-'));
  const outputFile = path.join(scratchDir, 'stdout');
  try {
    await runGitToFile(repoDir, args, outputFile, options);
    return await readFile(outputFile);
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

function notARepositoryReason(stderr: string): string | undefined {
  if (/not a git repository/i.test(stderr)) return 'no .git found in it or its parents';
  const cannotChange = /cannot change to '.*': (.*)/i.exec(stderr);
  if (cannotChange) return (cannotChange[1] ?? 'cannot enter it').trim();
  if (/dubious ownership/i.test(stderr)) return 'git refuses it: dubious ownership, see `git config safe.directory`';
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.replace(/^(fatal|error): /, '').trim() ?? '';
}
