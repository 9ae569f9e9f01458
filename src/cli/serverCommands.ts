// The half of `flightdeck` that holds the server (fastify, PGlite, pg): esbuild makes it a bundle of its
// own (dist/server.js) that dist/cli.js requires only when a command needs it (`serve`, `demo`,
// `token create --data-dir|--database-url`), so the client commands never load or parse it.
export { runServe } from './serve';
export { runDemo } from './demo';
export { createTokenInStore } from './tokenStore';
