/**
 * Undo/redo as a stack of YAML texts (the text is the builder's only state). Consecutive edits with the same
 * `coalesce` key (typing in one field) make one undo step.
 */
import { useCallback, useState } from "react";

interface State {
  past: string[];
  present: string;
  future: string[];
  coalesce: string | undefined;
}

const LIMIT = 200;

export function useHistory(initial: string) {
  const [state, setState] = useState<State>({ past: [], present: initial, future: [], coalesce: undefined });
  const set = useCallback((text: string, coalesce?: string) => {
    setState((s) => {
      if (text === s.present) return s;
      if (coalesce !== undefined && coalesce === s.coalesce) return { ...s, present: text, future: [] };
      return { past: [...s.past, s.present].slice(-LIMIT), present: text, future: [], coalesce };
    });
  }, []);
  const undo = useCallback(() => {
    setState((s) => {
      const prev = s.past.at(-1);
      if (prev === undefined) return s;
      return { past: s.past.slice(0, -1), present: prev, future: [s.present, ...s.future], coalesce: undefined };
    });
  }, []);
  const redo = useCallback(() => {
    setState((s) => {
      const [next, ...rest] = s.future;
      if (next === undefined) return s;
      return { past: [...s.past, s.present], present: next, future: rest, coalesce: undefined };
    });
  }, []);
  /** A new starting point (loaded, or taken from the server): no undo past it. */
  const reset = useCallback((text: string) => {
    setState({ past: [], present: text, future: [], coalesce: undefined });
  }, []);
  return {
    text: state.present,
    set,
    undo,
    redo,
    reset,
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
  };
}
