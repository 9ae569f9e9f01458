// Asking before a change to an environment that matters: protected or production-tier environments are
// confirmed on the terminal (y/N) unless --yes; without a terminal (a pipeline), --yes is required, so a
// script never changes production because nobody was there to say no.
import * as readline from 'node:readline';
import type { Environment } from '../api/schemas';

/** Asks a yes/no question; undefined when there is no terminal to ask on. */
export type Confirm = (question: string) => Promise<boolean | undefined>;

/** The terminal's question: y/N on stderr, read from stdin; undefined when stdin or stderr is no TTY. */
export const confirmOnTerminal: Confirm = async (question) => {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => prompt.question(`${question} [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
};

/** Why an environment needs a confirmation, or undefined when it needs none. */
export function needsConfirmation(environment: Pick<Environment, 'name' | 'protected' | 'tier'>): string | undefined {
  if (environment.protected) return `${environment.name} is protected`;
  if (environment.tier === 'production') return `${environment.name} is a production environment`;
  return undefined;
}

export class NotConfirmed extends Error {}

/**
 * Resolves when the change may go ahead: not needed, `--yes`, or a "y" on the terminal. Throws
 * NotConfirmed with a sentence otherwise.
 */
export async function confirmChange(
  environment: Pick<Environment, 'name' | 'protected' | 'tier'>, question: string, yes: boolean, confirm: Confirm, verb: string,
): Promise<void> {
  const why = needsConfirmation(environment);
  if (why === undefined || yes) return;
  const answer = await confirm(question);
  if (answer === undefined) {
    throw new NotConfirmed(`${why}: there is no terminal to confirm on, so ${verb} needs --yes.`);
  }
  if (!answer) throw new NotConfirmed('Nothing was changed.');
}
