/**
 * Upload temp files left by a killed server are swept when `weft serve` starts (src/server/uploads.ts): a real
 * `weft serve` process is killed (SIGKILL) in the middle of an upload, and the next one removes its temp file
 * — but not a file another live process may still be writing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanUpAfterTests, startWeft, tempDir } from "../cli/helpers.js";
import { until } from "../helpers/engine.js";
import { APPROVAL, type Json } from "./helpers.js";

cleanUpAfterTests();

async function startServe(dataDir: string) {
  const p = startWeft(["--data-dir", dataDir, "serve", "--port", "0"]);
  const line = await p.waitForLine(/listening on http:\/\//, 60_000);
  return { p, url: /(http:\/\/\S+)/.exec(line)?.[1] as string };
}

const temps = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(".upload-")) : []);

describe("upload temp files", () => {
  it("a server killed mid-upload leaves its temp file; the next `weft serve` removes it, not a live owner's", async () => {
    const dataDir = tempDir();
    const first = await startServe(dataDir);
    const launched = await fetch(`${first.url}/api/workflow-executions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: { source: APPROVAL } }),
    });
    const runId = ((await launched.json()) as Json).data.id as string;
    const artifacts = join(dataDir, "runs", runId, "artifacts");

    // An upload of 50 MB of which 1 MB is sent; the server streams it to its temp file.
    const { hostname, port } = new URL(first.url);
    const socket = connect(Number(port), hostname);
    socket.on("error", () => undefined);
    const boundary = "----weft-test";
    const preamble = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    socket.write(
      `POST /api/workflow-executions/${runId}/artifacts HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n${preamble}`,
    );
    socket.write(Buffer.alloc(1024 * 1024, 0x61));
    await until(
      async () => temps(artifacts).some((n) => statSync(join(artifacts, n)).size > 0),
      15_000,
      "the upload's temp file being written",
    );
    const [orphan] = temps(artifacts);
    expect(orphan).toMatch(new RegExp(`^\\.upload-${first.p.pid}-[0-9a-f-]{36}\\.tmp$`));

    first.p.kill("SIGKILL");
    await first.p.done().catch(() => undefined);
    socket.destroy();
    expect(temps(artifacts)).toEqual([orphan]);

    // Others' files: a live process's fresh upload stays; a live pid's file untouched for 2 hours (a reused pid),
    // a dead process's and an old-style one (no pid) untouched as long go.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const live = `.upload-${process.pid}-00000000-0000-4000-8000-000000000001.tmp`;
    const reused = `.upload-${process.pid}-00000000-0000-4000-8000-000000000002.tmp`;
    const gone = `.upload-${dead}-00000000-0000-4000-8000-000000000003.tmp`;
    const legacy = ".upload-00000000-0000-4000-8000-000000000004.tmp";
    const freshLegacy = ".upload-00000000-0000-4000-8000-000000000005.tmp";
    const other = join(dataDir, "runs", "another-run", "artifacts");
    mkdirSync(other, { recursive: true });
    for (const name of [live, reused, gone, legacy, freshLegacy]) writeFileSync(join(other, name), "partial");
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of [reused, legacy]) utimesSync(join(other, name), twoHoursAgo, twoHoursAgo);

    // The sweep ends before the server listens.
    const second = await startServe(dataDir);
    try {
      expect(temps(artifacts)).toEqual([]);
      expect(temps(other).sort()).toEqual([freshLegacy, live].sort());
      // The run's folder is otherwise intact and uploads work.
      const fd = new FormData();
      fd.append("file", new Blob(["hello"]), "hello.txt");
      const up = await fetch(`${second.url}/api/workflow-executions/${runId}/artifacts`, { method: "POST", body: fd });
      expect(up.status).toBe(201);
      expect(temps(artifacts)).toEqual([]);
    } finally {
      second.p.kill("SIGTERM");
      await second.p.done().catch(() => undefined);
    }
  });
});
