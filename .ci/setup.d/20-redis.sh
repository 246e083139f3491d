# Redis for the Redis / Redis Cluster store tests (packages/tessera/test/stores/redis.test.ts).
# The tests start their own throwaway servers (single and a 3-master cluster) on free ports.
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
# Debian's package starts a system instance on 6379; the tests never use it.
redis-server --version
