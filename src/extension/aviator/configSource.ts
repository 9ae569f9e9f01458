// Where an Aviator backend learns the projects it cannot list: `.flightdeck.json` at the root of each
// workspace folder (read with vscode.workspace.fs, so remote and virtual workspaces work), then the setting
// `flightdeck.aviator.projects`. Watched: an edit, a new file or a deleted one fires onDidChange, and the
// next listing uses the new configuration (AviatorBackend reads `load()` on every listing).
import * as vscode from 'vscode';
import {
  EMPTY_PROJECT_CONFIG, PROJECT_CONFIG_FILE, mergeProjectConfigs, parseProjectConfigText, parseProjectConfigValue,
  type ProjectConfig,
} from '../../core/projectConfig';
import type { Logger } from '../log';
import { describeError } from '../../core/errors';
import { AVIATOR_PROJECTS_SETTING, readAviatorProjectsSetting } from '../config';

/** The setting's key (src/extension/config.ts reads it). */
export const PROJECTS_SETTING = AVIATOR_PROJECTS_SETTING;
const SETTING_SOURCE = 'the setting flightdeck.aviator.projects';
/** Saving a file fires create/change in bursts: re-read once per burst. */
const RELOAD_DELAY_MS = 100;

export class ProjectConfigSource implements vscode.Disposable {
  private config: ProjectConfig = EMPTY_PROJECT_CONFIG;
  private loading: Promise<ProjectConfig> | undefined;
  private loaded = false;
  private reloadTimer: NodeJS.Timeout | undefined;
  private watchers: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<ProjectConfig>();
  /** The configuration changed (after a re-read). */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly log?: Logger) {
    this.watchFolders();
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.watchFolders();
        this.scheduleReload();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`flightdeck.${PROJECTS_SETTING}`)) this.scheduleReload();
      }),
    );
  }

  /** The configuration as last read (empty before the first `load()`). */
  get current(): ProjectConfig {
    return this.config;
  }

  /** The configuration, reading it first if it never was; what AviatorBackend's `projects` calls. */
  load(): Promise<ProjectConfig> {
    if (this.loaded) return Promise.resolve(this.config);
    return this.reload();
  }

  /** Reads every source now (e.g. right after writing the file, without waiting for the watcher). */
  reload(): Promise<ProjectConfig> {
    this.loading ??= this.read().then((config) => {
      const changed = JSON.stringify(config) !== JSON.stringify(this.config);
      this.config = config;
      this.loaded = true;
      if (changed) {
        for (const problem of config.problems) this.log?.warn(`Project configuration: ${problem}`);
        this.log?.info(`Project configuration: ${config.projects.map((p) => `${p.name} (${p.environments.map((e) => e.name).join(' → ')})`).join(', ') || 'no projects'}`);
        this.changeEmitter.fire(config);
      }
      return config;
    }).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Where the first folder's `.flightdeck.json` is (or would be). */
  fileUri(folder = vscode.workspace.workspaceFolders?.[0]): vscode.Uri | undefined {
    return folder ? vscode.Uri.joinPath(folder.uri, PROJECT_CONFIG_FILE) : undefined;
  }

  private async read(): Promise<ProjectConfig> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const fromFiles = await Promise.all(folders.map(async (folder) => {
      const source = folders.length > 1 ? `${folder.name}/${PROJECT_CONFIG_FILE}` : PROJECT_CONFIG_FILE;
      const uri = vscode.Uri.joinPath(folder.uri, PROJECT_CONFIG_FILE);
      let bytes: Uint8Array;
      try {
        bytes = await vscode.workspace.fs.readFile(uri);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        return { projects: [], problems: [`${source} cannot be read: ${describeError(error)}`], source };
      }
      return { ...parseProjectConfigText(new TextDecoder().decode(bytes), source), source };
    }));
    const sources = fromFiles.filter((c) => c !== undefined);
    const setting = readAviatorProjectsSetting();
    if (setting !== undefined && setting !== null && !(Array.isArray(setting) && setting.length === 0)) {
      sources.push({ ...parseProjectConfigValue(setting, SETTING_SOURCE), source: SETTING_SOURCE });
    }
    return mergeProjectConfigs(sources);
  }

  private watchFolders(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = (vscode.workspace.workspaceFolders ?? []).flatMap((folder) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, PROJECT_CONFIG_FILE));
      const reload = (): void => this.scheduleReload();
      return [watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload), watcher.onDidDelete(reload)];
    });
  }

  private scheduleReload(): void {
    // Nobody asked yet (Flightdeck's own server is in use): read lazily on the first load().
    if (!this.loaded) return;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reload();
    }, RELOAD_DELAY_MS);
  }

  dispose(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const d of [...this.watchers, ...this.disposables]) d.dispose();
    this.changeEmitter.dispose();
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof vscode.FileSystemError && (error.code === 'FileNotFound' || error.code === 'EntryNotFound')) return true;
  return /FileNotFound|EntryNotFound|ENOENT/.test(String((error as { code?: unknown })?.code ?? '') + String(error));
}
