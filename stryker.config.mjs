// Mutation testing of src/core: `npm run mutate` (docs/operations.md, "Testing"). Not part of `npm test`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  // Only the pure suites that exercise core (vitest.mutate.config.ts), all of them for every mutant they cover.
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  mutate: ["src/core/**/*.ts"],
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants such as zod schemas) would each re-run every test; skip them.
  ignoreStatic: true,
  concurrency: 2,
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  // Stryker rewrites tsconfig paths with the TypeScript compiler API, which TypeScript 7 no longer has. Our
  // tsconfig points nowhere outside the sandbox, so there is nothing to rewrite: name a file that is absent.
  tsconfigFile: "tsconfig.stryker-none.json",
};
