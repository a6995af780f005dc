# syntax=docker/dockerfile:1
# warmth-ledger: compiled service on Node 20 (Debian bookworm, whose postgresql-client is 15, the server's major
# version, for npm run backup / restore). docs/operations.md, "Deployment with containers".

# ---- build: all dependencies, compile to dist/ ----------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- production dependencies only ------------------------------------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: nothing the runtime needs builds anything (the embedded PostgreSQL is not used with DATABASE_URL).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ---------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
# The PDFs' CJK fonts are npm packages (@expo-google-fonts/noto-sans-sc, and noto-sans-jp as fallback), production
# dependencies embedded into every PDF: no system font package (fonts-noto-cjk) is read by the service.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data \
    NODE_OPTIONS="--enable-source-maps --max-old-space-size=320 --max-semi-space-size=4"
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json package-lock.json ./
COPY --chown=root:root deploy/docker-entrypoint.sh /usr/local/bin/warmth-entrypoint
# Code and dependencies belong to root and are read-only to the service; only DATA_DIR is its own.
RUN chmod 0755 /usr/local/bin/warmth-entrypoint && mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The entrypoint turns *_FILE variables (compose secrets) into the variables the service reads, then execs node,
# so SIGTERM from `docker stop` reaches the service itself.
ENTRYPOINT ["/usr/local/bin/warmth-entrypoint"]
CMD ["node", "dist/src/server.js"]
