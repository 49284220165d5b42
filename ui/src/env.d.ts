/// <reference types="svelte" />
/// <reference types="vite/client" />

declare module "*.svelte" {
  import type { Component } from "svelte";
  // biome-ignore lint/suspicious/noExplicitAny: a .svelte file's props are only known to svelte-check, which types each import itself.
  const component: Component<any>;
  export default component;
}
