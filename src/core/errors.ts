// One sentence for anything thrown, in every room (the tree, the commands, the CLI, the server's logs and
// answers): an Error says its message, anything else is stringified. Pure: no I/O.

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
