import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** CLI, crash and browser tests spawn the built `weft` (and its web UI); build once before any test runs. */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
  execFileSync(
    process.execPath,
    [`${root}node_modules/vite/bin/vite.js`, "build", "--config", "web/vite.config.ts", "--logLevel", "warn"],
    {
      cwd: root,
      stdio: "inherit",
      // vitest sets NODE_ENV=test, which would make Vite bundle React's development build: test what ships.
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
}
