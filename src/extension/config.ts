// Typed access to every Flightdeck setting: the only file that reads them, so no other file spells a key.
import * as vscode from 'vscode';
import { AVIATOR_SAAS_URL } from '../client/aviator';
import { GITHUB_API_URL } from '../client/github';
import type { EnvTokenScope } from '../core/origin';

export type ServerKind = 'flightdeck' | 'aviator' | 'github';

export interface FlightdeckConfig {
  /** Explicit server URL from the setting, else FLIGHTDECK_SERVER, else Aviator's SaaS URL when the kind is
   * `aviator`, else undefined (embedded). For `github` it is the API URL (`flightdeck.github.apiUrl`). */
  serverUrl: string | undefined;
  serverKind: ServerKind;
  pollSeconds: number;
  /** Which server origins FLIGHTDECK_TOKEN may be sent to: the user's choices, not a workspace's. */
  envTokenScope: EnvTokenScope;
  /** `debug` adds the embedded server's request logs and other detail to Output → Flightdeck. */
  logLevel: LogLevel;
}

export type LogLevel = 'info' | 'debug';

export function readConfig(env: NodeJS.ProcessEnv = process.env): FlightdeckConfig {
  const config = vscode.workspace.getConfiguration('flightdeck');
  const fromSetting = config.get<string>('server.url', '').trim();
  const fromEnv = (env.FLIGHTDECK_SERVER ?? '').trim();
  const kind = config.get<string>('server.kind', 'flightdeck');
  const poll = config.get<number>('refresh.pollSeconds', 30);
  const serverKind: ServerKind = kind === 'aviator' || kind === 'github' ? kind : 'flightdeck';
  const fromUserSettings = config.inspect<string>('server.url')?.globalValue;
  return {
    serverUrl: serverKind === 'github'
      ? readGitHubApiUrl()
      : fromSetting || fromEnv || (serverKind === 'aviator' ? AVIATOR_SAAS_URL : undefined),
    serverKind,
    pollSeconds: Number.isFinite(poll) ? Math.min(3600, Math.max(5, poll)) : 30,
    envTokenScope: {
      explicitOrigin: env.FLIGHTDECK_TOKEN_ORIGIN || undefined,
      envServerUrl: fromEnv || undefined,
      userServerUrl: typeof fromUserSettings === 'string' && fromUserSettings.trim() ? fromUserSettings.trim() : undefined,
    },
    logLevel: readLogLevel(),
  };
}

/** Read on every debug line: cheap, and a changed setting applies at once. */
export function readLogLevel(): LogLevel {
  return vscode.workspace.getConfiguration('flightdeck').get<string>('log.level', 'info') === 'debug' ? 'debug' : 'info';
}

export function affectsConnection(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration('flightdeck.server') || event.affectsConfiguration('flightdeck.github');
}

/** `flightdeck.github.apiUrl` without a trailing slash; GitHub's public API when empty or not a URL. */
export function readGitHubApiUrl(): string {
  const value = vscode.workspace.getConfiguration('flightdeck').get<string>('github.apiUrl', GITHUB_API_URL).trim().replace(/\/+$/, '');
  return /^https?:\/\/[^/]/i.test(value) ? value : GITHUB_API_URL;
}

/** VS Code's own `github-enterprise.uri`: the server its GitHub Enterprise sign-in is for. */
export function readGitHubEnterpriseUri(): string | undefined {
  return vscode.workspace.getConfiguration('github-enterprise').get<string>('uri') || undefined;
}

/** `flightdeck.github.repositories`: `owner/name` entries, the malformed ones left out. */
export function readGitHubRepositories(): string[] {
  const value = vscode.workspace.getConfiguration('flightdeck').get<unknown>('github.repositories', []);
  if (!Array.isArray(value)) return [];
  return value.filter((r): r is string => typeof r === 'string').map((r) => r.trim()).filter((r) => /^[\w.-]+\/[\w.-]+$/.test(r));
}

/** Connect to Server… and Use Embedded Server choose a Flightdeck server: not GitHub any more, wherever it was set. */
export async function clearGitHubKind(): Promise<void> {
  const config = vscode.workspace.getConfiguration('flightdeck');
  const kind = config.inspect<string>('server.kind');
  if (kind?.workspaceFolderValue === 'github') await config.update('server.kind', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
  if (kind?.workspaceValue === 'github') await config.update('server.kind', undefined, vscode.ConfigurationTarget.Workspace);
  if (kind?.globalValue === 'github') await config.update('server.kind', undefined, vscode.ConfigurationTarget.Global);
}

/** Sets `flightdeck.server.kind`, in the user's settings or this workspace's. */
export async function setServerKind(kind: ServerKind, target: vscode.ConfigurationTarget): Promise<void> {
  await vscode.workspace.getConfiguration('flightdeck').update('server.kind', kind, target);
}

export async function setServerUrl(url: string): Promise<void> {
  await vscode.workspace.getConfiguration('flightdeck').update('server.url', url, vscode.ConfigurationTarget.Global);
}

/** `flightdeck.projects`: monorepo folders or globs mapped to release project names. */
export function readProjectMapping(): Record<string, string> {
  return vscode.workspace.getConfiguration('flightdeck').get<Record<string, string>>('projects', {});
}

/** `flightdeck.aviator.projects`, as written (parsed by core/projectConfig). */
export const AVIATOR_PROJECTS_SETTING = 'aviator.projects';

export function readAviatorProjectsSetting(): unknown {
  return vscode.workspace.getConfiguration('flightdeck').get<unknown>(AVIATOR_PROJECTS_SETTING);
}

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

/** `flightdeck.notifications.*`: which approval notifications are shown. */
export interface ApprovalNotificationSettings {
  /** A deployment starts waiting for an approval the user may give. */
  requests: boolean;
  /** A request of the user's is approved, rejected or expires. */
  decisions: boolean;
}

export function readApprovalNotificationSettings(): ApprovalNotificationSettings {
  const config = vscode.workspace.getConfiguration('flightdeck');
  return {
    requests: config.get<boolean>('notifications.approvalRequests', true) !== false,
    decisions: config.get<boolean>('notifications.approvalDecisions', true) !== false,
  };
}
