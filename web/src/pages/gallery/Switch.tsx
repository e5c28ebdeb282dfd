/** An on/off switch (a button with role="switch"), named by a label elsewhere (`aria-labelledby`). */
export function Switch(props: {
  id?: string;
  on: boolean;
  onChange: (on: boolean) => void;
  labelledBy: string;
  describedBy?: string | undefined;
}) {
  return (
    <button
      type="button"
      role="switch"
      className="switch"
      id={props.id}
      aria-checked={props.on}
      aria-labelledby={props.labelledBy}
      aria-describedby={props.describedBy}
      onClick={() => props.onChange(!props.on)}
    >
      <span className="switch-thumb" aria-hidden="true" />
      <span className="switch-text" aria-hidden="true">
        {props.on ? "On" : "Off"}
      </span>
    </button>
  );
}
