/**
 * Seed 000's node types and the weft step each becomes. The seed 000 reader (seed000.ts) converts with this
 * table, and the step-types API (`node_types`) and editors' palettes show it: one table, not restated.
 *
 * `config` is the weft config a new step of the kind starts with (what a palette drops on a canvas); `keys`
 * says what each seed 000 config key becomes (docs/workflow-syntax.md prints it). Config keys not listed are
 * passed on as settings of the weft step type, so a node may also carry `agent`, `model`, `system`, ….
 */
import type { JsonObject } from "../../core/json.js";

export interface Seed000NodeType {
  /** Seed 000's `node_type`. */
  readonly name: string;
  readonly label: string;
  /** The weft step type it becomes. */
  readonly type: string;
  readonly description: string;
  readonly config: JsonObject;
  /** Seed 000 config key → what it becomes in weft. */
  readonly keys: Readonly<Record<string, string>>;
  /**
   * The seed 000 config keys that are plain renames of a weft setting (seed 000 key → weft key): read one way by
   * the reader (seed000-config.ts), written the other way by the template writer (seed000-template.ts).
   */
  readonly renames: Readonly<Record<string, string>>;
}

/** The agent generate_copy nodes ask, and the one generate_image nodes ask, unless the node names its own. */
export const SEED000_COPY_AGENT = "copywriter";
export const SEED000_IMAGE_AGENT = "art-director";

/** Seed 000's attachment strategies → the attach step's. */
export const SEED000_STRATEGIES: Readonly<Record<string, string>> = {
  single_to_single: "one-to-one",
  single_to_multiple: "one-to-many",
  multiple_to_single: "many-to-one",
};

export const SEED000_NODE_TYPES: readonly Seed000NodeType[] = [
  {
    name: "generate_copy",
    label: "Generate copy",
    type: "agent",
    description: "Writes copy with an agent; each copy is kept as a document.",
    config: { agent: SEED000_COPY_AGENT, prompt: "Write the copy." },
    keys: {
      prompt_template: "`prompt`",
      temperature: "`temperature`",
      quantity:
        "n > 1: `foreach: range(n)` — n agent calls, each writing one copy (told which of n it is) and keeping it as document `<node id>-<i>`; 1 or absent: one call, document `<node id>`",
      context_documents:
        "`documents`: document ids (or a template giving them, such as `{{ context_documents }}`) whose text follows the prompt",
      output_status: "accepted and ignored (weft documents have no status)",
    },
    renames: { prompt_template: "prompt", temperature: "temperature", context_documents: "documents" },
  },
  {
    name: "generate_image",
    label: "Generate image",
    type: "image",
    description: "Generates images with an agent's image API; each is kept as an image artifact.",
    config: { agent: SEED000_IMAGE_AGENT, prompt: "Describe the image." },
    keys: {
      prompt_template: "`prompt`",
      quantity: "`count` (1–10)",
      style_preset: "`style`",
      dimensions: "`size` (`1024x1024`, `16:9`, `1K`…)",
    },
    renames: { prompt_template: "prompt", quantity: "count", style_preset: "style", dimensions: "size" },
  },
  {
    name: "attach_to_document",
    label: "Attach to document",
    type: "attach",
    description: "Attaches the images of earlier nodes to the documents of earlier nodes.",
    config: {},
    keys: {
      strategy:
        "`strategy`: single_to_single → one-to-one, single_to_multiple → one-to-many, multiple_to_single → many-to-one",
      source_nodes:
        "the nodes whose outputs it attaches; default: the nearest generate_copy and generate_image nodes before it (through review, conditional, parallel and merge nodes)",
      "(sources)":
        "`documents`: the generate_copy nodes' outputs (their documents); `images`: the generate_image nodes'",
    },
    renames: {},
  },
  {
    name: "review",
    label: "Review",
    type: "approval",
    description: "Pauses the run until a person approves or rejects it.",
    config: { message: "Review the results." },
    keys: {
      instructions: "`message`",
      auto_approve_after: "`timeout` with `onTimeout: approve` (a duration with its unit: `24h`)",
    },
    renames: { instructions: "message" },
  },
  {
    name: "conditional",
    label: "Conditional",
    type: "noop",
    description:
      "Branches: the nodes on its true edges run when the condition holds, those on its false edges when not.",
    config: {},
    keys: {
      condition:
        'an expression; the targets of its `sourceHandle: "true"` edges get `if: <condition>`, of its `"false"` edges `if: !(<condition>)` (a single `{{ }}` around it is taken off)',
    },
    renames: {},
  },
  {
    name: "parallel",
    label: "Parallel",
    type: "noop",
    description: "Fans out: the nodes it points to start together.",
    config: {},
    keys: {},
    renames: {},
  },
  {
    name: "merge",
    label: "Merge",
    type: "noop",
    description: "Joins branches: runs once every incoming node has ended, also when a branch was skipped.",
    config: {},
    keys: { "(incoming edges)": "`needs` with `on: always`" },
    renames: {},
  },
];
