// The `expected_current` precondition (API.md): a mutation names the candidate it believes is live, so a
// stale screen cannot act on a changed environment. The server checks it inside its transaction; the
// Aviator adapter, whose API has no such field, checks it just before sending. Both say it in these words.

/** Undefined when the precondition holds (or none was given); else the sentence of the 409. */
export function expectedCurrentConflict(expected: string | null | undefined, actual: string | null): string | undefined {
  if (expected === undefined || expected === actual) return undefined;
  return `The environment runs ${actual ?? 'nothing'}, not ${expected ?? 'nothing'}`;
}
