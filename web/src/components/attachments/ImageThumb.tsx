/** An image artifact's thumbnail: its bytes fetched with the token (`?inline=1`), shown as a `blob:` URL. */
import { useQuery } from "@tanstack/react-query";
import { Image as ImageIcon } from "lucide-react";
import { useEffect, useState } from "react";
import { fetchArtifact } from "../../pages/run/artifact-io";
import type { Artifact } from "../../pages/run/types";

/** A `blob:` URL of a raster image's bytes (fetched with the token), revoked when no longer shown. */
export function useImageUrl(a: Pick<Artifact, "id" | "mime_type">): { url: string | null; failed: boolean } {
  const q = useQuery({
    queryKey: ["artifact-inline", a.id],
    queryFn: () => fetchArtifact(a.id, true),
    staleTime: Number.POSITIVE_INFINITY,
    retry: 1,
  });
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!q.data) return;
    const u = URL.createObjectURL(new Blob([q.data], { type: a.mime_type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [q.data, a.mime_type]);
  return { url, failed: q.isError };
}

export function ImageThumb({
  image,
  className,
}: {
  image: Pick<Artifact, "id" | "mime_type" | "name">;
  className: string;
}) {
  const { url, failed } = useImageUrl(image);
  if (failed) {
    return (
      <span className={`${className} is-missing`}>
        <ImageIcon size={18} aria-hidden="true" />
      </span>
    );
  }
  return url ? (
    <img className={className} src={url} alt={`Preview of ${image.name}`} />
  ) : (
    <span className={`${className} is-loading`} />
  );
}
