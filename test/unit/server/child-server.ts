// Runs `flightdeck serve` (src/cli/serve.ts) in a child process, no shell, and waits for its
// `listening on …` line.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordSecret, testLogPath } from '../helpers/test-logs';

const FIXTURE = path.join(__dirname, 'fixtures', 'serve-child.ts');

export interface ChildServer {
  process: ChildProcess;
  url: string;
  firstLine: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
  child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
  // In a run of scripts/test.mjs, what the server printed joins the run's logs, searched for tokens.
  recordSecret(env.FLIGHTDECK_ADMIN_TOKEN);
  const runLog = testLogPath('serve');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  if (runLog) child.on('close', () => fs.writeFileSync(runLog, `${stdout}${stderr}`));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 30 s; stderr: ${stderr}`)), 30_000);
    const check = (): void => {
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve(stdout.slice(0, newline));
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
  const url = /^listening on (http:\/\/\S+)$/.exec(firstLine)?.[1] ?? '';
  return { process: child, url, firstLine, stdout: () => stdout, stderr: () => stderr, exited };
}
