// Injected into the Node bundles (cjs): ESM dependencies such as PGlite locate their .wasm/.data files
// with `new URL('./x.wasm', import.meta.url)`, which a cjs bundle does not have. This gives them the
// bundle's own URL, so they find the assets esbuild.mjs copies next to it.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
