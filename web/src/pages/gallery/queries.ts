/**
 * The gallery's reads and writes, typed from the generated API client (never restated), and their query keys.
 */
import { api, call, type paths } from "../../api/client";
import type { GalleryFilters } from "./filters";

export const read = {
  definitions: (f: Pick<GalleryFilters, "category" | "q" | "sort">) =>
    call(
      api.GET("/api/workflow-definitions", {
        params: {
          query: {
            sort: f.sort,
            limit: 200,
            ...(f.category ? { category: f.category } : {}),
            ...(f.q ? { search: f.q } : {}),
          },
        },
      }),
    ),
  categories: () => call(api.GET("/api/workflow-definitions/categories", {})),
  definition: (id: string) => call(api.GET("/api/workflow-definitions/{id}", { params: { path: { id } } })),
  documents: (projectId: string) =>
    call(
      api.GET("/api/artifacts", { params: { query: { project_id: projectId, file_type: "document", limit: 200 } } }),
    ),
};

type Answer<F extends (...a: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
export type DefinitionItem = Answer<typeof read.definitions>[number];
export type Definition = Answer<typeof read.definition>;
export type Category = Answer<typeof read.categories>[number];
export type DocumentArtifact = Answer<typeof read.documents>[number];
export type LaunchBody = NonNullable<
  paths["/api/workflow-executions"]["post"]["requestBody"]
>["content"]["application/json"];

export const keys = {
  definitions: (f: Pick<GalleryFilters, "category" | "q" | "sort">) =>
    ["workflow-definitions", f.category, f.q, f.sort] as const,
  categories: ["workflow-definitions", "categories"] as const,
  definition: (id: string) => ["workflow-definition", id] as const,
  documents: (projectId: string) => ["artifacts", projectId, "document"] as const,
};

export function launch(body: LaunchBody) {
  return call(api.POST("/api/workflow-executions", { body }));
}

export function clone(id: string) {
  return call(api.POST("/api/workflow-definitions/{id}/clone", { params: { path: { id } } }));
}

/** `92%` of a 0..1 rate; "—" when there is nothing to measure. */
export function formatRate(rate: number | null): string {
  return rate === null ? "—" : `${Math.round(rate * 100)}%`;
}

/**
 * The project a run of the definition goes into: its own, or for a system template (listed in every project)
 * the token's first project where it may operate runs — `default` when its scopes cover every project.
 */
export function launchProjectOf(
  def: Pick<Definition, "system" | "project_id">,
  scopes: { project_id: string; role: string }[] | undefined,
): string {
  if (!def.system) return def.project_id;
  const own = scopes?.find((s) => s.project_id !== "*" && s.role !== "read");
  return own?.project_id ?? "default";
}
