# The local stand-in for the official redis image, from Debian's package: redis-server and
# redis-cli on the PATH, /data as the working directory (append-only files land there).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown redis:redis /data
# The official image builds Redis with protected mode off (the container network is the
# boundary); Debian's keeps it on, which refuses every other container. Same default here,
# whatever command the compose file gives.
RUN printf '#!/bin/sh\nexec /usr/bin/redis-server "$@" --protected-mode no\n' > /usr/local/bin/redis-server \
    && chmod 755 /usr/local/bin/redis-server
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server"]
