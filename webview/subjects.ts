// Pull-request numbers in commit subjects, for the stage panel's commit lists. Times and counts are
// worded by src/core/format.ts, shared with the tree and the hovers.

/**
 * A subject split around the pull request it names, so the number can be rendered as a link: GitHub's
 * squash subjects end with `(#123)`, merge commits say `Merge pull request #123 from …`. Undefined when it
 * names none.
 */
export function splitSubject(subject: string): { before: string; pr: number; after: string } | undefined {
  const match = /^(Merge pull request )#(\d+)(\b.*)$/.exec(subject) ?? /^(.*\()#(\d+)(\)\s*)$/.exec(subject);
  if (!match || match[1] === undefined || match[2] === undefined || match[3] === undefined) return undefined;
  const pr = Number(match[2]);
  if (!Number.isSafeInteger(pr) || pr <= 0) return undefined;
  return { before: match[1], pr, after: match[3] };
}
