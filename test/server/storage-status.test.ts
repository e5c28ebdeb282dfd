/** A storage failure (full disk, damaged database) answers 503 with weft's message, not a 500 "internal error". */
import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/core/errors.js";
import { errorReply, statusOf } from "../../src/server/app.js";
import { storageErrorOf } from "../../src/store/sqlite/storage-errors.js";

describe("storage errors over the API", () => {
  it("SQLITE_FULL from the store becomes 503 WEFT_STORAGE saying the disk is full and which file", () => {
    const sqlite = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    const err = storageErrorOf(sqlite, "/data/weft.db");
    expect(err).toBeInstanceOf(WeftError);
    expect(statusOf(err)).toBe(503);
    const { status, body } = errorReply(err, { headers: {} } as FastifyRequest, 1024);
    expect(status).toBe(503);
    expect(body.error.code).toBe("WEFT_STORAGE");
    expect(body.error.message).toMatch(/^the disk is full: weft could not write \/data\/weft\.db/);
  });

  it("a damaged file (SQLITE_CORRUPT) is 503 too; other SQLite errors pass through unchanged", () => {
    const corrupt = Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" });
    expect(statusOf(storageErrorOf(corrupt, "/data/weft.db"))).toBe(503);
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    expect(storageErrorOf(busy, "/data/weft.db")).toBeUndefined();
  });
});
