/**
 * A real `weft serve` (the built bin/weft.js) over a data directory, on a free port, for the benchmarks that
 * measure the server as a process (waiting.js, ui.js).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/weft.js", import.meta.url));

/** Starts it; `url` resolves with its address once it listens, and rejects if it exits first. */
export function startServer(dir) {
  const child = spawn(process.execPath, [bin, "--data-dir", dir, "serve", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: process.env,
  });
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  const url = new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`weft serve exited (${code}):\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}
