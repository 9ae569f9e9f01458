// The commit hover: on a SHA in any text, where that commit is deployed; at the end of a line of a
// tracked file (over the current-line annotation) or anywhere on it (setting), the same for the commit
// that last changed the line. One provider decides which, so a position never gets both sections.
// Time-boxed: after HOVER_TIME_BOX_MS it answers with what it knows, and the work left goes on into the
// caches for the next hover.
import * as vscode from 'vscode';
import type { CommitInsights } from './insights';
import { TIMED_OUT, within } from './cache';
import {
  HOVER_COMMANDS, commitHoverMarkdown, findShaAt, missingCommitMarkdown, uncommittedMarkdown,
  type DeploymentState, type ShaToken,
} from './present';
import { readInsightSettings } from '../config';

export const HOVER_TIME_BOX_MS = 1500;

/** Where the hover works: files, unsaved buffers, git's views of files, the commit message box, logs. */
export const HOVER_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file' },
  { scheme: 'untitled' },
  { scheme: 'git' },
  { scheme: 'vscode-scm' },
  { scheme: 'output' },
  { scheme: 'vscode-notebook-cell' },
  { scheme: 'comment' },
];

export class CommitHoverProvider implements vscode.HoverProvider {
  constructor(private readonly insights: CommitInsights, private readonly timeBoxMs: number = HOVER_TIME_BOX_MS) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const started = Date.now();
    const remaining = (): number => this.timeBoxMs - (Date.now() - started);
    let listener: vscode.Disposable | undefined;
    const cancelled = new Promise<void>((resolve) => {
      listener = token.onCancellationRequested(() => resolve());
    });
    try {
      return await this.hover(document, position, token, remaining, cancelled);
    } catch {
      // A hover is a glance: a failure (git gone, a broken repository) shows nothing rather than an error.
      return undefined;
    } finally {
      listener?.dispose();
    }
  }

  private async hover(
    document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken, remaining: () => number, cancelled: Promise<void>,
  ): Promise<vscode.Hover | undefined> {
    const settings = readInsightSettings();
    const line = document.lineAt(position.line);
    if (settings.commitHover) {
      const sha = findShaAt(line.text, position.character);
      if (sha) {
        const hover = await this.shaHover(document, position.line, sha, remaining, cancelled);
        if (token.isCancellationRequested) return undefined;
        if (hover) return hover;
      }
    }
    const atLineEnd = position.character >= line.text.length;
    if (settings.blameHover === 'line' || (settings.blameHover === 'annotation' && atLineEnd)) {
      const hover = await this.blameHover(document, position.line, remaining, cancelled);
      return token.isCancellationRequested ? undefined : hover;
    }
    return undefined;
  }

  private async shaHover(
    document: vscode.TextDocument, line: number, sha: ShaToken, remaining: () => number, cancelled: Promise<void>,
  ): Promise<vscode.Hover | undefined> {
    const range = new vscode.Range(line, sha.start, line, sha.end);
    // Local first: nothing is shown (or asked of anyone) for a token that is not a commit of this workspace.
    const identity = await within(this.insights.identify(document.uri, sha.text), remaining(), cancelled);
    if (identity === TIMED_OUT) return undefined;
    if (!identity) {
      const missing = this.insights.missingDeployedCommit(sha.text);
      const text = missing ? missingCommitMarkdown(missing) : undefined;
      return text ? new vscode.Hover(trusted(text), range) : undefined;
    }
    const deployments = await this.deployments(identity.repo, identity.sha, document.uri, remaining, cancelled);
    const text = commitHoverMarkdown({ kind: 'sha', sha: identity.sha }, identity.info, deployments);
    return text ? new vscode.Hover(trusted(text), range) : undefined;
  }

  private async blameHover(document: vscode.TextDocument, line: number, remaining: () => number, cancelled: Promise<void>): Promise<vscode.Hover | undefined> {
    const blame = await within(this.insights.blame(document, line), remaining(), cancelled);
    if (blame === TIMED_OUT || blame === undefined) return undefined;
    const range = document.lineAt(line).range;
    if (blame.kind === 'uncommitted') return new vscode.Hover(trusted(uncommittedMarkdown(line + 1)), range);
    const info = await within(blame.repo.commitInfo(blame.sha).catch(() => undefined), remaining(), cancelled);
    const deployments = await this.deployments(blame.repo, blame.sha, document.uri, remaining, cancelled);
    const text = commitHoverMarkdown({ kind: 'blame', sha: blame.sha, line: line + 1 }, info === TIMED_OUT ? undefined : info, deployments);
    return text ? new vscode.Hover(trusted(text), range) : undefined;
  }

  private async deployments(
    repo: Parameters<CommitInsights['deployments']>[0], sha: string, uri: vscode.Uri, remaining: () => number, cancelled: Promise<void>,
  ): Promise<DeploymentState> {
    const answer = await within(this.insights.deployments(repo, sha, uri, remaining() - 100), remaining(), cancelled);
    return answer === TIMED_OUT ? { kind: 'pending' } : answer;
  }
}

/** Markdown that may run exactly the hover's commands, with theme icons and no raw HTML. */
export function trusted(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text, true);
  md.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
  md.supportHtml = false;
  return md;
}
