import { X } from "lucide-react";
import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef } from "react";

const FOCUSABLE = 'a[href], button:not(:disabled), input:not(:disabled), select, textarea, summary, [tabindex="0"]';

/** Tab from the last control goes to the first, Shift+Tab from the first to the last: focus never leaves. */
function wrapTab(dialog: HTMLElement, e: KeyboardEvent<HTMLElement>) {
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * A large modal dialog (native <dialog> opened with showModal: the page behind is inert; Tab wraps around
 * inside, so focus never reaches the browser's own controls either; Escape closes; focus goes back where it
 * was on close). A click on the backdrop closes it too.
 */
export function Modal({
  title,
  onClose,
  children,
  footer,
  labelledBy,
}: {
  title?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  /** The id of a heading inside `children` that names the dialog, instead of `title`. */
  labelledBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      before?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="gallery-modal"
      aria-labelledby={labelledBy ?? id}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === "Tab" && ref.current) wrapTab(ref.current, e);
      }}
    >
      <div className="gallery-modal-frame">
        <header className="gallery-modal-head">
          {title !== undefined && <h2 id={id}>{title}</h2>}
          <button type="button" className="icon-btn gallery-modal-close" aria-label="Close preview" onClick={onClose}>
            <X size={18} aria-hidden="true" />
          </button>
        </header>
        <div className="gallery-modal-body">{children}</div>
        {footer && <footer className="gallery-modal-foot">{footer}</footer>}
      </div>
    </dialog>
  );
}
