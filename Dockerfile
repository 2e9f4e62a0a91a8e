# One image for every stage: `docker run cardinal:latest <command>`.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -Dspotless.check.skip=true package

FROM eclipse-temurin:17-jre
WORKDIR /opt/cardinal
COPY --from=build /src/app/target/lib/ lib/
ENV DJL_CACHE_DIR=/opt/cardinal/djl-cache
# oneDNN's AVX-512 convolution gradients are wrong for channel counts not a multiple of 16
# (libtorch 2.7.1, see trainer's ConvGradientCheck): cap it at AVX2.
ENV ONEDNN_MAX_CPU_ISA=AVX2
ENTRYPOINT ["java", "-Xmx4g", "-XX:G1HeapRegionSize=32m", "-cp", "/opt/cardinal/lib/*", "dev.cardinal.app.Main"]
