// Errors that become API responses: a status and one human sentence, plus optional fields
// (`current`, `issues`). Anything thrown that is not an ApiError is an internal error (500).

export type ApiErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415;

export class ApiError extends Error {
  constructor(
    readonly statusCode: ApiErrorStatus,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): Record<string, unknown> {
    return { error: this.message, ...this.extra };
  }
}

// The Aviator-compatible messages, word for word.
export const PROJECT_NOT_FOUND = 'Release project not found';
export const ENVIRONMENT_NOT_FOUND = 'Release environment not found';
export const RELEASE_NOT_FOUND = 'Release not found';
export const DEPLOYMENT_NOT_FOUND = 'Deployment not found';
export { ENVIRONMENT_FROZEN } from '../core/permissions';
export const NO_ROLLBACK_TARGET = 'No previous deployment to roll back from';
export const INVALID_CANDIDATE_VERSION = 'Invalid release candidate version';
