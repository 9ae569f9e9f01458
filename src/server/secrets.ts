// What the engine's commands must never see or repeat: the server's secrets. Deploy and health
// commands run with the server's environment minus its secrets, and whatever of theirs reaches a
// Deployment (`error_message`, `health.last_error`, read by every viewer) is redacted first.
import { TOKEN_SHAPE } from './service/tokens';

/** Variables that hold credentials of the server or of its clients: never passed to a command. */
export const SECRET_VARIABLES: readonly string[] = ['FLIGHTDECK_ADMIN_TOKEN', 'FLIGHTDECK_TOKEN', 'PGPASSWORD'];

export const REDACTED = '[redacted]';

/** Shorter secrets are left alone in text: redacting every "ab" would garble messages, and such a token guards nothing. */
const MIN_REDACTED_LENGTH = 6;

export interface SecretSources {
  /** The bootstrap admin token (FLIGHTDECK_ADMIN_TOKEN). */
  adminToken?: string | undefined;
  /** The PostgreSQL URL, whose password (and the URL itself) are secrets. */
  databaseUrl?: string | undefined;
}

export class ServerSecrets {
  /** Literal secret values, longest first (so a URL is redacted whole before the password inside it). */
  private readonly values: string[];

  constructor(sources: SecretSources = {}) {
    const values = new Set<string>();
    if (sources.adminToken) values.add(sources.adminToken);
    if (sources.databaseUrl) {
      values.add(sources.databaseUrl);
      const password = passwordOf(sources.databaseUrl);
      if (password) {
        values.add(password);
        values.add(encodeURIComponent(password));
      }
    }
    this.values = [...values].filter((value) => value.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
  }

  /**
   * `base` without the secret variables, and without any variable whose value holds a secret of this
   * server or a Flightdeck token (a CI secret under another name is still a token).
   */
  scrubEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const scrubbed: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(base)) {
      if (value === undefined || SECRET_VARIABLES.includes(name.toUpperCase())) continue;
      if (this.redact(value) !== value) continue;
      scrubbed[name] = value;
    }
    return scrubbed;
  }

  /** `text` with every secret of this server and every Flightdeck token (known or not) replaced. */
  redact(text: string): string {
    let result = text;
    for (const value of this.values) result = result.split(value).join(REDACTED);
    // Every token this server issues has this shape; anything of it in output is a credential, whether
    // it is still valid here, was revoked, or belongs to another server.
    return result.replace(new RegExp(TOKEN_SHAPE.source, 'g'), REDACTED);
  }
}

function passwordOf(databaseUrl: string): string | undefined {
  try {
    const password = new URL(databaseUrl).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
