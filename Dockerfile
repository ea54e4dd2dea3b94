# GPU-ready image of the course: trains the examples, builds the site, serves it on port 8000.
#   docker build -t fidle .
#   docker run --gpus all -p 8000:8000 -v fidle-data:/data fidle     (site on http://localhost:8000)
#   docker run --gpus all -v fidle-data:/data fidle run mnist         (one example)
# See README.md, section « Docker ». tests/test_docker.py lints this file and checks it.

# Must equal the tensorflow version of requirements.lock (checked by the tests).
ARG TF_VERSION=2.21.0
FROM tensorflow/tensorflow:${TF_VERSION}-gpu

# The official images ship Ubuntu 22.04's Python 3.11.0rc1 (tensorflow/tensorflow#82529),
# too old for requirements.lock (pymdown-extensions and soupsieve need >= 3.11.5). A pinned
# CPython build (python-build-standalone) goes to /opt/python, installed by uv, not kept.
ARG PYTHON_VERSION=3.11.18
ARG UV_VERSION=0.13.9
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN python3 -m pip install --no-cache-dir --target /tmp/uv "uv==${UV_VERSION}" \
    && UV_NO_CACHE=1 /tmp/uv/bin/uv python install --no-bin --install-dir /opt/python "${PYTHON_VERSION}" \
    && ln -s /opt/python/cpython-"${PYTHON_VERSION}"-linux-* /opt/python/current \
    && rm -rf /tmp/uv \
    && test "$(/opt/python/current/bin/python3 -c 'import platform; print(platform.python_version())')" = "${PYTHON_VERSION}"

# Non-root user. uid 1000 is the usual uid of the first user on a Linux host, so a bind-mounted
# folder is writable; --build-arg FIDLE_UID=$(id -u) otherwise. Ubuntu 24.04 images already
# have a user with uid 1000 ("ubuntu"): it is removed first.
ARG FIDLE_UID=1000
RUN if getent passwd "${FIDLE_UID}" >/dev/null; then \
        userdel --remove "$(getent passwd "${FIDLE_UID}" | cut -d: -f1)"; \
    fi \
    && useradd --create-home --uid "${FIDLE_UID}" --shell /bin/bash fidle \
    && mkdir -p /app /data/keras /data/cache \
    && chown -R fidle:fidle /app /data

ENV LANG=C.UTF-8 \
    PATH=/opt/venv/bin:$PATH \
    DATA_DIR=/data \
    KERAS_HOME=/data/keras \
    FIDLE_EXAMPLES_CACHE=/data/cache \
    FIDLE_EXAMPLES_PROFILE=full
WORKDIR /app

# The shared install step (scripts/install.sh, as `make` and CI run it; COMPILE=1: the user
# cannot write the venv, so its bytecode is compiled now), in two passes so that
# the heavy layer (TensorFlow, CUDA wheels) is rebuilt only when the pinned versions change:
# 1. the dependencies, from pyproject.toml and the lock files alone (an empty src/ and
#    README.md stand in for the project, installed for real in pass 2);
COPY pyproject.toml requirements.lock requirements-gpu.lock ./
COPY scripts/install.sh scripts/
RUN mkdir src && touch README.md \
    && VENV=/opt/venv PYTHON=/opt/python/current/bin/python3 EXTRAS=gpu PIP_NO_CACHE_DIR=1 \
       COMPILE=1 bash scripts/install.sh
# 2. the project itself (editable, like the README's set-up): only its own metadata changes.
COPY --chown=fidle:fidle . .
RUN VENV=/opt/venv PYTHON=/opt/python/current/bin/python3 EXTRAS=gpu COMPILE=1 \
    PIP_NO_CACHE_DIR=1 bash scripts/install.sh

# Numeric, so that the host (Kubernetes runAsNonRoot, docker inspect) sees a non-root user.
USER ${FIDLE_UID}
# Keras datasets ($KERAS_HOME) and trained results ($FIDLE_EXAMPLES_CACHE) live in this one
# volume: a second start finds both and trains nothing. A single volume on purpose: volumes
# declared inside /data would shadow the folders of a volume mounted on /data.
VOLUME ["/data"]
EXPOSE 8000
# Python handles SIGINT (KeyboardInterrupt) even as PID 1; SIGTERM would be ignored there.
STOPSIGNAL SIGINT
# The first start trains every example before serving: the start period covers it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30m --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('PORT', '8000'), timeout=4)"]
ENTRYPOINT ["bash", "/app/docker/entrypoint.sh"]
CMD ["serve"]
