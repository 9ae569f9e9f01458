// The product version, from package.json, substituted by esbuild at build time (`define`), so the CLI,
// /healthz and the extension all report the one number. Unbundled runs (tests under tsx) say "dev".
declare const __FLIGHTDECK_VERSION__: string | undefined;

export const VERSION: string = typeof __FLIGHTDECK_VERSION__ === 'string' ? __FLIGHTDECK_VERSION__ : '0.0.0-dev';
