// Builds the demo's git repository: a small service with a believable history (feature branches merged
// through pull requests, fixes, several release candidates). This is the one place that writes with git,
// and it writes only into a new directory it was asked to create, never into a user's repository.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DemoCandidate {
  release_candidate_version: string;
  commit: string;
}

interface Step {
  /** A commit on main, or a feature branch merged by a pull request. */
  kind: 'commit' | 'merge';
  subject: string;
  author: string;
  file: string;
  line: string;
  /** Cut a release candidate at this point. */
  candidate?: string;
}

const AUTHORS: Record<string, string> = {
  ada: 'Ada Lovelace <ada@acme.example>',
  grace: 'Grace Hopper <grace@acme.example>',
  linus: 'Linus Park <linus@acme.example>',
  margaret: 'Margaret Hamilton <margaret@acme.example>',
};

const HISTORY: Step[] = [
  { kind: 'commit', subject: 'Initial payments service', author: 'ada', file: 'src/server.js', line: "const http = require('node:http');" },
  { kind: 'commit', subject: 'Add health endpoint', author: 'grace', file: 'src/health.js', line: 'exports.health = () => ({ ok: true });' },
  { kind: 'merge', subject: 'Charge cards through the gateway', author: 'linus', file: 'src/charge.js', line: 'exports.charge = (card, cents) => gateway.charge(card, cents);', candidate: '1.0.0-rc1' },
  { kind: 'commit', subject: 'Retry declined charges once', author: 'margaret', file: 'src/charge.js', line: '// retry a soft decline once before failing' },
  { kind: 'merge', subject: 'Refunds API', author: 'ada', file: 'src/refund.js', line: 'exports.refund = (id) => gateway.refund(id);', candidate: '1.1.0-rc1' },
  { kind: 'commit', subject: 'Fix rounding of refund amounts', author: 'grace', file: 'src/refund.js', line: '// amounts are integer cents; never round floats', candidate: '1.1.0-rc2' },
  { kind: 'merge', subject: 'Idempotency keys for charges', author: 'linus', file: 'src/idempotency.js', line: 'exports.key = (req) => req.headers["idempotency-key"];' },
  { kind: 'commit', subject: 'Log gateway latency', author: 'margaret', file: 'src/server.js', line: '// log how long the gateway took' },
  { kind: 'merge', subject: 'Multi-currency support', author: 'ada', file: 'src/currency.js', line: "exports.currencies = ['EUR', 'USD', 'GBP'];", candidate: '1.2.0-rc1' },
  { kind: 'commit', subject: 'Cache exchange rates for 60 s', author: 'grace', file: 'src/currency.js', line: '// rates change slowly; one fetch a minute is enough' },
  { kind: 'merge', subject: 'Webhooks for settled payments', author: 'linus', file: 'src/webhooks.js', line: 'exports.notify = (event) => queue.push(event);', candidate: '1.3.0-rc1' },
  { kind: 'commit', subject: 'Tighten webhook signature check', author: 'margaret', file: 'src/webhooks.js', line: '// compare signatures in constant time', candidate: '1.3.1-rc1' },
];

export function createDemoRepository(dir: string, startEpochSeconds: number): DemoCandidate[] {
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(path.join(dir, '.git'))) throw new Error(`${dir} already holds a git repository`);
  let clock = startEpochSeconds;
  let pr = 11;
  const git = (args: string[], author = AUTHORS.ada as string): string => {
    const [name, email] = author.replace('>', '').split(' <') as [string, string];
    const date = `${clock} +0000`;
    return execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email, GIT_COMMITTER_DATE: date,
        GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  };
  const write = (file: string, line: string): void => {
    const full = path.join(dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.appendFileSync(full, `${line}\n`);
  };
  git(['init', '--quiet', '--initial-branch=main']);
  git(['remote', 'add', 'origin', 'https://github.com/acme/payments.git']);
  fs.writeFileSync(path.join(dir, 'README.md'), '# payments\n\nThe demo service of Flightdeck: charges, refunds and webhooks.\n');
  git(['add', '-A']);
  git(['commit', '--quiet', '-m', 'Start the payments service']);
  const candidates: DemoCandidate[] = [];
  for (const step of HISTORY) {
    clock += 9 * 3600;
    const author = AUTHORS[step.author] ?? (AUTHORS.ada as string);
    if (step.kind === 'commit') {
      write(step.file, step.line);
      git(['add', '-A'], author);
      git(['commit', '--quiet', '-m', step.subject], author);
    } else {
      const branch = `feature/${step.subject.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}`;
      git(['checkout', '--quiet', '-b', branch], author);
      write(step.file, step.line);
      git(['add', '-A'], author);
      git(['commit', '--quiet', '-m', step.subject], author);
      write(step.file, `// tests for: ${step.subject.toLowerCase()}`);
      git(['add', '-A'], author);
      git(['commit', '--quiet', '-m', `Test ${step.subject.toLowerCase()}`], author);
      git(['checkout', '--quiet', 'main'], author);
      clock += 3600;
      git(['merge', '--quiet', '--no-ff', '-m', `Merge pull request #${pr++} from acme/${branch}\n\n${step.subject}`, branch], author);
      git(['branch', '--quiet', '-d', branch], author);
    }
    if (step.candidate) {
      const commit = git(['rev-parse', 'HEAD']);
      git(['tag', `v${step.candidate}`], author);
      candidates.push({ release_candidate_version: step.candidate, commit });
    }
  }
  return candidates;
}
