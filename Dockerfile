# cairn in a container: `docker compose up` (docker-compose.yml) builds this file.
#
# Stages: `deps` installs every dependency (dev ones too: vite builds the UI, esbuild bundles the
# CLI); `modules` keeps the production ones; `build` builds the UI and the CLI bundle. The runtime
# stage copies only what the gateway runs onto a slim Node image (no compiler, no dev
# dependencies) and runs it as the unprivileged `node` user (uid 1000).
#
# Both base images are build arguments so an offline machine can pass images it made itself (the
# compose tests build them from the host's Node; see tests/infra/compose.images.ts). The build
# image needs Node + npm and, when no prebuilt better-sqlite3 can be downloaded, python3, make and
# a C++ compiler: the full `node:*-bookworm` image has them. The two must be the same Node major
# (native addons are built for one ABI).
ARG NODE_BUILD_IMAGE=node:24-bookworm
ARG NODE_IMAGE=node:24-bookworm-slim
# The two stages that depend on the lock file alone (most of a build's time: npm ci) can come from
# images made earlier from the same package-lock.json: name them here and BuildKit skips the
# stages (the compose tests keep them between runs, keyed by the lock file's hash; see
# tests/infra/compose.deps.ts). By default they are the stages below. The legacy builder
# runs every stage whatever these say, so it is only slower, never different.
ARG DEPS_IMAGE=deps
ARG MODULES_IMAGE=modules

# Every dependency, dev ones too: vite builds the UI, esbuild bundles the CLI.
FROM ${NODE_BUILD_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# The production dependencies the runtime stage copies: dev ones pruned, then native builds this
# platform can never load dropped (KEEP_GPU_BUILDS=1 keeps node-llama-cpp's CUDA/Vulkan builds,
# for a container given a GPU).
FROM deps AS modules
ARG KEEP_GPU_BUILDS=
COPY infra/compose/slim-modules.mjs /tmp/slim-modules.mjs
RUN npm prune --omit=dev --no-audit --no-fund \
 && KEEP_GPU_BUILDS="$KEEP_GPU_BUILDS" node /tmp/slim-modules.mjs .

FROM ${DEPS_IMAGE} AS build
COPY . .
RUN npm run build:ui \
 && npm run build:cli \
 && mkdir -p -m 700 /out/data /out/config /out/nats /out/shared \
 && mkdir -p /out/bin \
 && ln -s /app/cli/bin.mjs /out/bin/cairn

# COPY --from takes a stage name, not a variable: this stage names whichever image MODULES_IMAGE is.
FROM ${MODULES_IMAGE} AS production-modules

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="cairn" \
      org.opencontainers.image.description="A self-hosted personal AI gateway: an event-sourced actor system on NATS."
WORKDIR /app
# What the gateway runs: the CLI bundle (dist/), the built UI, the production dependencies, and
# the source folders, which `cairn gateway` only lists to check the bundle is current (the bundle
# is newer than every source, so it is never rebuilt here: /app is read-only for `node`).
COPY --from=build /src/package.json ./
COPY --from=production-modules /src/node_modules ./node_modules
COPY --from=build /src/schemas ./schemas
COPY --from=build /src/bus ./bus
COPY --from=build /src/actors ./actors
COPY --from=build /src/projections ./projections
COPY --from=build /src/cli ./cli
COPY --from=build /src/infra/compose/healthcheck.mjs ./infra/compose/healthcheck.mjs
COPY --from=build /src/ui/dist ./ui/dist
COPY --from=build /src/dist ./dist
COPY --from=build /out/bin /app/bin
# Owned by `node` in the image, so named volumes mounted here start out writable by it.
COPY --from=build --chown=1000:1000 /out/data /data
COPY --from=build --chown=1000:1000 /out/config /config
COPY --from=build --chown=1000:1000 /out/nats /nats
# docker-compose.cluster.yml's gateways share workspaces and skills on a volume mounted here.
COPY --from=build --chown=1000:1000 /out/shared /shared

ENV NODE_ENV=production \
    PATH=/app/bin:$PATH \
    CAIRN_DATA_DIR=/data \
    CAIRN_CONFIG_DIR=/config \
    CAIRN_HOST=0.0.0.0 \
    CAIRN_PORT=13131
USER node
EXPOSE 13131
VOLUME ["/data"]
# Exec form with Node itself: the slim image has no curl, and a shell is not needed.
# A long start period: failures in it do not count, and the first success ends it, so it costs a
# healthy gateway nothing; a gateway of a new cluster waits for JetStream's leader first, and the
# cluster file's gateways start one after another only once the previous one is `healthy`.
HEALTHCHECK --interval=5s --timeout=4s --start-period=180s --retries=3 \
  CMD ["node", "/app/infra/compose/healthcheck.mjs"]
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/cli/bin.mjs"]
CMD ["gateway"]
