import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createClaudeCodeProvider, createCodexProvider, worktreeName } from "../../../src/agents/cli/index.js";
import { TerminalError } from "../../../src/core/errors.js";
import { entries, failure, request, stub, tempDir } from "./helpers.js";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=weft", "-c", "user.email=weft@example.com", ...args], {
    cwd,
    encoding: "utf8",
  });

function repo(): string {
  const dir = tempDir("weft-repo-");
  git(dir, "init", "-q");
  mkdirSync(join(dir, "pkg"));
  writeFileSync(join(dir, "pkg", "a.txt"), "hello\n");
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "initial");
  return dir;
}

describe("worktree option", () => {
  it("runs the agent in a detached worktree of the repository's HEAD, keeps it, and reuses it on a retry", async () => {
    const dir = repo();
    const s = stub();
    const provider = createClaudeCodeProvider({ env: s.env });
    const req = request({ cwd: join(dir, "pkg"), agent: { options: { worktree: true } } });
    const res = await provider.generate(req);

    const path = join(dir, ".weft-worktrees", worktreeName("run-1:step-fix:0"));
    expect(s.records()[0]?.cwd).toBe(join(path, "pkg"));
    expect(readFileSync(join(path, "pkg", "a.txt"), "utf8")).toBe("hello\n");
    expect(req.progress[0]).toBe(`worktree: ${path}`);
    expect(entries(res.transcript, "worktree")).toEqual([
      { type: "worktree", path, cwd: join(path, "pkg"), repo: dir, created: true },
    ]);
    expect(git(path, "rev-parse", "HEAD")).toBe(git(dir, "rev-parse", "HEAD"));
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(readFileSync(join(dir, ".git", "info", "exclude"), "utf8")).toContain("/.weft-worktrees/\n");

    const again = request({ attempt: 2, cwd: join(dir, "pkg"), agent: { options: { worktree: true } } });
    const second = await provider.generate(again);
    expect(again.progress[0]).toBe(`worktree: ${path} (reused from an earlier attempt)`);
    expect(entries(second.transcript, "worktree")[0]?.created).toBe(false);
    expect(git(dir, "worktree", "list").trim().split("\n")).toHaveLength(2);
    expect(existsSync(path)).toBe(true);
  });

  it("puts worktrees under the data directory when one is given", async () => {
    const dir = repo();
    const data = tempDir("weft-data-");
    const s = stub();
    await createCodexProvider({ env: s.env, dataDir: data }).generate(
      request({ cwd: dir, idempotencyKey: "run 2/step ✓", agent: { options: { worktree: true } } }),
    );
    const path = join(data, ".weft-worktrees", worktreeName("run 2/step ✓"));
    expect(worktreeName("run 2/step ✓")).toMatch(/^run-2-step-[0-9a-f]{10}$/);
    expect(s.records()[0]?.cwd).toBe(path);
    expect(existsSync(join(dir, ".weft-worktrees"))).toBe(false);
  });

  it("says so when the working directory is not in a git repository", async () => {
    const dir = tempDir();
    const err = await failure(
      createClaudeCodeProvider({ env: stub().env }).generate(
        request({ cwd: dir, agent: { options: { worktree: true } } }),
      ),
    );
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain(
      `agent "coder" uses options.worktree, but its working directory ${dir} is not inside a git repository`,
    );
  });

  it("says so when the repository has no commit yet", async () => {
    const dir = tempDir();
    git(dir, "init", "-q");
    const err = await failure(
      createClaudeCodeProvider({ env: stub().env }).generate(
        request({ cwd: dir, agent: { options: { worktree: true } } }),
      ),
    );
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain("the repository needs at least one commit");
  });
});
