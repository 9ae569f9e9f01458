// Typed access to Flightdeck's settings, so no other file spells a setting's key.
import * as vscode from 'vscode';
import { AVIATOR_SAAS_URL } from '../client/aviator';
import type { EnvTokenScope } from '../core/origin';

export type ServerKind = 'flightdeck' | 'aviator';

export interface FlightdeckConfig {
  /** Explicit server URL from the setting, else FLIGHTDECK_SERVER, else Aviator's SaaS URL when the kind is
   * `aviator`, else undefined (embedded). */
  serverUrl: string | undefined;
  serverKind: ServerKind;
  pollSeconds: number;
  /** Which server origins FLIGHTDECK_TOKEN may be sent to: the user's choices, not a workspace's. */
  envTokenScope: EnvTokenScope;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): FlightdeckConfig {
  const config = vscode.workspace.getConfiguration('flightdeck');
  const fromSetting = config.get<string>('server.url', '').trim();
  const fromEnv = (env.FLIGHTDECK_SERVER ?? '').trim();
  const kind = config.get<string>('server.kind', 'flightdeck');
  const poll = config.get<number>('refresh.pollSeconds', 30);
  const serverKind: ServerKind = kind === 'aviator' ? 'aviator' : 'flightdeck';
  const fromUserSettings = config.inspect<string>('server.url')?.globalValue;
  return {
    serverUrl: fromSetting || fromEnv || (serverKind === 'aviator' ? AVIATOR_SAAS_URL : undefined),
    serverKind,
    pollSeconds: Number.isFinite(poll) ? Math.min(3600, Math.max(5, poll)) : 30,
    envTokenScope: {
      explicitOrigin: env.FLIGHTDECK_TOKEN_ORIGIN || undefined,
      envServerUrl: fromEnv || undefined,
      userServerUrl: typeof fromUserSettings === 'string' && fromUserSettings.trim() ? fromUserSettings.trim() : undefined,
    },
  };
}

export function affectsConnection(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration('flightdeck.server');
}

export async function setServerUrl(url: string): Promise<void> {
  await vscode.workspace.getConfiguration('flightdeck').update('server.url', url, vscode.ConfigurationTarget.Global);
}
