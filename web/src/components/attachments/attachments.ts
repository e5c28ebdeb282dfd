/**
 * Document attachments (seed 000): the images attached to a `document` artifact, the images that could be
 * attached (this run's, the project's), and the writes. Every write answers the document's attachments
 * afterwards, which replace the cached list — no second read.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call } from "../../api/client";
import { type Artifact, keys, read } from "../../pages/run/types";

/** The server's limit (docs/api.md, "Document attachments"): at most this many images per document. */
export const MAX_ATTACHMENTS = 20;

const readAttachments = (id: string) => call(api.GET("/api/artifacts/{id}/attachments", { params: { path: { id } } }));
export type Attachment = Awaited<ReturnType<typeof readAttachments>>[number];

export const attachmentKeys = {
  of: (documentId: string) => ["artifact", documentId, "attachments"] as const,
  projectImages: (projectId: string) => ["project", projectId, "images"] as const,
};

export function useAttachments(documentId: string) {
  return useQuery({ queryKey: attachmentKeys.of(documentId), queryFn: () => readAttachments(documentId) });
}

/** Attach, detach and set primary; each puts the server's answer in the cache. */
export function useAttachmentActions(documentId: string) {
  const qc = useQueryClient();
  const settle = (list: Attachment[]) => qc.setQueryData(attachmentKeys.of(documentId), list);
  const path = (imageId: string) => ({ params: { path: { id: documentId, imageId } } });
  return {
    attach: useMutation({
      mutationFn: (imageIds: string[]) =>
        call(
          api.POST("/api/artifacts/{id}/attachments", {
            params: { path: { id: documentId } },
            body: { image_ids: imageIds },
          }),
        ),
      onSuccess: settle,
      // Refused (e.g. the limit, reached meanwhile from elsewhere): show what the server has now.
      onError: () => void qc.invalidateQueries({ queryKey: attachmentKeys.of(documentId) }),
    }),
    detach: useMutation({
      mutationFn: (imageId: string) => call(api.DELETE("/api/artifacts/{id}/attachments/{imageId}", path(imageId))),
      onSuccess: settle,
    }),
    setPrimary: useMutation({
      mutationFn: (imageId: string) =>
        call(api.PUT("/api/artifacts/{id}/attachments/{imageId}/primary", path(imageId))),
      onSuccess: settle,
    }),
  };
}

const newestFirst = (a: Artifact, b: Artifact) => b.created_at.localeCompare(a.created_at);

/** The run's images, newest first (the run page's artifacts query: shared cache). */
export function useRunImages(runId: string) {
  const q = useQuery({
    queryKey: keys.artifacts(runId),
    queryFn: () => call(api.GET("/api/workflow-executions/{id}/artifacts", { params: { path: { id: runId } } })),
  });
  return { ...q, data: q.data?.filter((a) => a.file_type === "image").sort(newestFirst) };
}

/** The project of a run (the run page's run query: shared cache). */
export function useRunProject(runId: string) {
  const q = useQuery({ queryKey: keys.run(runId), queryFn: () => read.run(runId) });
  return q.data?.project_id;
}

const PROJECT_PAGE = 60;
const searchImages = (projectId: string, offset: number) =>
  call(
    api.GET("/api/artifacts", {
      params: { query: { project_id: projectId, file_type: "image", limit: PROJECT_PAGE, offset } },
    }),
  );
/** An image of the project's list: an artifact, and the run it came from. */
export type ProjectImage = Awaited<ReturnType<typeof searchImages>>[number];

/** The images of every run of the project the token may read, newest first, a page at a time. */
export function useProjectImages(projectId: string | undefined) {
  const q = useInfiniteQuery({
    queryKey: attachmentKeys.projectImages(projectId ?? ""),
    queryFn: ({ pageParam }) => searchImages(projectId ?? "", pageParam),
    initialPageParam: 0,
    getNextPageParam: (last, pages) => (last.length < PROJECT_PAGE ? undefined : pages.length * PROJECT_PAGE),
    enabled: projectId !== undefined,
  });
  return { ...q, data: q.data?.pages.flat() };
}
