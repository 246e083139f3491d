# nginx for the load-balancer test (three Express instances behind round-robin). The test writes
# its own config and runs nginx in the foreground on a free port.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
