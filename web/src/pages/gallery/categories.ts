/** A category slug as people read it: the known ones by name, any other title-cased (`data-eng` → "Data eng"). */
const LABELS: Record<string, string> = {
  sdlc: "SDLC",
  "paid-ads": "Paid ads",
  "social-media": "Social media",
  "blog-content": "Blog content",
  email: "Email",
  "landing-pages": "Landing pages",
  examples: "Examples",
};

export function categoryLabel(slug: string): string {
  const known = LABELS[slug];
  if (known) return known;
  const words = slug.replace(/[-_]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A stable hue per category, for its badge (known ones chosen, others hashed into the same palette). */
const TONES: Record<string, number> = {
  sdlc: 0,
  "paid-ads": 1,
  "social-media": 2,
  "blog-content": 3,
  email: 4,
  "landing-pages": 5,
  examples: 6,
};

export function categoryTone(slug: string): number {
  const known = TONES[slug];
  if (known !== undefined) return known;
  let h = 0;
  for (const c of slug) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 7;
}
