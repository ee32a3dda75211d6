# Tributary: see README "Docker". The sources are compiled to dist/ (esbuild, a runtime dependency) while the image
# is built, as root: the service runs as "node", who cannot write /app, so it could not build dist/ at start.
FROM node:20-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN node scripts/build.js
COPY feeds ./feeds

# Created and owned before VOLUME, so a new named volume starts out writable by the unprivileged user.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8080

# node:20-slim has no curl; Node's own fetch asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM (docker stop) is handled: fetches get 10 s, the store is written, exit 0. Give docker stop 20 s.
STOPSIGNAL SIGTERM
CMD ["node", "--no-memory-reducer", "bin/tributary.js", "serve"]
