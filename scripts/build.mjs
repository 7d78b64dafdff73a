// `npm run build`: the node as one ES module, services/node/dist/main.mjs, for production and for the
// benchmark. The @refnet/* workspace packages are bundled (they ship TypeScript sources); every other
// package stays external and is loaded from node_modules as published. Running the bundle needs no
// TypeScript loader: no tsx loader thread, no per-module transpile at start-up.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));

/** Bare imports other than @refnet/* (and node: built-ins) are left to Node's resolver at run time. */
const externalThirdParty = {
  name: "external-third-party",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@refnet/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ["services/node/src/main.ts"],
  outfile: "services/node/dist/main.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  plugins: [externalThirdParty],
  // The GraphQL contract travels inside the bundle (services/node/src/graphql/yoga.ts).
  define: { __REFNET_SCHEMA_SDL__: JSON.stringify(readFileSync(`${root}schema.graphql`, "utf8")) },
  // For any CommonJS-style require that bundled code might still make.
  banner: {
    js: 'import { createRequire as __refnetCreateRequire } from "node:module"; const require = __refnetCreateRequire(import.meta.url);',
  },
});
