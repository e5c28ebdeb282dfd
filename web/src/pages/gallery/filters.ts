/**
 * The gallery's choices, kept in the URL's query string so a reload or a shared link shows the same view:
 * `?category=paid-ads&q=launch&sort=newest&preview=<definition id>`. Defaults are left out of the URL.
 */
export type Sort = "usage" | "newest" | "name";

export const SORTS: { value: Sort; label: string }[] = [
  { value: "usage", label: "Most used" },
  { value: "newest", label: "Newest" },
  { value: "name", label: "Name" },
];

export interface GalleryFilters {
  category: string;
  q: string;
  sort: Sort;
  /** The definition whose preview is open, or "". */
  preview: string;
}

export const DEFAULT_FILTERS: GalleryFilters = { category: "", q: "", sort: "usage", preview: "" };

const isSort = (v: string | null): v is Sort => v === "usage" || v === "newest" || v === "name";

export function galleryFiltersOf(search: string): GalleryFilters {
  const p = new URLSearchParams(search);
  const sort = p.get("sort");
  return {
    category: p.get("category") ?? "",
    q: p.get("q") ?? "",
    sort: isSort(sort) ? sort : "usage",
    preview: p.get("preview") ?? "",
  };
}

export function gallerySearchOf(f: GalleryFilters): string {
  const p = new URLSearchParams();
  if (f.category) p.set("category", f.category);
  if (f.q) p.set("q", f.q);
  if (f.sort !== "usage") p.set("sort", f.sort);
  if (f.preview) p.set("preview", f.preview);
  const s = p.toString();
  return s ? `?${s}` : "";
}
