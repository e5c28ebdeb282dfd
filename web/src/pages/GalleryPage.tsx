/**
 * The template gallery (/templates): every workflow definition the token may read, as cards — filtered by
 * category, searched, sorted (all kept in the URL) — with a preview dialog (`?preview=<id>`) from which a
 * template is launched (/templates/:id/launch) or cloned into the builder.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Plus, Search, X } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { ErrorView } from "../components/ErrorView";
import { categoryLabel } from "./gallery/categories";
import { type GalleryFilters, galleryFiltersOf, gallerySearchOf, SORTS, type Sort } from "./gallery/filters";
import { PreviewDialog } from "./gallery/PreviewDialog";
import { keys, read } from "./gallery/queries";
import { SkeletonCard, TemplateCard } from "./gallery/TemplateCard";
import "./GalleryPage.css";

const SEARCH_DELAY_MS = 250;

export function GalleryPage() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = useMemo(() => galleryFiltersOf(search), [search]);
  const go = (patch: Partial<GalleryFilters>, replace = true) =>
    navigate(`/templates${gallerySearchOf({ ...filters, ...patch })}`, { replace });

  // The search box keeps its own text while typing; the URL (and the request) follow it after a pause.
  const [q, setQ] = useState(filters.q);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => {
    if (q === filters.q) return;
    const t = setTimeout(() => go({ q }), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  });

  const list = useQuery({
    queryKey: keys.definitions(filters),
    queryFn: () => read.definitions(filters),
    placeholderData: keepPreviousData,
  });
  const categories = useQuery({ queryKey: keys.categories, queryFn: read.categories, staleTime: 60_000 });
  // "All" counts every definition, those without a category too (the categories' counts leave them out): the
  // unfiltered list, shared with the page's own query when no category or search is set.
  const unfiltered = { category: "", q: "", sort: filters.sort };
  const all = useQuery({ queryKey: keys.definitions(unfiltered), queryFn: () => read.definitions(unfiltered) });
  const total = all.data?.length;
  const defs = list.data;
  const filtering = filters.category !== "" || filters.q !== "";

  return (
    <div className="gallery-page">
      <div className="gallery-head">
        <div>
          <h1>Templates</h1>
          <p className="gallery-sub">Start a run from a ready-made workflow, or clone one and make it your own.</p>
        </div>
        <search className="gallery-tools" aria-label="Find templates">
          <div className="search-box gallery-search">
            <Search size={15} aria-hidden="true" />
            <input
              className="input"
              type="search"
              placeholder="Search templates"
              aria-label="Search templates by name, description or tag"
              value={q}
              onChange={(e) => setQ(e.target.value)}
            />
          </div>
          <label className="gallery-sort">
            <span className="muted">Sort</span>
            <select className="select" value={filters.sort} onChange={(e) => go({ sort: e.target.value as Sort })}>
              {SORTS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <Link href="/builder/new" className="btn btn-primary">
            <Plus size={15} aria-hidden="true" /> New workflow
          </Link>
        </search>
      </div>

      <fieldset className="cat-filter" aria-label="Category">
        <button
          type="button"
          className="cat-chip"
          aria-pressed={filters.category === ""}
          onClick={() => go({ category: "" })}
        >
          All{total !== undefined && <span className="cat-chip-count">{total}</span>}
        </button>
        {categories.data?.map((c) => (
          <button
            key={c.category}
            type="button"
            className="cat-chip"
            aria-pressed={filters.category === c.category}
            onClick={() => go({ category: filters.category === c.category ? "" : c.category })}
          >
            {categoryLabel(c.category)}
            <span className="cat-chip-count">{c.count}</span>
          </button>
        ))}
        {filters.category && !categories.data?.some((c) => c.category === filters.category) && (
          <button type="button" className="cat-chip" aria-pressed="true" onClick={() => go({ category: "" })}>
            {categoryLabel(filters.category)}
          </button>
        )}
      </fieldset>

      {list.error && !defs ? (
        <ErrorView error={list.error} retry={() => void list.refetch()} />
      ) : (
        <>
          <p className="gallery-count muted" aria-live="polite">
            {defs === undefined
              ? "Loading templates…"
              : `${defs.length.toLocaleString()} ${defs.length === 1 ? "template" : "templates"}${filtering ? " match" : ""}`}
          </p>
          {defs !== undefined && defs.length === 0 ? (
            <div className="gallery-empty">
              <p className="gallery-empty-title">{filtering ? "No templates match" : "No templates yet"}</p>
              <p className="muted">
                {filtering
                  ? "Try another search or category."
                  : "Build a workflow in the builder, or store one with POST /api/workflow-definitions."}
              </p>
              {filtering && (
                <button
                  type="button"
                  className="btn"
                  onClick={() => {
                    setQ("");
                    go({ category: "", q: "" });
                  }}
                >
                  <X size={14} aria-hidden="true" /> Clear filters
                </button>
              )}
            </div>
          ) : (
            <ul className="tpl-grid" aria-busy={defs === undefined || list.isPlaceholderData} aria-label="Templates">
              {defs === undefined
                ? // biome-ignore lint/suspicious/noArrayIndexKey: nine identical placeholders
                  Array.from({ length: 9 }, (_, i) => <SkeletonCard key={i} />)
                : defs.map((d) => <TemplateCard key={d.id} def={d} onOpen={(id) => go({ preview: id }, false)} />)}
            </ul>
          )}
        </>
      )}
      {filters.preview && <PreviewDialog id={filters.preview} onClose={() => go({ preview: "" })} />}
    </div>
  );
}
