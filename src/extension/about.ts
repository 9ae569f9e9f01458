// "Flightdeck: About": the one version number (package.json's, which esbuild builds into every bundle,
// so the extension, `flightdeck --version` and /healthz all say it), the release server's version and
// where it runs, with a Copy button for bug reports. aboutLine() also opens the Flightdeck log.
import * as vscode from 'vscode';
import { VERSION } from '../api/version';
import type { SessionManager } from './session';
import { describeError } from '../core/errors';

const HEALTH_TIMEOUT_MS = 3000;

/** `Flightdeck 0.1.0 (VS Code 1.100.3, Node 20.20.2, linux-x64)`. */
export function aboutLine(): string {
  return `Flightdeck ${VERSION} (VS Code ${vscode.version}, Node ${process.versions.node}, ${process.platform}-${process.arch})`;
}

export function registerAbout(deps: { context: vscode.ExtensionContext; sessions: SessionManager }): vscode.Disposable {
  return vscode.commands.registerCommand('flightdeck.about', async () => {
    const lines = [aboutLine(), await serverLine(deps.sessions)];
    // The manifest and the bundle disagree only when dist/ is older than package.json: say so.
    const manifestVersion = (deps.context.extension.packageJSON as { version?: unknown }).version;
    if (manifestVersion !== VERSION) lines.push(`package.json says ${String(manifestVersion)}: the bundle is stale, rebuild it`);
    const copy = 'Copy';
    const choice = await vscode.window.showInformationMessage(`Flightdeck ${VERSION}`, { modal: true, detail: lines.join('\n') }, copy);
    if (choice === copy) await vscode.env.clipboard.writeText(lines.join('\n'));
  });
}

/** The connected server and its version; never starts a connection (About must not have side effects). */
async function serverLine(sessions: SessionManager): Promise<string> {
  const session = sessions.peek();
  if (!session) return 'Release server: not connected yet';
  const where = `${session.embedded ? 'the embedded server' : `a ${session.backend.kind} server`} at ${session.backend.baseUrl}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const health = await Promise.race([
      session.backend.health(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${HEALTH_TIMEOUT_MS / 1000} s`)), HEALTH_TIMEOUT_MS);
      }),
    ]);
    return `Release server ${health.version}: ${where}`;
  } catch (error) {
    return `Release server: ${where} (version unknown: ${describeError(error)})`;
  } finally {
    clearTimeout(timer);
  }
}
