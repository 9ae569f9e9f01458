// "Where is this commit deployed?" in the editor, wired in one call from the composition root: the
// commit hover, the current-line annotation, the palette commands and the commit watches.
import * as vscode from 'vscode';
import type { Logger } from '../log';
import type { ReleaseTreeModel } from '../tree/model';
import type { WorkspaceRepositories } from '../workspace';
import { registerWatchCommands } from '../watch/commands';
import { CommitWatches } from '../watch/watches';
import { CurrentLineAnnotation } from './annotation';
import { registerCommitCommands } from './commands';
import { CommitInsights } from './insights';
import { CommitHoverProvider, HOVER_SELECTOR } from './provider';

export interface CommitInsightsDeps {
  context: vscode.ExtensionContext;
  model: ReleaseTreeModel;
  workspace: WorkspaceRepositories;
  log: Logger;
}

/** What the tests reach through FlightdeckApi.commits. */
export interface CommitInsightsApi {
  insights: CommitInsights;
  hoverProvider: CommitHoverProvider;
  annotation: CurrentLineAnnotation;
  watches: CommitWatches;
}

export function registerCommitInsights(deps: CommitInsightsDeps): CommitInsightsApi & { disposables: vscode.Disposable[] } {
  const insights = new CommitInsights(deps.model, deps.workspace, deps.log);
  const hoverProvider = new CommitHoverProvider(insights);
  const annotation = new CurrentLineAnnotation(insights, deps.log);
  const watches = new CommitWatches(deps.context.globalState, deps.model, deps.workspace, deps.log);
  const disposables: vscode.Disposable[] = [
    insights,
    annotation,
    watches,
    vscode.languages.registerHoverProvider(HOVER_SELECTOR, hoverProvider),
    ...registerCommitCommands({ insights, model: deps.model, log: deps.log }),
    ...registerWatchCommands({ insights, watches, model: deps.model, log: deps.log }),
  ];
  return { insights, hoverProvider, annotation, watches, disposables };
}

export type { CommitWatch } from '../watch/evaluate';
export type { WatchNotification } from '../watch/watches';
export type { WhereAnswer } from './commands';
