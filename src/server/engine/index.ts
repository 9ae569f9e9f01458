// The progressive-delivery engine (executors, rollouts, health checks, auto-rollback, auto-promotion):
// see README.md beside this file.
export { Engine, MAX_STEP_ATTEMPTS, type EngineOptions } from './engine';
export type { EngineLog } from './log';
export { registerEngineRoutes } from './routes';
export { WATCH_AFTER_SUCCESS_SECONDS, ENGINE_ACTOR } from './operations';
