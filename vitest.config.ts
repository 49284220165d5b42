import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Tests spawn the real `cairn`, which runs from the bundle: rebuild it first if a source changed.
    globalSetup: ["tests/fixtures/bundle.global-setup.ts"],
    // Integration tests start real nats-servers, gateways and browsers: give them room, and keep
    // parallelism to the two cores this project is built on.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
