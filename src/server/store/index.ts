// The store's public face: the service and the engine import from here, never from the files inside.
export { Store, DEFAULT_DATA_DIR, DEFAULT_EVENT_RETENTION, type StoreOptions, type CommitListener } from './store';
export { StoreReader, type Page, type StoredEvent } from './reader';
export { StoreWriter, type CommittedEvent, type DeploymentFieldUpdate, type NewDeployment, type ProjectFields } from './writer';
export type { CandidateRecord, EnvironmentRecord, ProjectRecord, TokenRecord } from './rows';
export { SCHEMA_FINGERPRINT } from './migrations';
export {
  EngineStatements, tryEngineLock, ENGINE_LOCK_KEY, type EngineLock, type EngineTask, type EngineTaskChange, type EngineTaskKind,
  type EngineTaskState,
} from './engine-tasks';
