#!/usr/bin/env bash
# Prints the path of the local environment file, creating it on first use with fresh
# secrets (platform key, admin token). Kept in the git-ignored state folder.
source "$(dirname "$0")/lib.sh"
ENV_FILE="$STATE_DIR/senflow.env"
if [[ ! -f "$ENV_FILE" ]]; then
  umask 077
  key="$("$ROOT/.venv/bin/python" -c 'from senflow.common.secrets import generate_key; print(generate_key())')"
  token="$("$ROOT/.venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')"
  cat >"$ENV_FILE" <<ENV
SENFLOW_KAFKA_BOOTSTRAP=127.0.0.1:${SENFLOW_KAFKA_PORT:-9092}
SENFLOW_DATABASE_URL=postgresql://senflow:senflow@127.0.0.1:${SENFLOW_PG_PORT:-55432}/senflow
SENFLOW_SECRETS_KEY=$key
REGISTRY_ADMIN_TOKEN=$token
ENV
fi
echo "$ENV_FILE"
