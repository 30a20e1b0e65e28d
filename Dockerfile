# syntax=docker/dockerfile:1
# Two images from one file (docs/compose.md):
#
#   docker build -t order-to-license .                      every service; choose one at start:
#   docker run order-to-license account                     (names: tools/stack/services.mjs)
#   docker build --target lts -t order-to-license-lts .     the customer's self-hosted LTS:
#   docker run -p 3106:3106 -v lts-data:/var/lib/lts -v ./vendor-keys.jwks.json:/etc/lts/vendor-keys.jwks.json:ro \
#     -e LTS_VENDOR_KEYS_FILE=/etc/lts/vendor-keys.jwks.json order-to-license-lts
#
# Node 20, pinned to the exact release `npm test` runs on (package.json's pins are chosen for Node 20:
# better-sqlite3 13, vitest 5 and the OpenTelemetry 3.x packages need Node 22). The run-time images are
# Alpine (musl): about 70 MB smaller than Debian slim, which is what keeps them under 250 MB; the
# native addons have musl builds (@node-rs/argon2 ships one, better-sqlite3 is compiled here). The
# compiler stage is Debian, like the machines the build and tests run on; its output is plain
# JavaScript and static files.
ARG NODE_ALPINE=node:20.20.2-alpine3.23
ARG NODE_DEBIAN=node:20.20.2-bookworm-slim

# --- compile: tsc for the services and libraries, Vite for the portal's single-page app -----------
FROM ${NODE_DEBIAN} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# No install scripts: the compilers need none (the dev tools that have them are not used here).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# --- production dependencies, built for musl, trimmed (tools/deploy/docker-prune.mjs) --------------
FROM ${NODE_ALPINE} AS deps
# A toolchain for better-sqlite3's native addon; this stage is thrown away. Alpine's packages follow
# the pinned Alpine release (3.23), so no per-package version is pinned.
# hadolint ignore=DL3018
RUN apk add --no-cache python3 make g++
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY tools/deploy/docker-prune.mjs ./tools/deploy/
# Install scripts off (the lockfile's packages run none we need), then build the one native addon
# from source against this image's Node headers (no prebuilt download).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 --build-from-source --nodedir=/usr/local \
 && node tools/deploy/docker-prune.mjs --apply --image app --libc musl

FROM deps AS deps-lts
RUN node tools/deploy/docker-prune.mjs --apply --image lts --libc musl

# --- what both run-time images share ------------------------------------------------------------
FROM ${NODE_ALPINE} AS runtime
# tini is PID 1: it passes SIGTERM on to Node and reaps zombies. Node is kept off PID 1: Nest re-raises
# SIGTERM after its shutdown hooks ran, and the kernel ignores that for PID 1 (Node would then exit only
# once nothing keeps its event loop alive).
# npm, npx, corepack and yarn are removed: nothing runs them, and they are code an attacker could use.
# hadolint ignore=DL3018
RUN apk add --no-cache tini \
 && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && addgroup -g 10001 -S otl \
 && adduser -u 10001 -G otl -S -H -h /nonexistent -s /sbin/nologin otl
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0
COPY package.json tsconfig.base.json ./
COPY tools/runtime ./tools/runtime
COPY tools/stack/services.mjs ./tools/stack/services.mjs
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "tools/runtime/healthcheck.cjs"]

# --- the self-hosted License Tracking Server (order-to-license-lts) --------------------------------
FROM runtime AS lts
COPY --from=deps-lts /app/node_modules ./node_modules
COPY --from=build /src/dist/out-tsc/libs ./dist/out-tsc/libs
COPY --from=build /src/dist/out-tsc/apps/tracking ./dist/out-tsc/apps/tracking
COPY apps/tracking/vendor-keys.jwks.json ./apps/tracking/
# The data folder belongs to the service's user, so a fresh named volume mounted there does too.
RUN mkdir -p /var/lib/lts && chown 10001:10001 /var/lib/lts
VOLUME ["/var/lib/lts"]
ENV LTS_MODE=self-hosted \
    LTS_DATA_DIR=/var/lib/lts \
    PORT=3106
EXPOSE 3106
USER 10001:10001
# A small young generation, as `npm run lts:self-hosted` runs it (tools/bench/README.md, tracking).
ENTRYPOINT ["/sbin/tini", "--", "node", "--max-semi-space-size=1", "tools/runtime/serve.cjs", "tracking"]

# --- every service (order-to-license); the last stage, so a plain `docker build` makes it -----------
FROM runtime AS app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/out-tsc ./dist/out-tsc
COPY --from=build /src/dist/portal-web ./dist/portal-web
COPY apps/license/catalog.v1.json ./apps/license/
COPY apps/tracking/vendor-keys.jwks.json ./apps/tracking/
EXPOSE 3100 3101 3102 3103 3104 3105 3106
USER 10001:10001
# A young generation of at most 4 MB semi-spaces, as serviceNodeArgs in tools/stack/services.mjs.
ENTRYPOINT ["/sbin/tini", "--", "node", "--max-semi-space-size=4", "tools/runtime/serve.cjs"]
