// Rewrites docs/templates.md from the template library (run `npm run build` first; `npm run docs:templates` does).
import { writeFileSync } from "node:fs";
import { builtinStepTypes } from "../dist/steps/builtin.js";
import { renderTemplatesDoc } from "../dist/templates/docs.js";

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));
const text = await renderTemplatesDoc(stepTypes);
writeFileSync(new URL("../docs/templates.md", import.meta.url), text);
console.log(`docs/templates.md: ${text.split("\n").length} lines`);
