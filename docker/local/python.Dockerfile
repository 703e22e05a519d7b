# The local stand-in for the official python image (no registry here): Debian bookworm's
# python3 is 3.11, the product's. docker/Dockerfile builds FROM it with --build-arg PYTHON_IMAGE.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python-is-python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# pip checks PyPI against the build machine's CA bundle (given in the build context), not its own.
COPY ca-certificates.crt /etc/ssl/certs/build-ca-certificates.crt
ENV PIP_CERT=/etc/ssl/certs/build-ca-certificates.crt
