/**
 * Arrow keys, Home and End in a menu of options (the WAI-ARIA listbox pattern): move focus among
 * `[role=option]` elements inside `menu`. Returns true when it handled the key.
 */
export function moveInListbox(e: KeyboardEvent, menu: HTMLElement): boolean {
  const options = [...menu.querySelectorAll<HTMLElement>('[role="option"]:not([disabled])')];
  if (options.length === 0) return false;
  const at = options.indexOf(document.activeElement as HTMLElement);
  const to =
    e.key === "ArrowDown"
      ? Math.min(at + 1, options.length - 1)
      : e.key === "ArrowUp"
        ? Math.max(at - 1, 0)
        : e.key === "Home"
          ? 0
          : e.key === "End"
            ? options.length - 1
            : null;
  if (to === null) return false;
  e.preventDefault();
  options[to].focus();
  return true;
}

/** Focuses the chosen option (or the first) of a menu that just opened. */
export function focusSelected(menu: HTMLElement | undefined): void {
  (
    menu?.querySelector<HTMLElement>('[role="option"][aria-selected="true"]') ?? menu?.querySelector<HTMLElement>('[role="option"]')
  )?.focus();
}
