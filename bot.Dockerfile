# deploy-bot, the webhook bot, as a container. Built like the action's Dockerfile: compile on
# Debian bookworm, then a final image from scratch that holds only the binary, the shared
# libraries it loads, CA certificates and an empty store directory. No shell, no package manager.
#
#   docker build -f bot.Dockerfile -t deploy-bot .
#   docker run -p 8080:8080 --ulimit nofile=65536:65536 -e WEBHOOK_SECRET=... \
#     -v deploy-bot:/var/lib/deploy-bot deploy-bot
#
# Each open connection holds a file descriptor: keep nofile above DEPLOY_BOT_MAX_CONNECTIONS
# (default 1024) + 64. The bot raises its soft limit to the hard one at start, and logs
# file_limit_low when that is still too low (docs/OPERATIONS.md, "Limits").
#
# Unlike the action (which the runner starts as root), the bot is a long-running service: it runs
# as an unprivileged user (65532) and writes only to /var/lib/deploy-bot. docs/OPERATIONS.md has
# every environment variable and how to run, probe, back up and upgrade it.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config ca-certificates \
      libboost1.81-dev libssl-dev nlohmann-json3-dev libgit2-dev libspdlog-dev \
      libyaml-cpp-dev libsqlite3-dev libhowardhinnant-date-dev tzdata libpq-dev \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEPLOY_BUILD_TESTS=OFF \
 && cmake --build /build --target deploy-bot -j2 \
 && strip /build/bot/deploy-bot
# The root filesystem of the final image: the binary, every library it loads (with the loader),
# CA certificates, a passwd/group naming the service user (for logs and tools that look it up),
# and /tmp (SQLite may put temporary files there). The store directory is kept apart in /state so
# the final stage can copy it with its owner set (see there).
RUN set -eu; root=/rootfs; \
    mkdir -p $root/etc/ssl/certs $root/tmp $root/var/lib /state/deploy-bot; \
    cp /build/bot/deploy-bot $root/deploy-bot; \
    for lib in $(ldd /build/bot/deploy-bot | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do \
      mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; \
    done; \
    cp /etc/ssl/certs/ca-certificates.crt $root/etc/ssl/certs/; \
    mkdir -p $root/usr/share; cp -a /usr/share/zoneinfo $root/usr/share/; \
    rm -rf $root/usr/share/zoneinfo/right $root/usr/share/zoneinfo/posix; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\ndeploy-bot:x:65532:65532:deploy-bot:/var/lib/deploy-bot:/sbin/nologin\n' > $root/etc/passwd; \
    printf 'root:x:0:\ndeploy-bot:x:65532:\n' > $root/etc/group; \
    chmod 1777 $root/tmp

FROM scratch
COPY --from=build /rootfs/ /
# The store directory must belong to the service user (a new named volume mounted there starts as
# a copy of it, owner included). Copying the folder that contains it, rather than the directory
# itself, is what makes --chown apply to the directory and not only to its (empty) contents.
COPY --from=build --chown=65532:65532 /state/ /var/lib/
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    DEPLOY_BOT_LISTEN=0.0.0.0:8080 \
    DEPLOY_BOT_STORE=/var/lib/deploy-bot/deploy-bot.sqlite3
USER 65532:65532
WORKDIR /var/lib/deploy-bot
VOLUME /var/lib/deploy-bot
EXPOSE 8080
ENTRYPOINT ["/deploy-bot", "serve"]
