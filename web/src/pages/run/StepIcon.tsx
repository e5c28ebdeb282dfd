import {
  Bot,
  Box,
  Braces,
  CircleDot,
  Globe,
  type LucideProps,
  Terminal,
  Timer,
  UserCheck,
  Workflow,
} from "lucide-react";
import type { ComponentType } from "react";

const ICONS: Record<string, ComponentType<LucideProps>> = {
  script: Terminal,
  agent: Bot,
  approval: UserCheck,
  sleep: Timer,
  function: Braces,
  noop: CircleDot,
  workflow: Workflow,
  http: Globe,
};

/** The icon of a step type (a box for types it does not know). */
export function StepIcon({ type, size = 16 }: { type: string | null | undefined; size?: number }) {
  const Icon = (type && ICONS[type]) || Box;
  return <Icon size={size} aria-hidden="true" />;
}
