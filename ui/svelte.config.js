/** Svelte options for the UI: runes everywhere ($state, $derived, $effect, $props). */
export default {
  compilerOptions: { runes: true },
};
