/**
 * Step runs (seed 002's `/api/workflow-steps`): detail, and the log files of the step's folder
 * (`runs/<run id>/logs/<key>/{input.json, output.json, events.jsonl, summary.md}`).
 *
 * `GET …/logs/events?follow=1` (or `Accept: text/event-stream`) streams events.jsonl as Server-Sent Events:
 * one `event: line` per JSON line (its `id:` is the byte offset after it: reconnect with `?offset=<id>` or
 * `Last-Event-ID`), until the step ends (`event: end`, `data: {"status": …}`). The log files are written
 * after the fact, off the commit path, so the stream keeps reading a moment after the step's end is stored.
 */
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { join, relative } from "node:path";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, RawServerDefault } from "fastify";
import { WeftError } from "../../core/errors.js";
import type { RunRecord, StepRunRecord } from "../../core/model.js";
import { TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES } from "../../core/model.js";
import { stepLogDir } from "../../engine/logs.js";
import { data, type RouteContext, type RoutePluginOptions } from "../context.js";
import {
  envelope,
  type LogType,
  stepDetailSchema,
  stepLogParams,
  stepLogQuery,
  stepLogSchema,
  stepParams,
} from "../schemas.js";
import { SESSION_FILE, sessionView } from "../session.js";
import { RequestError, type ZodTypeProvider } from "../validation.js";
import { commentsOf, parseStepRunId, stepDetailView, stepRunId } from "../views.js";

const LOG_FILES: Record<LogType, string> = {
  input: "input.json",
  output: "output.json",
  events: "events.jsonl",
  summary: "summary.md",
};

/** Most bytes of a log file one response carries (its end, when the file is larger). */
export const MAX_LOG_BYTES = 4 * 1024 * 1024;
const FOLLOW_POLL_MS = 100;
/** Polls after the step's end is stored before the stream ends (the log writes trail the commit). */
const FOLLOW_GRACE_POLLS = 3;
const KEEP_ALIVE_MS = 15_000;
const READ_CHUNK = 1024 * 1024;

/** Whether a log request asks for the live stream: `?follow=1` or `Accept: text/event-stream` (EventSource). */
function wantsStream(follow: boolean, accept: string | undefined): boolean {
  return follow || (accept ?? "").includes("text/event-stream");
}

/**
 * The access rule's `queryToken` for the log route: only a stream of the events log. It runs before the query
 * is validated, so `follow` is the raw parameter (`?follow`, `=1`, `=true`, as the schema's flag reads it).
 */
function followsEvents(req: FastifyRequest): boolean {
  const params = req.params as { type?: string };
  const follow = (req.query as { follow?: unknown }).follow;
  return (
    params.type === "events" && wantsStream(follow === "" || follow === "1" || follow === "true", req.headers.accept)
  );
}

async function stepOf(ctx: RouteContext, id: string): Promise<{ run: RunRecord; step: StepRunRecord }> {
  const { runId, key } = parseStepRunId(id);
  const [run, step] = await Promise.all([ctx.store.runs.get(runId), ctx.store.steps.get(runId, key)]);
  if (!run || !step) throw new WeftError("WEFT_NOT_FOUND", `no step run has id ${id}`);
  return { run, step };
}

async function readTail(file: string): Promise<{ content: string; size: number; truncated: boolean } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch {
    return undefined;
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, MAX_LOG_BYTES);
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, size - len);
    return { content: buf.subarray(0, bytesRead).toString("utf8"), size, truncated: len < size };
  } finally {
    await fh.close();
  }
}

export const stepRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  /** Open follow streams, ended when the server closes (else `close()` would wait for them). */
  const followers = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const stop of followers) stop();
  });

  app.get(
    "/workflow-steps/:id",
    {
      config: { access: { role: "read", scope: { step: "id" } } },
      schema: { params: stepParams, response: { 200: envelope(stepDetailSchema) } },
    },
    async (req) => {
      const { run, step } = await stepOf(ctx, req.params.id);
      const logDir = stepLogDir(ctx.dataDir, run.id, step.key);
      const [attempts, session, artifacts, comments] = await Promise.all([
        ctx.store.steps.attempts(run.id, step.key),
        readTail(join(logDir, SESSION_FILE)).then(sessionView),
        ctx.store.artifacts.list(run.id, { stepKey: step.key }),
        commentsOf(ctx.store, run.id, step.key),
      ]);
      return data(
        stepDetailView(run, step, attempts, {
          logDirectory: relative(ctx.dataDir, logDir),
          session,
          artifacts,
          comments,
        }),
      );
    },
  );

  app.get(
    "/workflow-steps/:id/logs/:type",
    {
      // EventSource (the browser's SSE client) cannot send headers: the token may come as ?access_token= — on
      // the events stream only; the plain log reads need the header.
      config: { access: { role: "read", scope: { step: "id" }, queryToken: followsEvents } },
      schema: { params: stepLogParams, querystring: stepLogQuery, response: { 200: envelope(stepLogSchema) } },
    },
    async (req, reply) => {
      const { id, type } = req.params;
      const { run, step } = await stepOf(ctx, id);
      const file = join(stepLogDir(ctx.dataDir, run.id, step.key), LOG_FILES[type]);
      if (wantsStream(req.query.follow === true, req.headers.accept)) {
        if (type !== "events") {
          throw new RequestError(`only the events log can be followed; use …/logs/events?follow=1, not ${type}`);
        }
        const lastId = Number(req.headers["last-event-id"]);
        const offset = req.query.offset ?? (Number.isSafeInteger(lastId) && lastId >= 0 ? lastId : 0);
        followEvents(ctx, reply, followers, {
          runId: run.id,
          key: step.key,
          file,
          offset,
          tokenId: req.principal?.tokenId ?? null,
        });
        return reply;
      }
      // This process's engine writes its runs' files a moment after their commits: a file not there yet may be queued.
      const tail = (await readTail(file)) ?? (await ctx.engine.flush().then(() => readTail(file)));
      if (!tail) {
        const when = TERMINAL_STEP_STATUSES.has(step.status) ? "" : " yet";
        throw new WeftError(
          "WEFT_NOT_FOUND",
          `step run ${id} has no ${type} log${when} (${LOG_FILES[type]}; the step is ${step.status})`,
        );
      }
      return data({
        type,
        step_id: stepRunId(run.id, step.key),
        content: tail.content,
        size_bytes: tail.size,
        truncated: tail.truncated,
      });
    },
  );
};

/** Streams events.jsonl from `offset` as Server-Sent Events until the step (or its run) ends or the client leaves. */
function followEvents(
  ctx: RouteContext,
  reply: FastifyReply,
  followers: Set<() => void>,
  at: { runId: string; key: string; file: string; offset: number; tokenId: string | null },
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write(": following events.jsonl\n\n");
  let offset = at.offset;
  let closed = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    closed = true;
    wake?.();
  };
  followers.add(stop);
  res.on("close", stop);
  // A revoked token's stream ends at once (no `event: end`: the step did not end).
  const unwatch = ctx.revocations?.watch(at.tokenId, stop);

  const send = (event: string, payload: string, id?: number) => {
    if (closed) return;
    res.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${payload}\n\n`);
  };

  /** Sends the complete lines appended since `offset`. */
  const readNew = async () => {
    let fh: FileHandle;
    try {
      fh = await open(at.file, "r");
    } catch {
      return; // not created yet
    }
    try {
      const { size } = await fh.stat();
      while (offset < size && !closed) {
        const len = Math.min(size - offset, READ_CHUNK);
        const buf = Buffer.alloc(len);
        const { bytesRead } = await fh.read(buf, 0, len, offset);
        const chunk = buf.subarray(0, bytesRead);
        let end = chunk.lastIndexOf(10);
        // A line longer than one chunk is sent in pieces rather than waited for forever.
        if (end === -1 && bytesRead === READ_CHUNK) end = bytesRead - 1;
        if (end === -1) break;
        let start = 0;
        while (start <= end) {
          let nl = chunk.indexOf(10, start);
          if (nl === -1 || nl > end) nl = end;
          const line = chunk.subarray(start, nl).toString("utf8").replace(/\r$/, "");
          if (line.trim() !== "") send("line", line, offset + nl + 1);
          start = nl + 1;
        }
        offset += end + 1;
      }
    } finally {
      await fh.close();
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  void (async () => {
    let endedPolls = 0;
    let lastWrite = Date.now();
    try {
      while (!closed) {
        const before = offset;
        await readNew();
        if (offset !== before) lastWrite = Date.now();
        const [run, step] = await Promise.all([ctx.store.runs.get(at.runId), ctx.store.steps.get(at.runId, at.key)]);
        const ended = !run || !step || TERMINAL_STEP_STATUSES.has(step.status) || TERMINAL_RUN_STATUSES.has(run.status);
        if (ended && ++endedPolls > FOLLOW_GRACE_POLLS) {
          await readNew();
          send("end", JSON.stringify({ status: step?.status ?? null, offset }));
          break;
        }
        if (Date.now() - lastWrite > KEEP_ALIVE_MS) {
          res.write(": keep-alive\n\n");
          lastWrite = Date.now();
        }
        await sleep(FOLLOW_POLL_MS);
      }
    } catch (err) {
      // The store closed under a shutting-down server, or the file became unreadable: end the stream.
      send("error", JSON.stringify({ message: err instanceof Error ? err.message : String(err) }));
    } finally {
      unwatch?.();
      followers.delete(stop);
      res.off("close", stop);
      res.end();
    }
  })();
}
