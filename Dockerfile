# syntax=docker/dockerfile:1
# The UI image: the wheel (app + templates + static) over the locked runtime dependencies.
# Pinned to a patch release and Debian release; bump it on purpose.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# Stage 1: build the wheel from the sources only, with the locked setuptools.
FROM ${PYTHON_IMAGE} AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements-build.txt ./
RUN pip install --require-hashes -r requirements-build.txt
COPY pyproject.toml ./
COPY app ./app
COPY templates ./templates
COPY static ./static
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /dist .

# Stage 2: the runtime. The dependency layer comes from the lock alone, so a code change rebuilds
# only the layers below it.
FROM ${PYTHON_IMAGE}
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt && useradd --system ui
# The wheel adds no dependency of its own: everything it needs is pinned above.
RUN --mount=type=bind,from=wheel,source=/dist,target=/dist pip install --no-deps /dist/*.whl
USER ui
EXPOSE 4455
# granian, configured in app/serve.py (BIND, WEB_CONCURRENCY, THREADS).
CMD ["python", "-m", "app.serve"]
