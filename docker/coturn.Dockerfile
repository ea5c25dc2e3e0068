# coturn from Debian's package, with docker/turnserver.conf (use-auth-secret, peer-address
# hardening). The secret, external address and realm are passed on the command line by
# docker/compose.yml. Built with the repository as context:
#
#   docker build -f docker/coturn.Dockerfile -t blindcall-coturn .
FROM debian:bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends coturn \
 && rm -rf /var/lib/apt/lists/*
COPY docker/turnserver.conf /etc/coturn/turnserver.conf
EXPOSE 3478/udp 3478/tcp 5349/tcp 49160-49999/udp
# Starts as root to bind its ports (443 too, if configured), then runs as `turnserver`
# (proc-user in the config).
ENTRYPOINT ["turnserver", "-c", "/etc/coturn/turnserver.conf"]
