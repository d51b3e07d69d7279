# syntax=docker/dockerfile:1
# Billing Assistant: production image.
#   docker build -t billing-assistant .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://... -e PUBLIC_BASE_URL=https://... \
#     -e AUTH_JWT_SECRET=... -e LINK_SIGNING_KEYS=k1:... billing-assistant
# NODE_ENV=production makes the service refuse the development secrets, PGlite and a pinned
# clock (see .env.example). For a local demo on the embedded database, add -e NODE_ENV=development.
# Development machines run Node 20; the image runs the current LTS.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile TypeScript (src/, tools/, migrations/) to dist/ ---------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true \
    PUPPETEER_SKIP_DOWNLOAD=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && test -f dist/src/server.js \
 && mkdir -p prompts

# ---- runtime: production dependencies, compiled output, prompts; runs as a non-root user ------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Chromium renders invoice PDFs (driven by puppeteer-core, which never downloads a browser). The
# invoice font is Liberation Sans (Arial's metrics; embedding it costs less than DejaVu Sans), with
# DejaVu Sans as the fallback for other scripts. Without Chromium the service still runs; PDFs answer 503.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PUPPETEER_SKIP_DOWNLOAD=true \
    CHROMIUM_PATH=/usr/bin/chromium
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# Migrations are compiled into dist/migrations; prompts are read as text at run time.
COPY --from=build /app/dist ./dist
COPY --from=build /app/prompts ./prompts
# The prebuilt assistant widget (GET /widget.js; production never runs esbuild).
COPY --from=build /app/src/web/static ./src/web/static
# The embedded PGlite (NODE_ENV=development only) writes to ./data/pglite: give the app user a
# writable data directory; everything else stays owned by root and read-only to the app.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
