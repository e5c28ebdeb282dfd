import {
  GitBranch,
  GitFork,
  GitMerge,
  ImageIcon,
  type LucideProps,
  Paperclip,
  PenLine,
  Repeat,
  UserCheck,
} from "lucide-react";
import type { ComponentType } from "react";
import { StepIcon } from "../pages/run/StepIcon";

/** Icons the run page does not need: the builder's extra palette entries and seed 000's node types. */
const EXTRA: Record<string, ComponentType<LucideProps>> = {
  image: ImageIcon,
  attach: Paperclip,
  foreach: Repeat,
  generate_copy: PenLine,
  generate_image: ImageIcon,
  attach_to_document: Paperclip,
  review: UserCheck,
  conditional: GitBranch,
  parallel: GitFork,
  merge: GitMerge,
};

/** The icon of a step (its seed 000 node type's if it has one, else its type's; a box for unknown types). */
export function StepGlyph({ type, size = 16 }: { type: string; size?: number }) {
  const Icon = EXTRA[type];
  return Icon ? <Icon size={size} aria-hidden="true" /> : <StepIcon type={type} size={size} />;
}

/** Types whose step waits for a person: drawn with a pause mark. */
export const PAUSING = new Set(["approval", "review"]);
