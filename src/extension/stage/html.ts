// The stage panel's HTML shell: a strict CSP with a per-load nonce, our stylesheet, the codicon font and
// the webview bundle. The nonce is also published as <meta property="csp-nonce">, where the toolkit's
// FAST runtime looks for it before it adds its one <style> probe. Everything the panel shows arrives
// later through messages; the page carries only the panel's identity (so the webview can save it with
// setState before the first snapshot).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { StageIdentity } from '../../api/protocol';

export function createNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/** Where the webview may load files from: the built bundle (and codicons copied beside it) and media/. */
export function localResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c] ?? c));
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

export function stageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, identity: StageIdentity, nonce = createNonce()): string {
  const asset = (...segments: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...segments)).toString();
  const title = `${identity.project} / ${identity.environment}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(webview.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(asset('dist', 'codicons', 'codicon.css'))}">
<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(asset('media', 'stage.css'))}">
<title>${escapeHtml(title)}</title>
</head>
<body data-project="${escapeHtml(identity.project)}" data-environment="${escapeHtml(identity.environment)}">
<div id="root" aria-label="${escapeHtml(`Stage ${title}`)}"></div>
<script nonce="${nonce}" src="${escapeHtml(asset('dist', 'webview.js'))}"></script>
</body>
</html>`;
}
