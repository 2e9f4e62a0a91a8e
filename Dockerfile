# One image for every stage: `docker run cardinal:latest <command>`.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -Dspotless.check.skip=true package

FROM eclipse-temurin:17-jre
WORKDIR /opt/cardinal
COPY --from=build /src/app/target/lib/ lib/
ENV DJL_CACHE_DIR=/opt/cardinal/djl-cache
# ONEDNN_MAX_CPU_ISA is not set: Cardinal caps oneDNN at AVX2 itself for networks whose AVX-512
# convolution gradients are wrong (trainer's ConvolutionKernels).
ENTRYPOINT ["java", "-Xmx4g", "-XX:G1HeapRegionSize=32m", "-cp", "/opt/cardinal/lib/*", "dev.cardinal.app.Main"]
