// The stage panel's browser bundle (dist/webview.js). It never touches the network: the extension host
// sends everything through the typed protocol (src/api/protocol.ts) and this script parses every message
// before the reducer sees it. UI state is kept with vscode.setState (no retainContextWhenHidden), so a
// hidden-then-shown or reloaded panel paints its last view at once and then catches up from a snapshot.
import * as z from 'zod';
import {
  HostToWebview, STAGE_PROTOCOL_VERSION, StageIdentity, StagePersistedState, type ActionName, type WebviewToHost,
} from '../src/api/protocol';
import { registerComponents } from './components';
import { StageRenderer } from './render';
import { initialState, persistedState, reduce, type StageInput, type StageState } from './state';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// zod compiles parsers with `new Function` unless told not to; the CSP has no 'unsafe-eval'.
z.config({ jitless: true });

const vscode = acquireVsCodeApi();

function post(message: WebviewToHost): void {
  vscode.postMessage(message);
}

function identityFromPage(): StageIdentity | null {
  const parsed = StageIdentity.safeParse({ project: document.body.dataset.project, environment: document.body.dataset.environment });
  return parsed.success ? parsed.data : null;
}

function restored(): StagePersistedState | undefined {
  const parsed = StagePersistedState.safeParse(vscode.getState());
  return parsed.success ? parsed.data : undefined;
}

let state: StageState = initialState(identityFromPage(), Date.now(), restored());
let requestCounter = 0;
let persistTimer: ReturnType<typeof setTimeout> | undefined;
let frame: number | undefined;

registerComponents();
const root = document.getElementById('root') ?? document.body;
const renderer = new StageRenderer(root, {
  post,
  requestAction(action: ActionName, subject?: string) {
    requestCounter += 1;
    const requestId = `${Date.now().toString(36)}-${requestCounter}`;
    dispatch({ type: 'actionRequested', requestId, action });
    if (action === 'pause' || action === 'resume' || action === 'abort' || action === 'approve' || action === 'reject') {
      if (subject) post({ type: action, requestId, deploymentId: subject });
    } else if (action === 'block' || action === 'unblock') {
      if (subject) post({ type: action, requestId, candidate: subject });
    } else {
      post({ type: action, requestId });
    }
  },
  toggleSection: (section) => dispatch({ type: 'toggleSection', section }),
  dismissNotice: (id) => dispatch({ type: 'dismissNotice', id }),
});

function dispatch(input: StageInput): void {
  const next = reduce(state, input);
  if (next === state) return;
  const persistChanged = next.view !== state.view || next.collapsed !== state.collapsed || next.log !== state.log;
  state = next;
  scheduleRender();
  if (persistChanged) schedulePersist();
}

/** One paint per animation frame however many messages arrived in it. */
function scheduleRender(): void {
  if (frame !== undefined) return;
  frame = requestAnimationFrame(() => {
    frame = undefined;
    renderer.render(state);
    document.body.dataset.rendered = String(Date.now());
  });
}

function schedulePersist(): void {
  if (persistTimer !== undefined) return;
  persistTimer = setTimeout(() => {
    persistTimer = undefined;
    const saved = persistedState(state);
    if (saved) vscode.setState(saved);
  }, 500);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = HostToWebview.safeParse(event.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    post({ type: 'webviewError', message: `Dropped a malformed host message${issue ? ` (${issue.path.join('.')}: ${issue.message})` : ''}` });
    return;
  }
  dispatch(parsed.data);
});

window.addEventListener('error', (event) => {
  post({ type: 'webviewError', message: `${event.message} (${event.filename}:${event.lineno})` });
});
window.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
  post({ type: 'webviewError', message: `Unhandled rejection: ${String(event.reason)}` });
});

setInterval(() => dispatch({ type: 'tick', now: Date.now() }), 1000);

// First paint from what was saved (if anything), then tell the host we are listening.
renderer.render(state);
document.body.dataset.flightdeck = 'stage';
post({ type: 'ready', protocol: STAGE_PROTOCOL_VERSION });
