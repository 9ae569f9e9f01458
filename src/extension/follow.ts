// Follows a deployment the user started until it ends: a cancellable progress notification fed by the
// event stream, then a notification saying how it ended. Without a live stream it polls, by the one
// refresh policy (core/freshness), in its quick after-an-action pace.
import * as vscode from 'vscode';
import type { Deployment } from '../api/schemas';
import { isTerminal } from '../core/deploymentStatus';
import { defaultPollPolicy, PollSchedule } from '../core/freshness';
import type { Logger } from './log';
import type { LoudNotifier } from './notifications';
import type { SessionManager } from './session';
import { nodeTimers, wallClock } from './timers';

/** The server turns a deployment without progress for 60 minutes into `error`; stop following earlier. */
const GIVE_UP_MS = 65 * 60 * 1000;

export async function followDeployment(
  deps: { sessions: SessionManager; log: Logger; notifier?: LoudNotifier | undefined },
  deployment: Deployment,
  verb: string,
): Promise<Deployment> {
  // While this progress follows it, the notifier leaves its end to the message below.
  deps.notifier?.following(deployment.id, true);
  const title = `${verb} ${deployment.project}/${deployment.environment_name} to ${deployment.release_candidate_version}`;
  let latest = deployment;
  const final = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, cancel) => new Promise<Deployment | undefined>((resolve) => {
      let done = false;
      let failures = 0;
      const polls = new PollSchedule({
        poll: () => {
          void deps.sessions.get()
            .then((session) => session.backend.getDeployment(deployment.project, deployment.id))
            .then((d) => { failures = 0; update(d); }, () => { failures += 1; })
            .finally(() => { if (!done) polls.reschedule(); });
        },
        context: () => ({ focused: true, streaming: deps.sessions.streamState === 'live', failures }),
        clock: wallClock,
        timers: nodeTimers,
        // Someone is watching this deployment's progress: the pace of a burst, for as long as it runs.
        policy: () => ({ ...defaultPollPolicy, baseSeconds: defaultPollPolicy.burstSeconds }),
      });
      const finish = (value: Deployment | undefined): void => {
        if (done) return;
        done = true;
        polls.cancel();
        streamState.dispose();
        clearTimeout(giveUp);
        subscription.dispose();
        resolve(value);
      };
      const update = (d: Deployment): void => {
        latest = d;
        const step = d.rollout ? `step ${d.rollout.step + 1}/${d.rollout.steps.length}, ${d.rollout.percent}%${d.rollout.paused ? ' (paused)' : ''}` : '';
        progress.report({ message: [d.status.replace('_', ' '), step].filter(Boolean).join(' · ') });
        if (isTerminal(d)) finish(d);
      };
      const subscription = deps.sessions.onDidReceiveEvent((event) => {
        const d = event.data.deployment;
        if (d && d.id === deployment.id && d.project === deployment.project) update(d);
      });
      // The stream dropping hands the following back to polling, and its return stops it.
      const streamState = deps.sessions.onDidChangeStreamState(() => polls.reschedule());
      polls.reschedule();
      const giveUp = setTimeout(() => finish(undefined), GIVE_UP_MS);
      cancel.onCancellationRequested(() => finish(undefined));
      update(deployment);
    }),
  );
  deps.notifier?.following(deployment.id, false);
  if (!final) return latest;
  deps.notifier?.announced(final.id);
  const where = `${final.project}/${final.environment_name}`;
  const actions = ['Open Stage', 'Show Logs'];
  const pick = final.status === 'success'
    ? vscode.window.showInformationMessage(`${where} now runs ${final.release_candidate_version}.`, ...actions)
    : vscode.window.showErrorMessage(`${verb} ${where} to ${final.release_candidate_version} ended ${final.status}${final.error_message ? `: ${final.error_message}` : ''}.`, ...actions);
  void pick.then((choice) => {
    if (choice === 'Open Stage') void vscode.commands.executeCommand('flightdeck.openStage', { project: final.project, environment: final.environment_name });
    if (choice === 'Show Logs') deps.log.show();
  });
  return final;
}
