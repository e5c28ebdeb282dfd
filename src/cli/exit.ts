/** The exit codes of `weft` (docs/cli.md). */
export const EXIT = { ok: 0, runFailed: 1, usage: 2, notFound: 3, conflict: 4, interrupted: 130 } as const;
