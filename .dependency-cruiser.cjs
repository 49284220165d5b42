/**
 * Layering of DESIGN §2, checked by `npm run lint:deps` (part of `npm test`).
 *
 * Three kinds of rule:
 * - layers: each top-level folder may import only the folders the §2 table allows;
 * - doors: an import that crosses into another folder must target that folder's `index.ts`
 *   (top-level folders; actor folders inside `actors/`; `bus/edge/` and `bus/server/`);
 * - no cycles, type-only ones included (`tsPreCompilationDeps: true`): a type cycle is still two
 *   files that cannot be understood, moved or split apart one at a time.
 * `tests/` and `bench/` may import anything, through any door.
 */

/** Paths that are not project code: packages and Node's own modules are matched by dependencyTypes. */
const EXTERNAL = ["core", "npm", "npm-dev", "npm-optional", "npm-peer", "npm-bundled", "npm-no-pkg", "npm-unknown"];

/** A layer rule: files under `from` may import only their own folder, `allowed` folders and packages. */
function layer(name, from, allowed, comment) {
  return {
    name,
    severity: "error",
    comment,
    from: { path: `^${from}/` },
    to: { pathNot: `^(${[from, ...allowed].join("|")})/`, dependencyTypesNot: EXTERNAL, couldNotResolve: false },
  };
}

module.exports = {
  forbidden: [
    {
      name: "schemas-only-effect",
      severity: "error",
      comment:
        "schemas/ holds the contracts every layer (and the UI bundle) shares: it may import only other " +
        "schemas/ files and the `effect` package (DESIGN §2).",
      from: { path: "^schemas/" },
      to: { pathNot: "^(schemas/|node_modules/effect/)" },
    },
    layer("bus-only-schemas", "bus", ["schemas"], "bus/ may import only schemas/ (DESIGN §2)."),
    layer("actors-only-schemas-bus", "actors", ["schemas", "bus"], "actors/ may import only schemas/ and bus/ (DESIGN §2)."),
    layer(
      "projections-only-schemas-bus",
      "projections",
      ["schemas", "bus"],
      "projections/ may import only schemas/ and bus/ (DESIGN §2).",
    ),
    layer(
      "ui-only-own-and-schemas",
      "ui",
      ["schemas"],
      "ui/ talks to the gateway only through the WS protocol and HTTP API: it may import its own code and schemas/ (DESIGN §2).",
    ),
    {
      name: "ui-schemas-types-only",
      severity: "error",
      comment:
        "ui/ imports schemas/ for types only (`import type`), so no runtime `effect` code enters the UI bundle (DESIGN §9).",
      from: { path: "^ui/" },
      to: { path: "^schemas/", dependencyTypesNot: ["type-only"] },
    },
    layer(
      "cli-not-tests-bench-infra",
      "cli",
      ["schemas", "bus", "actors", "projections", "ui"],
      "cli/ assembles processes from the layers above it; it may not import tests/, bench/ or infra/ (DESIGN §2).",
    ),
    {
      name: "doors-between-top-folders",
      severity: "error",
      comment:
        "No folder reaches into another's internals: an import from one top-level folder into another must target " +
        "that folder's index.ts, or the door of one of its roles (actors/<kind>/index.ts, bus/edge/index.ts, " +
        "bus/server/index.ts). Export what you need from the door (DESIGN §2).",
      from: { path: "^([^/]+)/", pathNot: "^(tests|bench)/" },
      to: {
        path: "^(schemas|bus|actors|projections|ui|cli|infra)/",
        pathNot: ["^$1/", "^[^/]+/index\\.ts$", "^actors/[^/]+/index\\.ts$", "^bus/(edge|server)/index\\.ts$"],
        dependencyTypesNot: EXTERNAL,
      },
    },
    {
      name: "doors-between-actor-folders",
      severity: "error",
      comment:
        "Each actor folder (actors/<kind>/) is a role with an index.ts door: from outside the folder, import its " +
        "index.ts, not its internals (DESIGN §2, §8).",
      from: { path: "^actors/", pathNot: "^actors/[^/]+/" },
      to: { path: "^actors/[^/]+/", pathNot: "^actors/[^/]+/index\\.ts$" },
    },
    {
      name: "doors-between-actor-folders",
      severity: "error",
      comment:
        "Each actor folder (actors/<kind>/) is a role with an index.ts door: from outside the folder, import its " +
        "index.ts, not its internals (DESIGN §2, §8).",
      from: { path: "^actors/([^/]+)/" },
      to: { path: "^actors/[^/]+/", pathNot: ["^actors/$1/", "^actors/[^/]+/index\\.ts$"] },
    },
    {
      name: "doors-of-bus-edge-and-server",
      severity: "error",
      comment:
        "bus/edge/ and bus/server/ are roles with their own index.ts door: from outside the folder, import its index.ts.",
      from: { path: "^bus/", pathNot: "^bus/(edge|server)/" },
      to: { path: "^bus/(edge|server)/", pathNot: "^bus/(edge|server)/index\\.ts$" },
    },
    {
      name: "doors-of-bus-edge-and-server",
      severity: "error",
      comment:
        "bus/edge/ and bus/server/ are roles with their own index.ts door: from outside the folder, import its index.ts.",
      from: { path: "^bus/(edge|server)/" },
      to: { path: "^bus/(edge|server)/", pathNot: ["^bus/$1/", "^bus/(edge|server)/index\\.ts$"] },
    },
    {
      name: "no-cycles",
      severity: "error",
      comment:
        "No import cycles, type-only ones included (DESIGN §2). Move what both sides need into a leaf file " +
        "(e.g. <role>.types.ts) that imports neither.",
      from: { pathNot: "\\.svelte$" },
      to: { circular: true },
    },
    {
      // A Svelte 5 component renders itself recursively by importing itself: that one self-loop is not a
      // cycle between two files. Any longer cycle through a component is still an error.
      name: "no-cycles",
      severity: "error",
      comment:
        "No import cycles, type-only ones included (DESIGN §2). Move what both sides need into a leaf file " +
        "(e.g. <role>.types.ts) that imports neither.",
      from: { path: "^(.+\\.svelte)$" },
      to: { circular: true, pathNot: "^$1$" },
    },
    {
      // Two folders that import each other (even through different files, so no file cycle) are
      // one role split in two: neither can be read, tested or moved without the other.
      name: "no-folder-cycles",
      severity: "error",
      scope: "folder",
      comment:
        "No import cycles between folders (e.g. actors/skills → actors/tools → actors/skills), even when no single " +
        "file cycle exists: decide which folder is the lower one and move what the other needs into it.",
      from: { pathNot: "^(tests|bench)(/|$)" },
      to: { circular: true },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      comment: "An import the checker cannot resolve is an import it cannot check: fix the path or the extension.",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".mjs", ".js", ".cjs", ".svelte", ".d.ts"],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
