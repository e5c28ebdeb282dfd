/** Shared fixtures of the conformance suite's server-record blocks. */
import type { RunRecord, Workflow } from "../../core/model.js";
import type {
  ArtifactFileType,
  NewArtifact,
  NewComment,
  NewDefinition,
  NewRun,
  NewToken,
  Store,
} from "../../store/store.js";

export interface ServerConformanceContext {
  store: () => Store;
  another: () => Promise<Store>;
  make: (patch?: Partial<NewRun>) => Promise<RunRecord>;
  workflow: Workflow;
  T0: number;
}

export const uid = (): string => globalThis.crypto.randomUUID();

/** Settles every promise; returns the fulfilled values and the rejections. */
export async function settle<T>(ps: Array<Promise<T>>): Promise<{ ok: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(ps);
  return {
    ok: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])),
  };
}

export function fixtures(ctx: ServerConformanceContext) {
  const { T0, workflow } = ctx;
  const s = () => ctx.store();

  const definition = (patch: Partial<NewDefinition> = {}): NewDefinition => ({
    id: uid(),
    projectId: "p1",
    name: "Blog post",
    description: "Writes a blog post",
    category: "content",
    tags: ["blog", "writing"],
    format: "yaml",
    source: "name: Blog post\nsteps: []\n",
    workflow,
    workflowHash: "hash-1",
    system: false,
    now: T0,
    ...patch,
  });

  const comment = (runId: string, patch: Partial<NewComment> = {}): NewComment => ({
    id: uid(),
    runId,
    stepKey: null,
    text: "looks good",
    commentType: "user",
    createdBy: "u1",
    now: T0 + 1,
    ...patch,
  });

  const artifact = (runId: string, fileType: ArtifactFileType = "image", patch: Partial<NewArtifact> = {}) => {
    const id = patch.id ?? uid();
    return {
      id,
      runId,
      stepKey: "a",
      name: "../../etc/passwd.png",
      storageKey: `runs/${runId}/artifacts/${id}`,
      fileType,
      mimeType: fileType === "image" ? "image/png" : "application/pdf",
      sizeBytes: 1024,
      sha256: "ab".repeat(32),
      now: T0 + 2,
      ...patch,
    } satisfies NewArtifact;
  };

  const token = (patch: Partial<NewToken> = {}): NewToken => ({
    id: uid(),
    name: "ci",
    hash: uid(),
    scopes: [{ projectId: "p1", role: "operate" }],
    now: T0,
    ...patch,
  });

  const seqs = async (runId: string) => (await s().events.list(runId)).map((e) => e.seq);
  const version = async (runId: string) => (await s().runs.get(runId))!.version;

  return { T0, workflow, s, definition, comment, artifact, token, seqs, version };
}
