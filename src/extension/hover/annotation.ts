// The current-line annotation: `a1b2c3d  ✓ canary · ✗ production` after the end of the cursor's line,
// for the commit that last changed it. It never blocks typing: it is computed off the input path after
// the cursor rests (debounced), cleared at once when the line changes or is edited, and dropped when the
// answer arrives for a cursor that has moved on.
import * as vscode from 'vscode';
import type { CommitInsights } from './insights';
import { describeError } from '../../core/errors';
import { TIMED_OUT, within } from './cache';
import { annotationText } from './present';
import { affectsInsightSettings, readInsightSettings } from '../config';
import type { Logger } from '../log';

/** Wait for the cursor to rest this long before asking git. */
export const ANNOTATION_DEBOUNCE_MS = 100;
/** After an edit, wait longer: blaming a dirty buffer sends all of it to git. */
const AFTER_EDIT_DEBOUNCE_MS = 1000;
/** Give up on one line's answer after this long (the hover has its own, shorter, time box). */
const ANSWER_TIMEOUT_MS = 5000;

export const ANNOTATION_COLOR = 'flightdeck.blameAnnotationForeground';

export interface ShownAnnotation {
  uri: string;
  /** 0-based. */
  line: number;
  text: string;
}

export class CurrentLineAnnotation implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor(ANNOTATION_COLOR),
      margin: '0 0 0 3em',
      fontStyle: 'normal',
      fontWeight: 'normal',
      textDecoration: 'none; white-space: pre',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedOpen,
  });
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by every event that makes an answer in flight stale. */
  private request = 0;
  private lastEditAt = 0;
  private shown: (ShownAnnotation & { editor: vscode.TextEditor }) | undefined;
  private idle: Promise<void> = Promise.resolve();
  private resolveIdle: (() => void) | undefined;

  constructor(private readonly insights: CommitInsights, private readonly log: Logger) {
    this.disposables.push(
      this.decoration,
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor !== vscode.window.activeTextEditor) return;
        const line = event.textEditor.selection.active.line;
        // Moving along the same line keeps the annotation; another line clears it at once.
        if (this.shown && this.shown.editor === event.textEditor && this.shown.line === line) return;
        this.clear();
        this.schedule();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.clear();
        this.schedule();
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length === 0) return;
        if (event.document !== vscode.window.activeTextEditor?.document) return;
        this.lastEditAt = Date.now();
        this.clear();
        this.schedule();
      }),
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (document === vscode.window.activeTextEditor?.document) this.schedule();
      }),
      // New deployments or a fetch: say the new answer, without blanking the old one first.
      insights.onDidChange(() => this.schedule()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!affectsInsightSettings(event)) return;
        this.clear();
        this.schedule();
      }),
    );
    this.schedule();
  }

  /** What is showing now (for tests and the API). */
  get current(): ShownAnnotation | undefined {
    return this.shown ? { uri: this.shown.uri, line: this.shown.line, text: this.shown.text } : undefined;
  }

  /** Resolves once no update is pending or running. */
  settled(): Promise<void> {
    return this.idle;
  }

  /** Recompute now (e.g. from a test), skipping the debounce. */
  refresh(): Promise<void> {
    this.schedule(0);
    return this.idle;
  }

  private schedule(delay?: number): void {
    if (this.timer) clearTimeout(this.timer);
    const id = ++this.request;
    if (!this.resolveIdle) this.idle = new Promise((resolve) => (this.resolveIdle = resolve));
    const wait = delay ?? (Date.now() - this.lastEditAt < AFTER_EDIT_DEBOUNCE_MS ? AFTER_EDIT_DEBOUNCE_MS : ANNOTATION_DEBOUNCE_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.update(id).catch((error: unknown) => this.log.info(`Current-line annotation: ${describeError(error)}`)).finally(() => {
        if (id === this.request && this.resolveIdle) {
          this.resolveIdle();
          this.resolveIdle = undefined;
        }
      });
    }, wait);
  }

  private async update(id: number): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!readInsightSettings().currentLine || !editor || editor.document.uri.scheme !== 'file') {
      this.clear();
      return;
    }
    const document = editor.document;
    const line = editor.selection.active.line;
    const version = document.version;
    const stale = (): boolean =>
      id !== this.request || vscode.window.activeTextEditor !== editor || editor.selection.active.line !== line || document.version !== version;

    const blame = await within(this.insights.blame(document, line), ANSWER_TIMEOUT_MS);
    if (stale()) return;
    // Untracked files, uncommitted lines and files outside a repository get no annotation.
    if (blame === TIMED_OUT || blame === undefined || blame.kind !== 'commit') {
      this.clear();
      return;
    }
    const state = await within(this.insights.deployments(blame.repo, blame.sha, document.uri, ANSWER_TIMEOUT_MS), ANSWER_TIMEOUT_MS);
    if (stale()) return;
    const text = state !== TIMED_OUT && state.kind === 'ready' ? annotationText(blame.sha, state.projects) : undefined;
    if (!text) {
      this.clear();
      return;
    }
    if (this.shown?.editor === editor && this.shown.line === line && this.shown.text === text) return;
    const end = document.lineAt(line).range.end;
    editor.setDecorations(this.decoration, [{ range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } }]);
    this.shown = { editor, uri: document.uri.toString(), line, text };
  }

  private clear(): void {
    if (!this.shown) return;
    this.shown.editor.setDecorations(this.decoration, []);
    this.shown = undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.resolveIdle?.();
    this.clear();
    for (const d of this.disposables) d.dispose();
  }
}
