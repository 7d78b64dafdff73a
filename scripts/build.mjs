// `npm run build`: the node as one ES module, services/node/dist/main.mjs, for production, the
// benchmark and the tests' node processes (TestNetwork runs it when it is newer than the sources);
// and the `refnet` command likewise, packages/cli/dist/refnet.mjs.
// Everything is bundled, the @refnet/* workspace packages (TypeScript sources) and the third-party
// packages alike, except native addons: resolving and compiling a few hundred modules from
// node_modules took about half of a node's start-up (about 2 s to ready, against about 1 s bundled).
// Running the bundle needs no TypeScript loader.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));

/**
 * Packages loaded from node_modules at run time instead of bundled: native addons (better-sqlite3,
 * pg's optional pg-native), which cannot be bundled.
 */
const EXTERNAL = ["better-sqlite3", "pg-native"];

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  external: EXTERNAL,
  // The GraphQL contract travels inside the bundle (services/node/src/graphql/yoga.ts).
  define: { __REFNET_SCHEMA_SDL__: JSON.stringify(readFileSync(`${root}schema.graphql`, "utf8")) },
  // For any CommonJS-style require that bundled code might still make.
  banner: {
    js: 'import { createRequire as __refnetCreateRequire } from "node:module"; const require = __refnetCreateRequire(import.meta.url);',
  },
};

await Promise.all([
  build({ ...common, entryPoints: ["services/node/src/main.ts"], outfile: "services/node/dist/main.mjs" }),
  // The `refnet` command (docs/admin-guide.md "Before you start"): starts in a fraction of a second
  // instead of the TypeScript loader's two.
  build({ ...common, entryPoints: ["packages/cli/src/main.ts"], outfile: "packages/cli/dist/refnet.mjs" }),
]);
