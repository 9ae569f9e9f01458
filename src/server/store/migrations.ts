// The schema as an ordered list of migrations. Each runs once, in order, inside the start-up
// transaction, and is recorded in `schema_migrations`; append new ones, never edit an applied one.
import { createHash } from 'node:crypto';
import type { Database } from './database';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const TERMINAL = `'success', 'failure', 'canceled', 'error'`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'releases, environments, deployments, events, tokens',
    sql: `
      CREATE TABLE projects (
        id bigserial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        repo text NOT NULL,
        description text,
        config_dir text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE environments (
        id bigserial PRIMARY KEY,
        project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        name text NOT NULL,
        tier text NOT NULL,
        position integer NOT NULL,
        strategy text NOT NULL,
        protected boolean NOT NULL DEFAULT false,
        frozen boolean NOT NULL DEFAULT false,
        steps jsonb,
        auto_promote jsonb,
        health_check jsonb,
        deploy jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT environments_name_key UNIQUE (project_id, name),
        -- Deferred so that a project update may swap two positions within one transaction.
        CONSTRAINT environments_position_key UNIQUE (project_id, position) DEFERRABLE INITIALLY DEFERRED
      );
      CREATE TABLE releases (
        id bigserial PRIMARY KEY,
        project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        release_version text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT releases_version_key UNIQUE (project_id, release_version)
      );
      CREATE TABLE candidates (
        id bigserial PRIMARY KEY,
        release_id bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
        project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        release_candidate_version text NOT NULL,
        rc integer NOT NULL,
        commit_sha text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT candidates_version_key UNIQUE (project_id, release_candidate_version)
      );
      CREATE INDEX candidates_release ON candidates (release_id, id);
      -- Candidate fields are copied into each deployment (candidates never change), so reading a
      -- deployment needs no join but the project and environment names.
      CREATE TABLE deployments (
        id bigserial PRIMARY KEY,
        project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        environment_id bigint NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
        candidate_id bigint NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
        release_version text NOT NULL,
        release_candidate_version text NOT NULL,
        commit_sha text NOT NULL,
        from_release_version text,
        from_release_candidate_version text,
        status text NOT NULL CHECK (status IN ('pending', 'in_progress', 'success', 'failure', 'canceling', 'canceled', 'error', 'unknown')),
        kind text NOT NULL CHECK (kind IN ('deploy', 'promote', 'rollback', 'auto_rollback')),
        actor text NOT NULL,
        deploy_start_at timestamptz NOT NULL,
        deploy_end_at timestamptz,
        updated_at timestamptz NOT NULL,
        error_message text,
        rollout jsonb
      );
      CREATE INDEX deployments_environment ON deployments (environment_id, id);
      CREATE INDEX deployments_environment_success ON deployments (environment_id, id) WHERE status = 'success';
      CREATE INDEX deployments_environment_active ON deployments (environment_id, id) WHERE status NOT IN (${TERMINAL});
      CREATE INDEX deployments_project ON deployments (project_id, id);
      -- The event log behind GET /api/events: ids are the SSE ids; data is the JSON sent, verbatim.
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        type text NOT NULL,
        project text NOT NULL,
        environment text,
        data text NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX events_project ON events (project, id);
      CREATE TABLE tokens (
        name text PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('viewer', 'deployer', 'admin')),
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'the progressive-delivery engine: durable tasks, deployment health',
    sql: `
      ALTER TABLE deployments ADD COLUMN health jsonb;
      -- The engine's timers and steps (src/server/engine): one row per deployment and kind, due at
      -- due_at. A deploy task in state running has had its executor call recorded as started; after a
      -- crash the next engine reconciles it (see src/server/engine/README.md).
      CREATE TABLE engine_tasks (
        id bigserial PRIMARY KEY,
        deployment_id bigint NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
        environment_id bigint NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('deploy', 'health', 'promote')),
        state text NOT NULL CHECK (state IN ('scheduled', 'running', 'paused', 'waiting', 'done')),
        step integer NOT NULL DEFAULT 0,
        due_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        claim text,
        remaining_ms bigint,
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        note text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT engine_tasks_once UNIQUE (deployment_id, kind)
      );
      CREATE INDEX engine_tasks_due ON engine_tasks (due_at) WHERE state = 'scheduled';
      CREATE INDEX engine_tasks_open ON engine_tasks (state, kind) WHERE state <> 'done';
    `,
  },
  {
    version: 3,
    name: 'candidate numbers of any size',
    sql: `
      -- The contract puts no bound on N in <release>-rcN: integer overflowed at 2^31 (a 500). numeric
      -- holds every N a request can carry, exactly, and still sorts by number.
      ALTER TABLE candidates ALTER COLUMN rc TYPE numeric;
    `,
  },
  {
    version: 4,
    name: 'approvals and blocked candidates',
    sql: `
      -- How many people approve a deploy or promote into the environment (API.md endpoints 19-21).
      ALTER TABLE environments ADD COLUMN required_approvals integer NOT NULL DEFAULT 0
        CHECK (required_approvals BETWEEN 0 AND 5);
      -- A deployment's approval request as the API shows it ({required, approvals, rejection, expires_at}),
      -- null for one that needed none. Recorded in the transaction of each vote, so none is ever lost.
      ALTER TABLE deployments ADD COLUMN approval jsonb;
      CREATE INDEX deployments_awaiting_approval ON deployments (id) WHERE status = 'pending' AND approval IS NOT NULL;
      -- A blocked candidate ({actor, at, reason}, endpoint 22), null when not blocked.
      ALTER TABLE candidates ADD COLUMN blocked jsonb;
      -- The engine's approval task: due when the request expires.
      ALTER TABLE engine_tasks DROP CONSTRAINT engine_tasks_kind_check;
      ALTER TABLE engine_tasks ADD CONSTRAINT engine_tasks_kind_check CHECK (kind IN ('deploy', 'health', 'promote', 'approval'));
    `,
  },
];

/** Changes whenever the migration list does (tests key their pre-migrated template data dirs on it). */
export const SCHEMA_FINGERPRINT = createHash('sha256')
  .update(MIGRATIONS.map((m) => `${m.version}:${m.sql}`).join('\n'))
  .digest('hex')
  .slice(0, 16);

/** Arbitrary constant: the advisory lock that keeps two servers from migrating one database at once. */
const MIGRATION_LOCK_KEY = 770_001;

/** Applies every migration not yet recorded, all in one transaction. */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (sql) => {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await sql.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = new Set(
      (await sql.query<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version),
    );
    const newlyApplied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await sql.query(statement);
      await sql.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
}

/** Migrations hold several statements; parameterised queries take one at a time. No `;` in literals. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.replace(/^\s*--.*$/gm, '').trim())
    .filter((statement) => statement.length > 0);
}
