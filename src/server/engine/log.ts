// Where the engine reports what it does: a leaf module, so the engine and its task runners share it
// without importing each other.
export interface EngineLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}
