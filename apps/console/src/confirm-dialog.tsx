import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** A question the user must answer before a write (retry, replay). */
export interface Confirmation {
  title: string;
  body: ComponentChildren;
  /** Name of the confirming button, e.g. "Retry". */
  action: string;
  run: () => Promise<void>;
}

/**
 * A modal `<dialog>` (showModal: focus moves in and stays, Escape cancels, the page behind is
 * inert), labelled by its heading. The confirming button waits for `run`; errors show inside.
 */
export function ConfirmDialog(props: {
  ask: Confirmation | undefined;
  onDone: () => void;
  error: string | undefined;
  busy: boolean;
  onConfirm: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (props.ask !== undefined && !dialog.open) dialog.showModal();
    if (props.ask === undefined && dialog.open) dialog.close();
  }, [props.ask]);
  return (
    <dialog
      ref={ref}
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onClose={props.onDone}
    >
      {props.ask && (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            props.onConfirm();
          }}
        >
          <h2 id="confirm-title">{props.ask.title}</h2>
          <div id="confirm-body">{props.ask.body}</div>
          {props.error && (
            <p role="alert" class="error">
              {props.error}
            </p>
          )}
          <div class="buttons">
            <button type="button" onClick={() => ref.current?.close()} autofocus>
              Cancel
            </button>
            <button type="submit" class="danger" disabled={props.busy}>
              {props.ask.action}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
