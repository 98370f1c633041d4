# One image for every role (api, ingest, worker); the command picks the role.
FROM node:20-bookworm-slim
ENV ONNXRUNTIME_NODE_INSTALL=skip NODE_ENV=production
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ffmpeg fonts-dejavu-core ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm install --no-audit --no-fund --omit=dev
COPY . .
# Models: mount them at /models (IOCV_MODEL_DIR) or let the container download and verify them (IOCV_MODEL_DOWNLOAD=1).
ENV IOCV_MODEL_DIR=/models IOCV_MODEL_CACHE=/var/cache/ioc-vision/models
USER node
ENTRYPOINT ["node", "bin/ioc-vision.mjs"]
CMD ["api"]
