// No token in any log of a test run. scripts/test.mjs gives every tier FLIGHTDECK_TEST_LOG_DIR: the test
// servers write their logs there (test/unit/helpers/test-logs.ts), with the literal secrets the tests
// gave them (admin tokens, which have no fixed shape). After the tiers, this looks through those logs and
// the tiers' own output (the VS Code tier's includes the extension host's console) for any of them and
// for anything shaped like a Flightdeck token (`fdt_…`, src/server/service/tokens.ts TOKEN_SHAPE).
//
//   node scripts/test-logs.mjs DIR   checks DIR alone (exit code 1 when a token is found)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files in the log directory that list secrets, one a line, rather than logs. */
export const SECRETS_FILE = /^secrets-.*\.txt$/;
const TOKEN_SHAPE = /fdt_[A-Za-z0-9_-]{43}/g;

/**
 * Where a token shows in the logs of `dir` or in `outputs` (name → text): one line per finding, the
 * token itself never repeated (only its first characters).
 */
export function findTokensInLogs(dir, outputs = {}) {
  const files = dir ? readdirSync(dir).filter((name) => !name.startsWith('.')) : [];
  const secrets = new Set();
  for (const name of files.filter((file) => SECRETS_FILE.test(file))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line.trim().length >= 8) secrets.add(line.trim());
  }
  const texts = [
    ...files.filter((file) => !SECRETS_FILE.test(file)).map((file) => [file, readFileSync(join(dir, file), 'utf8')]),
    ...Object.entries(outputs),
  ];
  const findings = [];
  for (const [name, text] of texts) {
    const shaped = new Set(text.match(TOKEN_SHAPE) ?? []);
    for (const secret of secrets) if (text.includes(secret)) shaped.add(secret);
    for (const token of shaped) findings.push(`${name}: a token (${token.slice(0, 8)}…) appears in the log`);
  }
  return findings;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/test-logs.mjs DIR');
    process.exit(2);
  }
  const findings = findTokensInLogs(dir);
  for (const finding of findings) console.error(finding);
  console.log(findings.length === 0 ? `no token in the logs of ${dir}` : `${findings.length} token(s) in the logs`);
  process.exitCode = findings.length === 0 ? 0 : 1;
}
