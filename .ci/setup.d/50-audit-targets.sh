# Real stacks the auditor is tested against (packages/audit/test/real-targets.test.ts):
# PHP's built-in server with native sessions, Django from Debian, Tomcat 10 from Debian.
# The tests start each on 127.0.0.1 with a free port in a temporary directory.
export DEBIAN_FRONTEND=noninteractive
if ! command -v php >/dev/null || ! /usr/bin/python3 -c 'import django' 2>/dev/null || [ ! -d /usr/share/tomcat10 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends php-cli python3-django tomcat10 >/dev/null
fi
# Debian's tomcat10 package starts a system service; the tests run their own instances.
if command -v systemctl >/dev/null; then systemctl stop tomcat10 2>/dev/null || true; fi
export TESSERA_AUDIT_TOMCAT_HOME=/usr/share/tomcat10
export TESSERA_AUDIT_PYTHON=/usr/bin/python3
