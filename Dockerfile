# deploy-action as a container action. Two stages: build on Debian bookworm, then a final image
# that holds only the binary, the shared libraries it links, CA certificates, the tz database's
# zone files (freeze windows read their time zone there; about 2 MB without the right/ and posix/
# copies) and a static busybox for `/bin/sh` (stage commands run as `/bin/sh -c`). Nothing to
# build with.
# Container actions run as root and the runner sets the working directory, so there is no USER
# and no WORKDIR in the final stage.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config ca-certificates busybox-static \
      libboost1.81-dev libssl-dev nlohmann-json3-dev libgit2-dev libspdlog-dev \
      libyaml-cpp-dev libsqlite3-dev libhowardhinnant-date-dev tzdata libpq-dev \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEPLOY_BUILD_TESTS=OFF \
 && cmake --build /build --target deploy-action -j2 \
 && strip /build/action/deploy-action
# The root filesystem of the final image: the binary, every library it loads (with the loader),
# CA certificates, and busybox's shell and tools.
RUN set -eu; root=/rootfs; \
    mkdir -p $root/usr/local/bin $root/etc/ssl/certs $root/bin $root/tmp; \
    cp /build/action/deploy-action $root/usr/local/bin/; \
    for lib in $(ldd /build/action/deploy-action | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do \
      mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; \
    done; \
    cp /etc/ssl/certs/ca-certificates.crt $root/etc/ssl/certs/; \
    mkdir -p $root/usr/share; cp -a /usr/share/zoneinfo $root/usr/share/; \
    rm -rf $root/usr/share/zoneinfo/right $root/usr/share/zoneinfo/posix; \
    cp /bin/busybox $root/bin/busybox; \
    for tool in $(/bin/busybox --list); do [ -e "$root/bin/$tool" ] || ln -s busybox "$root/bin/$tool"; done; \
    chmod 1777 $root/tmp

FROM scratch
COPY --from=build /rootfs/ /
ENV PATH=/usr/local/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/usr/local/bin/deploy-action"]
