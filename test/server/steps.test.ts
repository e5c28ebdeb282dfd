import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stepDetailSchema, stepLogSchema } from "../../src/server/schemas.js";
import { until } from "../helpers/engine.js";
import {
  APPROVAL,
  body,
  expectError,
  type Json,
  launchId,
  QUICK,
  type ServerEnv,
  serverEnv,
  stepOf,
  waitRun,
  waitStatus,
} from "./helpers.js";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

const stepUrl = (runId: string, key: string) => `/api/workflow-steps/${encodeURIComponent(`${runId}:${key}`)}`;

/** Parses a Server-Sent Events text into its events. */
function sse(text: string): Array<{ event: string; data: string; id?: string }> {
  const out: Array<{ event: string; data: string; id?: string }> = [];
  for (const block of text.split("\n\n")) {
    const ev: { event: string; data: string; id?: string } = { event: "message", data: "" };
    let any = false;
    for (const line of block.split("\n")) {
      if (line.startsWith(":") || line === "") continue;
      const at = line.indexOf(": ");
      const [field, value] = at === -1 ? [line, ""] : [line.slice(0, at), line.slice(at + 2)];
      if (field === "event") ev.event = value;
      else if (field === "data") ev.data = value;
      else if (field === "id") ev.id = value;
      any = true;
    }
    if (any) out.push(ev);
  }
  return out;
}

const PRINTER = `name: printer
steps:
  - id: print
    command: for i in 1 2 3 4 5; do echo "line $i"; sleep 0.25; done
  - id: after
    needs: print
    type: noop
`;

describe("GET /api/workflow-steps/:id", () => {
  it("shows a step run: step_id, name, phase, status, log folder, attempts", async () => {
    const id = await launchId(s.app, QUICK);
    await waitStatus(s.app, id, "completed");
    const res = await s.app.inject({ url: stepUrl(id, "hello") });
    expect(res.statusCode).toBe(200);
    const step = body(res).data;
    expect(stepDetailSchema.parse(step)).toBeTruthy();
    expect(step).toMatchObject({
      id: `${id}:hello`,
      workflow_run_id: id,
      step_id: "hello",
      key: "hello",
      name: "hello",
      phase: "build",
      type: "script",
      status: "completed",
      attempt: 1,
      log_directory_path: `runs/${id}/logs/hello`,
      session: null,
      artifacts: [],
      comments: [],
    });
    expect(step.output).toMatchObject({ exitCode: 0, result: "hello" });
    expect(step.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: "completed", error: null, duration_ms: expect.any(Number) }),
    ]);
    // the unencoded form works too
    expect((await s.app.inject({ url: `/api/workflow-steps/${id}:bye` })).statusCode).toBe(200);
  });

  it("unknown or malformed step ids → 404 with a message", async () => {
    const id = await launchId(s.app, QUICK);
    for (const bad of [`${id}:nope`, "no-colon", "00000000-0000-4000-8000-000000000000:hello", ":hello", `${id}:`]) {
      const e = expectError(await s.app.inject({ url: `/api/workflow-steps/${encodeURIComponent(bad)}` }), 404);
      expect(e.message).toMatch(/step run/);
    }
    expectError(await s.app.inject({ url: `/api/workflow-steps/${id}:nope/logs/events` }), 404, "WEFT_NOT_FOUND");
    await waitStatus(s.app, id, "completed");
  });
});

describe("GET /api/workflow-steps/:id/logs/:type", () => {
  it("reads input, output, events and summary from the step's log folder", async () => {
    const id = await launchId(s.app, QUICK);
    await waitStatus(s.app, id, "completed");
    const logs: Record<string, Json> = {};
    await until(async () => {
      for (const type of ["input", "output", "events", "summary"]) {
        const res = await s.app.inject({ url: `${stepUrl(id, "hello")}/logs/${type}` });
        if (res.statusCode !== 200) return false;
        logs[type] = body(res).data;
      }
      return true;
    });
    for (const [type, log] of Object.entries(logs)) {
      expect(stepLogSchema.parse(log)).toBeTruthy();
      expect(log).toMatchObject({ type, step_id: `${id}:hello`, truncated: false });
      expect(log.size_bytes).toBe(Buffer.byteLength(log.content));
    }
    expect(JSON.parse(logs.input.content)).toBeTypeOf("object");
    expect(JSON.parse(logs.output.content)).toMatchObject({ exitCode: 0, result: "hello" });
    expect(
      logs.events.content
        .trim()
        .split("\n")
        .map((l: string) => JSON.parse(l)),
    ).toEqual([expect.objectContaining({ type: "stdout", text: "hello" })]);
    expect(logs.summary.content).toMatch(/hello/);
  });

  it("a log not written yet → 404 saying so; an unknown type → 400", async () => {
    const id = await launchId(s.app, APPROVAL);
    await waitRun(s.app, id, (r) => stepOf(r, "review").status === "waiting", "review waiting");
    const e = expectError(await s.app.inject({ url: `${stepUrl(id, "ship")}/logs/output` }), 404, "WEFT_NOT_FOUND");
    expect(e.message).toMatch(/no output log yet/);
    expect(e.message).toMatch(/pending/);
    const t = expectError(await s.app.inject({ url: `${stepUrl(id, "ship")}/logs/stderr` }), 400, "WEFT_BAD_REQUEST");
    expect(t.message).toMatch(/path\.type/);
    expectError(await s.app.inject({ url: `${stepUrl(id, "ship")}/logs/events?follow=maybe` }), 400);
    const f = expectError(await s.app.inject({ url: `${stepUrl(id, "ship")}/logs/output?follow=1` }), 400);
    expect(f.message).toMatch(/only the events log/);
    await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/cancel` });
  });

  it("?follow=1 of an ended step sends every line, then `end` (inject)", async () => {
    const id = await launchId(s.app, QUICK);
    await waitStatus(s.app, id, "completed");
    const res = await s.app.inject({ url: `${stepUrl(id, "hello")}/logs/events?follow=1` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = sse(res.body);
    expect(events.map((e) => e.event)).toEqual(["line", "end"]);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ type: "stdout", text: "hello" });
    expect(JSON.parse(events[1]!.data)).toMatchObject({ status: "completed" });
    // resuming from the last id sends nothing more than the end
    const again = await s.app.inject({
      url: `${stepUrl(id, "hello")}/logs/events`,
      headers: { accept: "text/event-stream", "last-event-id": events[0]!.id! },
    });
    expect(sse(again.body).map((e) => e.event)).toEqual(["end"]);
  });

  it("streams events.jsonl lines while a script prints them, until the step ends (real client)", async () => {
    const base = await s.listen();
    const id = await launchId(s.app, PRINTER);
    await waitRun(s.app, id, (r) => stepOf(r, "print").status === "running", "print running");
    const res = await fetch(`${base}${stepUrl(id, "print")}/logs/events?follow=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let firstLineWhileRunning: boolean | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (firstLineWhileRunning === undefined && sse(text).some((e) => e.event === "line")) {
        const step = body(await s.app.inject({ url: stepUrl(id, "print") })).data;
        firstLineWhileRunning = step.status === "running";
      }
    }
    expect(firstLineWhileRunning).toBe(true);
    const events = sse(text);
    const lines = events.filter((e) => e.event === "line").map((e) => JSON.parse(e.data));
    expect(lines.map((l) => l.text)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
    expect(events.at(-1)).toMatchObject({ event: "end" });
    expect(JSON.parse(events.at(-1)!.data).status).toBe("completed");
    // ids are increasing byte offsets
    const ids = events.filter((e) => e.event === "line").map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    await waitStatus(s.app, id, "completed");
  });

  it("a follower of a step that waits is ended by the server's close (close does not hang)", async () => {
    const base = await s.listen();
    const id = await launchId(s.app, APPROVAL);
    await waitRun(s.app, id, (r) => stepOf(r, "review").status === "waiting", "review waiting");
    const res = await fetch(`${base}${stepUrl(id, "review")}/logs/events`, {
      headers: { accept: "text/event-stream" },
    });
    const reader = res.body!.getReader();
    await reader.read(); // the opening comment
    // A close that waited for the follower would never return: the test's timeout, not a clock, says so.
    await s.app.close();
    for (;;) if ((await reader.read()).done) break;
  });
});
