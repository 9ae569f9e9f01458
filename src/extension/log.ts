// The "Flightdeck" output channel. Everything logged passes through redact(), so a token that ends up
// in a message (a URL, an error from a library) never reaches the log.
import * as vscode from 'vscode';

export interface Logger {
  /** Detail for debugging (request logs …): written only at `flightdeck.log.level: debug`. */
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  show(): void;
}

const BEARER = /(Bearer\s+)[^\s"']+/gi;
const TOKEN_ENV = /(FLIGHTDECK_(?:ADMIN_)?TOKEN=)[^\s"']+/g;

export function redact(message: string, secrets: readonly string[] = []): string {
  let text = message.replace(BEARER, '$1***').replace(TOKEN_ENV, '$1***');
  for (const secret of secrets) if (secret.length >= 8) text = text.split(secret).join('***');
  return text;
}

export function createLogger(
  channel: vscode.LogOutputChannel,
  knownSecrets: () => readonly string[],
  level: () => 'info' | 'debug' = () => 'info',
): Logger {
  return {
    debug: (m) => {
      if (level() !== 'debug') return;
      // The channel hides its own debug lines unless its level (Developer: Set Log Level) says otherwise;
      // our setting asked for them, so they are written where they show.
      if (channel.logLevel <= vscode.LogLevel.Debug) channel.debug(redact(m, knownSecrets()));
      else channel.info(`[debug] ${redact(m, knownSecrets())}`);
    },
    info: (m) => channel.info(redact(m, knownSecrets())),
    warn: (m) => channel.warn(redact(m, knownSecrets())),
    error: (m) => channel.error(redact(m, knownSecrets())),
    show: () => channel.show(true),
  };
}
