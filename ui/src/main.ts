import { mount } from "svelte";
import Root from "./Root.svelte";
import { AppState } from "./lib/app.svelte.ts";
import { GatewayClient, gatewayUrl } from "./lib/client.ts";
import "./app.css";
import { registerOfflineShell } from "./lib/chat.offline.ts";
import { reportPresence } from "./lib/presence.ts";

const app = new AppState(new GatewayClient({ url: gatewayUrl() }));
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element to mount the UI in");
mount(Root, { target, props: { app } });
app.start();
registerOfflineShell();
reportPresence(app.client);
