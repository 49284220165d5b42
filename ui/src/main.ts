import { mount } from "svelte";
import App from "./App.svelte";
import { AppState } from "./lib/app.svelte.ts";
import { GatewayClient, gatewayUrl } from "./lib/client.ts";
import "./app.css";

const app = new AppState(new GatewayClient({ url: gatewayUrl() }));
mount(App, { target: document.getElementById("app")!, props: { app } });
app.start();
