// Typed access to the commit-insight settings, so no other file spells their keys.
import * as vscode from 'vscode';

/** Where hovering shows the blame of a line: over the current-line annotation only, anywhere on a line, or never. */
export type BlameHoverMode = 'annotation' | 'line' | 'off';

export interface InsightSettings {
  /** `flightdeck.hover.commits`: the hover on SHAs in any text. */
  commitHover: boolean;
  /** `flightdeck.blame.hover`. */
  blameHover: BlameHoverMode;
  /** `flightdeck.blame.currentLine`: the annotation at the end of the cursor's line. */
  currentLine: boolean;
}

export function readInsightSettings(): InsightSettings {
  const config = vscode.workspace.getConfiguration('flightdeck');
  const mode = config.get<string>('blame.hover', 'annotation');
  return {
    commitHover: config.get<boolean>('hover.commits', true) !== false,
    blameHover: mode === 'line' || mode === 'off' ? mode : 'annotation',
    currentLine: config.get<boolean>('blame.currentLine', true) !== false,
  };
}

export function affectsInsightSettings(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration('flightdeck.blame') || event.affectsConfiguration('flightdeck.hover');
}
