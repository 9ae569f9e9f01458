// Types of scripts/test-logs.mjs, for the test that checks it.
export const SECRETS_FILE: RegExp;
export function findTokensInLogs(dir: string | undefined, outputs?: Record<string, string>): string[];
