/**
 * The import specifiers that mean weft itself in a workflow module: `weftflow` (and `weftflow/<sub>`), and the
 * compatibility aliases of earlier engines whose workflow files weft runs unchanged — seed 002's
 * `@repo/workflow-engine` (its `defineWorkflow`). The bundler resolves them to this package; the static reader
 * finds `defineWorkflow` imported from any of them.
 */

/** Other engines' package names that resolve to `weftflow` (docs/typescript-workflows.md, docs/compatibility.md). */
export const WEFTFLOW_ALIASES: readonly string[] = ["@repo/workflow-engine"];

/**
 * The `weftflow` specifier `spec` means (`@repo/workflow-engine/x` → `weftflow/x`), or undefined when it names
 * another package.
 */
export function weftflowSpecifier(spec: string): string | undefined {
  for (const name of ["weftflow", ...WEFTFLOW_ALIASES]) {
    if (spec === name || spec.startsWith(`${name}/`)) return `weftflow${spec.slice(name.length)}`;
  }
  return undefined;
}
