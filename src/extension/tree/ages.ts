// Keeps the relative times in the tree ("2m ago") true without fetching: while the view is visible, the
// rows that show one are re-rendered from the cached data every AGE_RENDER_MS. Nothing runs while hidden;
// showing the view again renders at once.
import * as vscode from 'vscode';
import { formatAge } from '../../core/format';

/** Ages read in minutes ("5m ago") past the first minute: every 30 s keeps them right. */
export const AGE_RENDER_MS = 30_000;

export class AgeTicker implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly view: vscode.TreeView<unknown>,
    private readonly provider: { renderAges(): void },
    private intervalMs = AGE_RENDER_MS,
  ) {
    this.subscription = view.onDidChangeVisibility(() => this.restart(true));
    this.restart(false);
  }

  /** For the tests, which cannot wait 30 s: a shorter interval, applied at once. */
  setInterval(ms: number): void {
    this.intervalMs = ms;
    this.restart(false);
  }

  private restart(renderNow: boolean): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.view.visible) return;
    if (renderNow) this.provider.renderAges();
    this.timer = setInterval(() => this.provider.renderAges(), this.intervalMs);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.subscription.dispose();
  }
}

/** formatAge at the ticker's resolution: "just now" for the first minute, then "5m ago", "2h ago". */
export function treeAge(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (!Number.isNaN(then) && now - then < 60_000) return 'just now';
  return formatAge(iso, now);
}
