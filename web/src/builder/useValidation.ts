/**
 * The server's verdict on the text (`POST /api/workflow-definitions/validate`), asked a moment after the text
 * stops changing, each problem placed on the step whose span holds its line:column.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api, call } from "../api/client";
import { stepAt } from "./doc";
import type { BuilderGraph, ValidationProblem } from "./doc/types";

export interface Verdict {
  text: string;
  problems: ValidationProblem[];
}

export function useValidation(text: string, graph: BuilderGraph | null, format: "yaml" | "json", enabled: boolean) {
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const graphRef = useRef(graph);
  graphRef.current = graph;

  const validate = useCallback(
    async (source: string) => {
      try {
        const res = await call(api.POST("/api/workflow-definitions/validate", { body: { source, format } }));
        const g = graphRef.current;
        const problems: ValidationProblem[] = res.issues.map((i) => ({
          code: i.code,
          severity: i.severity,
          message: i.message,
          hint: i.hint ?? undefined,
          line: i.line,
          column: i.column,
          stepId: g ? stepAt(g, i.line, i.column) : undefined,
        }));
        setVerdict({ text: source, problems });
        setError(null);
        return problems;
      } catch (err) {
        setError(err);
        return null;
      }
    },
    [format],
  );

  useEffect(() => {
    if (!enabled) return;
    const t = setTimeout(() => void validate(text), 600);
    return () => clearTimeout(t);
  }, [text, enabled, validate]);

  // Problems of an older text stay shown until the new verdict comes: they rarely all move at once.
  return { problems: verdict?.problems ?? [], current: verdict?.text === text, error, validate };
}
