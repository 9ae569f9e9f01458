// "Where is this commit deployed?" in the editor, against a real server and a real git repository:
// the SHA hover, the blame hover, the current-line annotation, the palette command and commit watches.
//
// The commits live in the workspace folder's own repository (the harness makes it: one commit, origin
// flightdeck-test/payments). They have to: the extension looks commits up in the repositories of the
// workspace's folders, and adding a second folder would turn the window into a multi-root workspace,
// which restarts the extension host under the running suites. The suite commits on top of the
// harness's commit and resets the repository to it when done, so later suites see what they expect.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlightdeckApi } from '../../../src/extension/main';
import type { CommitInsightsApi, CommitWatch, WatchNotification, WhereAnswer } from '../../../src/extension/hover';
import { escapeMarkdown } from '../../../src/core/markdown';
import { CommitHoverProvider } from '../../../src/extension/hover/provider';
import { startRealServer, waitFor, type RealServer } from './realServer';

type ApiWithCommits = FlightdeckApi & { commits?: CommitInsightsApi };

const REPO = 'flightdeck-test/payments';
const MISSING = 'e'.repeat(40); // deployed, but in no local repository
const UNKNOWN = '0badc0ffee0badc0ffee0badc0ffee0badc0ffe'; // in no repository and deployed nowhere

async function commitsApi(): Promise<CommitInsightsApi> {
  const extension = vscode.extensions.getExtension<ApiWithCommits>('flightdeck.flightdeck');
  assert.ok(extension, 'the extension is installed');
  const api = await extension.activate();
  assert.ok(api.commits, 'the extension API has no `commits` (main.ts must expose registerCommitInsights(...) as api.commits)');
  return api.commits;
}

function flightdeckConfig(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('flightdeck');
}

/** The markdown of the Flightdeck section among all hovers at a position (other providers add theirs). */
async function flightdeckHover(uri: vscode.Uri, position: vscode.Position): Promise<{ value: string; md: vscode.MarkdownString } | undefined> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  for (const hover of hovers ?? []) {
    for (const content of hover.contents) {
      const md = content as vscode.MarkdownString;
      if (typeof md.value === 'string' && md.value.includes('**Flightdeck**')) return { value: md.value, md };
    }
  }
  return undefined;
}

/** The environment's line in a hover: `✓ [canary](command:…) — …`. */
function row(value: string, environment: string, project?: string): string {
  const section = project ? value.slice(value.indexOf(`**${escapeMarkdown(project)}**`)) : value;
  const line = section.split('\n').find((l) => l.includes(`[${escapeMarkdown(environment)}](command:flightdeck.openStage`));
  assert.ok(line, `the hover has a line for ${environment}${project ? ` of ${project}` : ''}:\n${value}`);
  return line;
}

describe('Commit hover, blame and watches against a real server and repository', function () {
  this.timeout(90_000);
  let server: RealServer;
  let commits: CommitInsightsApi;
  let dir: string;
  let base: string;
  const sha: Record<'charge' | 'refunds' | 'rounding', string> = { charge: '', refunds: '', rounding: '' };
  const notes: WatchNotification[] = [];
  let subscription: vscode.Disposable | undefined;

  const git = (args: string[], env: NodeJS.ProcessEnv = {}): string => execFileSync('git', args, {
    cwd: dir, encoding: 'utf8', stdio: 'pipe',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env },
  }).trim();
  const commit = (file: string, content: string, subject: string, env: NodeJS.ProcessEnv = {}): string => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.appendFileSync(path.join(dir, file), content);
    git(['add', '--', file]);
    git(['commit', '--quiet', '-m', subject], env);
    return git(['rev-parse', 'HEAD']);
  };
  const api = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const response = await server.api(method, route, body);
    if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const report = (environment: string, version: string, status = 'success', project = 'payments'): Promise<unknown> =>
    api('PATCH', `/api/releases/${project}/environments/${environment}/deployments`, { release_candidate_version: version, status });

  before(async () => {
    commits = await commitsApi();
    subscription = commits.watches.onDidNotify((note) => notes.push(note));
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the harness opens a workspace folder');
    dir = folder.uri.fsPath;
    base = git(['rev-parse', 'HEAD']);
    assert.match(git(['remote', 'get-url', 'origin']), /flightdeck-test\/payments/);
    sha.charge = commit('src/charge.js', 'exports.charge = (card, cents) => gateway.charge(card, cents);\n', 'Charge cards through the gateway');
    sha.refunds = commit('src/refund.js', 'exports.refund = (id) => gateway.refund(id);\n', 'Refunds API');
    // Markdown and a command link in git's text must come out inert.
    sha.rounding = commit('src/refund.js', '// amounts are integer cents\n', 'Round refunds *down* [see](command:flightdeck.copySha) <b>x</b>',
      { GIT_AUTHOR_NAME: 'Grace *H* [x]' });

    server = await startRealServer();
    // payments: dogfood 1.2.0-rc1 (rounding), canary 1.1.0-rc1 (refunds), rollout 1.0.0-rc1 (charge)
    // rolling out 1.1.0-rc1, production 1.0.0-rc1. ledger, same repository: staging empty, production
    // runs a commit this clone does not have.
    await api('PUT', '/api/releases/payments', {
      repo: REPO, description: 'Payments API', environments: [
        { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
        { name: 'canary', tier: 'production', position: 1, strategy: 'canary' },
        { name: 'rollout', tier: 'production', position: 2, strategy: 'rollout', steps: [{ percent: 10, soak_seconds: 3600 }, { percent: 100, soak_seconds: 0 }] },
        { name: 'production', tier: 'production', position: 3, strategy: 'standard' },
      ],
    });
    await api('PUT', '/api/releases/ledger', {
      repo: `https://github.com/${REPO}.git`, environments: [
        { name: 'staging', tier: 'staging', position: 0, strategy: 'standard' },
        { name: 'production', tier: 'production', position: 1, strategy: 'standard' },
      ],
    });
    await api('POST', '/api/releases/payments/releases/1.0.0-rc1', { commit: sha.charge });
    await api('POST', '/api/releases/payments/releases/1.1.0-rc1', { commit: sha.refunds });
    await api('POST', '/api/releases/payments/releases/1.2.0-rc1', { commit: sha.rounding });
    await api('POST', '/api/releases/ledger/releases/0.9.0-rc1', { commit: MISSING });
    for (const [environment, version] of [['production', '1.0.0-rc1'], ['rollout', '1.0.0-rc1'], ['canary', '1.1.0-rc1'], ['dogfood', '1.1.0-rc1'], ['dogfood', '1.2.0-rc1']] as const) {
      await report(environment, version);
    }
    await report('production', '0.9.0-rc1', 'success', 'ledger');
    await api('POST', '/api/releases/payments/environments/rollout/promote', {});
    await report('rollout', '1.1.0-rc1', 'in_progress');

    await flightdeckConfig().update('server.url', server.url, vscode.ConfigurationTarget.Global);
    const extension = vscode.extensions.getExtension<ApiWithCommits>('flightdeck.flightdeck');
    const model = (await extension!.activate()).model;
    await waitFor('both projects with their deployments in the model', () =>
      model.allProjects.length === 2 && model.findProject('payments')?.environments.find((e) => e.name === 'rollout')?.active ? true : undefined, 20_000);
  });

  after(async () => {
    subscription?.dispose();
    await commits?.watches.cancelAll();
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const key of ['blame.hover', 'projects', 'blame.currentLine']) await flightdeckConfig().update(key, undefined, vscode.ConfigurationTarget.Global);
    await flightdeckConfig().update('server.url', '', vscode.ConfigurationTarget.Global);
    if (dir && base) {
      fs.rmSync(path.join(dir, '.git', 'shallow'), { force: true });
      git(['reset', '--quiet', '--hard', base]);
      commits?.insights.forgetGit();
    }
    await server?.stop();
  });

  it('hovers a short SHA in any text: subject, author, every environment in ladder order, and the actions', async () => {
    const short = sha.refunds.slice(0, 7);
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `## Changelog\n\n- Refunds landed in ${short}, see also ${UNKNOWN}.\n` });
    // Cold (first git calls of this run), straight to the provider: it answers.
    const direct = await commits.hoverProvider.provideHover(doc, new vscode.Position(2, 22), new vscode.CancellationTokenSource().token);
    assert.ok(direct, 'the provider answers');
    // The time box: a provider with a short one over insights whose deployment answer is held back answers
    // with what it knows (the commit, "still working out where") while that answer is still held.
    const identity = await commits.insights.identify(doc.uri, short);
    assert.ok(identity, `${short} is a commit of the workspace`);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let deploymentsAsked = false;
    let deploymentsReleased = false;
    const slowInsights = new Proxy(commits.insights, {
      get(target, property) {
        if (property === 'identify') return async () => identity;
        if (property === 'deployments') {
          return async (...args: Parameters<typeof target.deployments>) => {
            deploymentsAsked = true;
            await held;
            deploymentsReleased = true;
            return target.deployments(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const boxed = await new CommitHoverProvider(slowInsights, 200).provideHover(doc, new vscode.Position(2, 22), new vscode.CancellationTokenSource().token);
    assert.ok(deploymentsAsked, 'the time-boxed provider asked where the commit is deployed');
    assert.equal(deploymentsReleased, false, 'it answered while that answer was held back');
    release();
    assert.ok(boxed, 'the time-boxed provider answers');
    const boxedText = (boxed.contents[0] as vscode.MarkdownString).value;
    assert.ok(boxedText.includes('**Refunds API**'), `the commit it knows:\n${boxedText}`);
    assert.match(boxedText, /Still working out where it is deployed/);
    const cancelled = new vscode.CancellationTokenSource();
    cancelled.cancel();
    assert.equal(await commits.hoverProvider.provideHover(doc, new vscode.Position(2, 22), cancelled.token), undefined, 'a cancelled hover answers nothing');

    const hover = await flightdeckHover(doc.uri, new vscode.Position(2, 22));
    assert.ok(hover, 'a Flightdeck hover on the SHA');
    const { value, md } = hover;
    assert.match(value, new RegExp(`commit \`${short}\``));
    assert.ok(value.includes('**Refunds API**'), value);
    assert.ok(value.includes('Flightdeck Test'), 'the author');
    // payments, in ladder order.
    const order = ['dogfood', 'canary', 'rollout', 'production'].map((e) => value.indexOf(row(value, e, 'payments')));
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'environments in ladder order');
    assert.match(row(value, 'dogfood', 'payments'), /^✓ .* — 1\\\.2\\\.0\\-rc1, (just now|\d+[smh] ago)/);
    assert.match(row(value, 'canary', 'payments'), /^✓ .* — 1\\\.1\\\.0\\-rc1/);
    assert.match(row(value, 'rollout', 'payments'), /^◐ .* — rolling out 1\\\.1\\\.0\\-rc1 at \d+% \(runs 1\\\.0\\\.0\\-rc1\)/);
    assert.match(row(value, 'production', 'payments'), /^✗ .* — not yet \(runs 1\\\.0\\\.0\\-rc1\)/);
    // ledger: nothing in staging; production runs a commit this clone lacks, so: unknown, never ✗.
    assert.match(row(value, 'staging', 'ledger'), /^– .* — nothing deployed/);
    assert.match(row(value, 'production', 'ledger'), /^\? .* — unknown \(runs 0\\\.9\\\.0\\-rc1\): its commit is not in this clone/);
    // The actions, as trusted command links and nothing else.
    assert.match(value, /\[\$\(pulse\) Open Stage\]\(command:flightdeck\.openStage\?/);
    assert.match(value, /\[\$\(eye\) Watch Until Production\]\(command:flightdeck\.watchCommit\?/);
    assert.match(value, /\[\$\(copy\) Copy SHA\]\(command:flightdeck\.copySha\?/);
    assert.match(value, /\[\$\(repo-fetch\) Fetch\]\(command:flightdeck\.fetchCommit\?/);
    const link = /command:flightdeck\.copySha\?([^ )]+)/.exec(value)?.[1];
    assert.deepEqual(JSON.parse(decodeURIComponent(link ?? '')), { sha: sha.refunds });
    const trust = (md as { isTrusted?: unknown }).isTrusted;
    if (trust !== undefined) {
      assert.notEqual(trust, true, 'never blanket-trusted');
      assert.ok(typeof trust === 'object' && trust !== null && (trust as { enabledCommands: string[] }).enabledCommands.includes('flightdeck.watchCommit'));
    }
  });

  it('gives no hover for a hex token that is not a commit here, and says so for a deployed commit missing locally', async () => {
    const doc = await vscode.workspace.openTextDocument({ content: `${UNKNOWN}\nfedcba9 deadbeef\n${MISSING.slice(0, 10)} is in ledger\n` });
    assert.equal(await flightdeckHover(doc.uri, new vscode.Position(0, 5)), undefined);
    assert.equal(await flightdeckHover(doc.uri, new vscode.Position(1, 2)), undefined);
    const missing = await flightdeckHover(doc.uri, new vscode.Position(2, 3));
    assert.ok(missing, 'a hover for a deployed commit this clone lacks');
    assert.match(missing.value, /ledger\/production runs 0\\\.9\\\.0\\-rc1/);
    assert.match(missing.value, /not in your local clone/);
    assert.match(missing.value, /\(command:flightdeck\.fetchCommit\?/, 'fetch is offered as a link, never run');
  });

  it('escapes text from git: subjects and author names cannot format or link', async () => {
    const doc = await vscode.workspace.openTextDocument({ content: `see ${sha.rounding}\n` });
    const hover = await flightdeckHover(doc.uri, new vscode.Position(0, 10));
    assert.ok(hover);
    assert.ok(hover.value.includes('Round refunds \\*down\\* \\[see\\]\\(command\\:flightdeck\\.copySha\\) \\<b\\>x\\<\\/b\\>'), hover.value);
    assert.ok(hover.value.includes('Grace \\*H\\* \\[x\\]'), hover.value);
    assert.ok(!hover.value.includes('[see](command:'), 'no link comes from the subject');
  });

  it('hovers the end of a code line with its blame, and the middle only when flightdeck.blame.hover is "line"', async () => {
    const uri = vscode.Uri.file(path.join(dir, 'src', 'refund.js'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const end = doc.lineAt(0).range.end;
    const hover = await flightdeckHover(uri, end);
    assert.ok(hover, 'a blame hover at the end of line 1');
    assert.match(hover.value, new RegExp(`line 1 was last changed in \`${sha.refunds.slice(0, 7)}\``));
    assert.ok(hover.value.includes('**Refunds API**'));
    assert.match(row(hover.value, 'canary', 'payments'), /^✓ /);
    assert.match(row(hover.value, 'production', 'payments'), /^✗ /);
    // Line 2 is the later commit.
    const second = await flightdeckHover(uri, doc.lineAt(1).range.end);
    assert.match(second?.value ?? '', new RegExp(`line 2 was last changed in \`${sha.rounding.slice(0, 7)}\``));

    assert.equal(await flightdeckHover(uri, new vscode.Position(0, 8)), undefined, 'not mid-line by default');
    await flightdeckConfig().update('blame.hover', 'line', vscode.ConfigurationTarget.Global);
    try {
      const mid = await flightdeckHover(uri, new vscode.Position(0, 8));
      assert.match(mid?.value ?? '', /line 1 was last changed in/);
    } finally {
      await flightdeckConfig().update('blame.hover', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('annotates the cursor\'s line, follows the monorepo setting and the on/off setting live', async () => {
    const uri = vscode.Uri.file(path.join(dir, 'src', 'refund.js'));
    const editor = await vscode.window.showTextDocument(uri, { selection: new vscode.Range(0, 0, 0, 0) });
    const short = sha.refunds.slice(0, 7);
    const annotation = await waitFor('the annotation of line 1', async () => {
      await commits.annotation.settled();
      const shown = commits.annotation.current;
      return shown?.line === 0 ? shown : undefined;
    });
    assert.equal(annotation.uri, uri.toString());
    const [head, ...segments] = annotation.text.split(/ {2}(?:│ {2})?/);
    assert.equal(head, short);
    const percent = /rollout (\d+)%/.exec(annotation.text)?.[1];
    assert.deepEqual(segments.sort(), [
      'ledger: ? production', `payments: ✓ canary · ◐ rollout ${percent}% · ✗ production`,
    ], annotation.text);

    // Monorepo: this file belongs to payments only.
    await flightdeckConfig().update('projects', { 'src/refund.js': 'payments' }, vscode.ConfigurationTarget.Global);
    await waitFor('the annotation for payments alone', async () => {
      await commits.annotation.settled();
      return commits.annotation.current?.text.startsWith(`${short}  ✓ canary · ◐ rollout`) ? true : undefined;
    });
    assert.doesNotMatch(commits.annotation.current?.text ?? '', /ledger/);
    await flightdeckConfig().update('projects', undefined, vscode.ConfigurationTarget.Global);

    // Another line: that line's commit.
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    await waitFor('the annotation of line 2', async () => {
      await commits.annotation.settled();
      return commits.annotation.current?.line === 1 && commits.annotation.current.text.startsWith(sha.rounding.slice(0, 7)) ? true : undefined;
    });

    await flightdeckConfig().update('blame.currentLine', false, vscode.ConfigurationTarget.Global);
    await waitFor('no annotation when the setting is off', async () => {
      await commits.annotation.settled();
      return commits.annotation.current === undefined ? true : undefined;
    });
    await flightdeckConfig().update('blame.currentLine', undefined, vscode.ConfigurationTarget.Global);
    await waitFor('the annotation back when the setting is on', async () => {
      await commits.annotation.settled();
      return commits.annotation.current?.line === 1 ? true : undefined;
    });
  });

  it('says an edited line is not committed, and annotates nothing there', async () => {
    const uri = vscode.Uri.file(path.join(dir, 'src', 'refund.js'));
    const editor = await vscode.window.showTextDocument(uri, { selection: new vscode.Range(0, 0, 0, 0) });
    await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), '/* unsaved */ '));
    await waitFor('the edit to clear the annotation', () => (commits.annotation.current === undefined ? true : undefined), 2000);
    const hover = await flightdeckHover(uri, editor.document.lineAt(0).range.end);
    assert.match(hover?.value ?? '', /line 1 is not committed yet/);
    // The unsaved buffer is what git blames: line 2 is still the committed line.
    const second = await flightdeckHover(uri, editor.document.lineAt(1).range.end);
    assert.match(second?.value ?? '', new RegExp(`line 2 was last changed in \`${sha.rounding.slice(0, 7)}\``));
    await commits.annotation.refresh();
    assert.equal(commits.annotation.current, undefined, 'no annotation on an uncommitted line');
    // Revert this document, whichever editor a hover left active: a dirty refund.js would be saved by a
    // later "close all" and block the detached-HEAD checkout below.
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    assert.equal(editor.document.isDirty, false, 'the unsaved edit is reverted');
  });

  it('gives an untracked file no blame hover (it is not "uncommitted" work on a tracked file)', async () => {
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'scratch notes\nsecond line\n');
    try {
      const uri = vscode.Uri.file(file);
      const editor = await vscode.window.showTextDocument(uri);
      assert.equal(await flightdeckHover(uri, editor.document.lineAt(0).range.end), undefined);
      // Once git tracks it, its lines are uncommitted work: the same question now has an answer.
      git(['add', '--', 'notes.txt']);
      const hover = await waitFor('a blame hover once the file is added', async () => (await flightdeckHover(uri, editor.document.lineAt(0).range.end)) ?? undefined, 5000);
      assert.match(hover.value, /line 1 is not committed yet/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      git(['rm', '--quiet', '--cached', '--', 'notes.txt']);
      fs.rmSync(file, { force: true });
    }
  });

  it('says "unknown" in a shallow clone instead of guessing', async () => {
    // Make the workspace repository shallow at the rounding commit: its parents are cut off, so a commit
    // behind it can no longer be proven contained in what dogfood runs.
    fs.writeFileSync(path.join(dir, '.git', 'shallow'), `${sha.rounding}\n`);
    commits.insights.forgetGit();
    try {
      const doc = await vscode.workspace.openTextDocument({ content: `${sha.refunds.slice(0, 9)}\n` });
      const hover = await flightdeckHover(doc.uri, new vscode.Position(0, 2));
      assert.ok(hover);
      assert.match(row(hover.value, 'dogfood', 'payments'), /^\? .* — unknown \(runs 1\\\.2\\\.0\\-rc1\): this shallow clone lacks the history to tell/);
      assert.match(row(hover.value, 'canary', 'payments'), /^✓ /, 'what is certain stays certain');
      assert.match(row(hover.value, 'production', 'payments'), /^✗ /);
      assert.match(hover.value, /git fetch --unshallow/);
    } finally {
      fs.rmSync(path.join(dir, '.git', 'shallow'), { force: true });
      commits.insights.forgetGit();
    }
  });

  it('works on a detached HEAD', async () => {
    // A change left on disk by an earlier test would make the checkout fail with git's own words; say what it is.
    assert.equal(git(['status', '--porcelain', '--untracked-files=no']).trim(), '', 'the workspace repository is clean before the checkout');
    git(['checkout', '--quiet', '--detach', sha.refunds]);
    try {
      const uri = vscode.Uri.file(path.join(dir, 'src', 'refund.js'));
      // VS Code may hold the document from before the checkout: wait for it to reload from disk.
      const doc = await waitFor('refund.js as of the refunds commit', async () => {
        const opened = await vscode.workspace.openTextDocument(uri);
        return opened.lineCount === 2 ? opened : undefined;
      });
      const blame = await flightdeckHover(uri, doc.lineAt(0).range.end);
      assert.match(blame?.value ?? '', new RegExp(`line 1 was last changed in \`${sha.refunds.slice(0, 7)}\``));
      const text = await vscode.workspace.openTextDocument({ content: `${sha.charge.slice(0, 8)}\n` });
      const hover = await flightdeckHover(text.uri, new vscode.Position(0, 1));
      assert.match(row(hover?.value ?? '', 'production', 'payments'), /^✓ /, 'the charge commit is live in production');
    } finally {
      git(['checkout', '--quiet', 'main']);
    }
  });

  it('answers Where Is Commit Deployed… for any revision', async () => {
    const answer = await vscode.commands.executeCommand<WhereAnswer | undefined>('flightdeck.whereIsCommit', 'HEAD~1');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.ok(answer);
    assert.equal(answer.sha, sha.refunds);
    assert.equal(answer.subject, 'Refunds API');
    assert.equal(answer.deployments.kind, 'ready');
    if (answer.deployments.kind !== 'ready') return;
    const payments = answer.deployments.projects.find((p) => p.project === 'payments');
    assert.deepEqual(payments?.rows.map((r) => `${r.environment}:${r.state}`), ['dogfood:live', 'canary:live', 'rollout:rolling', 'production:not_yet']);
    assert.equal(payments?.target, 'production');
  });

  it('watches a commit until production, and tells when an environment rolls back past one', async () => {
    const watched = await vscode.commands.executeCommand<CommitWatch | undefined>('flightdeck.watchCommit', { sha: sha.refunds, project: 'payments', environment: 'production' });
    assert.ok(watched, 'a watch');
    assert.deepEqual(watched.liveIn, ['canary', 'dogfood']);
    const rounding = await vscode.commands.executeCommand<CommitWatch | undefined>('flightdeck.watchCommit', { sha: sha.rounding, project: 'payments', environment: 'production' });
    assert.ok(rounding);
    assert.deepEqual(rounding.liveIn, ['dogfood']);
    const listed = await vscode.commands.executeCommand<CommitWatch[]>('flightdeck.listWatches');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.deepEqual(listed.map((w) => w.sha).sort(), [sha.refunds, sha.rounding].sort(), 'both kept (in globalState)');

    // Already live where asked: said at once, nothing kept.
    const already = await vscode.commands.executeCommand<CommitWatch | undefined>('flightdeck.watchCommit', { sha: sha.charge, project: 'payments', environment: 'canary' });
    assert.equal(already, undefined);
    assert.ok(notes.some((n) => n.kind === 'already_live' && n.watch.sha === sha.charge));

    // Production takes 1.1.0-rc1: the event stream refreshes the model, the watch fires and ends.
    await report('production', '1.1.0-rc1');
    const live = await waitFor('the "live in production" notification', () => notes.find((n) => n.kind === 'live' && n.watch.sha === sha.refunds), 15_000);
    assert.equal(live.environment, 'production');
    assert.match(live.message, /is live in payments\/production \(1\.1\.0-rc1\)/);
    await waitFor('the finished watch to be gone', () => (commits.watches.list().some((w) => w.sha === sha.refunds) ? undefined : true));

    // Dogfood rolls back to 1.1.0-rc1, which does not contain the rounding commit.
    await api('POST', '/api/releases/payments/environments/dogfood/rollback', {});
    await report('dogfood', '1.1.0-rc1', 'in_progress');
    await report('dogfood', '1.1.0-rc1');
    const left = await waitFor('the "rolled back past" notification', () => notes.find((n) => n.kind === 'left' && n.watch.sha === sha.rounding), 15_000);
    assert.equal(left.environment, 'dogfood');
    assert.match(left.message, /payments\/dogfood rolled back past .* it now runs 1\.1\.0-rc1\. Still watching until production\./);
    const still = commits.watches.list().find((w) => w.sha === sha.rounding);
    assert.ok(still, 'the watch goes on');
    assert.deepEqual(still.liveIn, []);
    assert.equal(await commits.watches.cancel(still.id), true);
    assert.deepEqual(commits.watches.list(), []);
  });
});
