# syntax=docker/dockerfile:1
# One image for the Senflow services and the `senflow` CLI; docker-compose.yml picks the service with `command:`.
#   docker build -t senflow .
#   docker run --rm senflow senflow-router   (or senflow-dispatcher, senflow-registry serve|relay|migrate)

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/senflow
ENV PATH=/opt/senflow/bin:$PATH
WORKDIR /src
COPY constraints.txt ./
COPY libs/common ./libs/common
COPY libs/codecs ./libs/codecs
COPY services/registry ./services/registry
COPY services/router ./services/router
COPY services/dispatcher ./services/dispatcher
COPY tools/cli ./tools/cli
# Non-editable: the runtime stage gets only the virtualenv, not the sources.
RUN pip install -c constraints.txt ./libs/common ./libs/codecs ./services/registry ./services/router ./services/dispatcher \
    ./tools/cli

FROM python:3.11-slim AS runtime
ENV PATH=/opt/senflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 senflow \
 && useradd --system --uid 10001 --gid senflow --create-home --home-dir /home/senflow \
      --shell /usr/sbin/nologin senflow
COPY --from=build /opt/senflow /opt/senflow
USER 10001:10001
WORKDIR /home/senflow
EXPOSE 8080 8081 8082 8083 8090 8091 9308
CMD ["senflow-registry", "serve"]
