/**
 * Follows a step's events log (`GET /api/workflow-steps/:id/logs/events?follow=1`, Server-Sent Events) with
 * `fetch` and a stream reader — so the token travels in the Authorization header, never in a URL as
 * EventSource would need. A dropped connection resumes from the last byte offset received (`?offset=`); a
 * log not written yet (404) is asked for again until it exists.
 */
import { getToken } from "../../api/auth";
import { WeftApiError } from "../../api/client";

export interface LogLine {
  offset: number;
  stream: string;
  text: string;
  at: number | null;
}

export interface FollowHandlers {
  onLines(lines: LogLine[]): void;
  onEnd(status: string | null): void;
  onError(err: unknown): void;
}

const RETRY_MS = 1000;

/** One line of events.jsonl as shown: its stream (stdout, stderr, an agent message type) and its text. */
export function parseLine(json: string, offset: number): LogLine {
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    const stream = typeof o.type === "string" ? o.type : typeof o.stream === "string" ? o.stream : "event";
    const text =
      typeof o.text === "string"
        ? o.text
        : typeof o.message === "string"
          ? o.message
          : JSON.stringify(Object.fromEntries(Object.entries(o).filter(([k]) => k !== "type" && k !== "at")));
    return { offset, stream, text, at: typeof o.at === "number" ? o.at : null };
  } catch {
    return { offset, stream: "event", text: json, at: null };
  }
}

/** Starts following; the returned function stops. */
export function followLog(stepRunId: string, h: FollowHandlers): () => void {
  const ctl = new AbortController();
  let offset = 0;
  let stopped = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function once(): Promise<"end" | "again"> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    const url = `/api/workflow-steps/${encodeURIComponent(stepRunId)}/logs/events?follow=1&offset=${offset}`;
    const res = await fetch(url, { headers, signal: ctl.signal });
    if (res.status === 404) return "again"; // nothing written yet
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      throw new WeftApiError(res.status, body?.error?.code ?? "WEFT_ERROR", body?.error?.message ?? res.statusText);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "again"; // ended without `end`: the server went away; resume from `offset`
      buf += value;
      const lines: LogLine[] = [];
      let cut = buf.indexOf("\n\n");
      while (cut >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        cut = buf.indexOf("\n\n");
        let event = "message";
        let id: number | null = null;
        const data: string[] = [];
        for (const l of block.split("\n")) {
          if (l.startsWith("event:")) event = l.slice(6).trim();
          else if (l.startsWith("id:")) id = Number(l.slice(3).trim());
          else if (l.startsWith("data:")) data.push(l.slice(5).replace(/^ /, ""));
        }
        if (event === "line" && id !== null) {
          lines.push(parseLine(data.join("\n"), id));
          offset = id;
        } else if (event === "end") {
          if (lines.length) h.onLines(lines);
          let status: string | null = null;
          try {
            status = (JSON.parse(data.join("\n")) as { status?: string | null }).status ?? null;
          } catch {}
          h.onEnd(status);
          return "end";
        }
      }
      if (lines.length) h.onLines(lines);
    }
  }

  void (async () => {
    while (!stopped) {
      try {
        if ((await once()) === "end") return;
      } catch (err) {
        if (stopped) return;
        if (err instanceof WeftApiError) {
          h.onError(err);
          return;
        }
        // network: try again
      }
      await sleep(RETRY_MS);
    }
  })();

  return () => {
    stopped = true;
    ctl.abort();
  };
}
