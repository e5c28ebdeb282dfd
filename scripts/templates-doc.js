// Rewrites docs/templates.md from the template library (run `npm run build` first; `npm run docs:templates` does).
import { writeFileSync } from "node:fs";
import { createStepTypeRegistry } from "../dist/steps/registry.js";
import { renderTemplatesDoc } from "../dist/templates/docs.js";

const stepTypes = createStepTypeRegistry();
const text = await renderTemplatesDoc(stepTypes);
writeFileSync(new URL("../docs/templates.md", import.meta.url), text);
console.log(`docs/templates.md: ${text.split("\n").length} lines`);
