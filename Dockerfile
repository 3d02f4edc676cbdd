# One image for every Herald app; a Deployment picks the app by its command
# (node apps/<app>/dist/main.js). Build and tag it with the repository's version, the tag the
# Kubernetes overlays pin (k8s/overlays/<region>/kustomization.yaml, images):
#   docker build -t <registry>/herald:0.1.0 .
# Node.js 20: what Herald is built and tested with (package.json engines).
FROM node:20-bookworm-slim AS build
WORKDIR /herald
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages packages
COPY apps apps
# The apps and the packages they reference; not the tests (the root tsconfig.json builds those too).
RUN npm ci --no-audit --no-fund \
 && npx tsc -b apps/intake apps/dispatcher apps/channel-email apps/channel-sms apps/channel-push \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /herald
ENV NODE_ENV=production
COPY --from=build /herald/package.json ./
COPY --from=build /herald/node_modules node_modules
COPY --from=build /herald/packages packages
COPY --from=build /herald/apps apps
# The manifests run it as this user, with a read-only root file system.
USER 10001
CMD ["node", "--enable-source-maps", "apps/intake/dist/main.js"]
