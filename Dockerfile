# Inferno: a static binary on a distroless base, running as non-root.
#   docker build --build-arg VERSION=v0.1.0 --build-arg REVISION=$(git rev-parse --short HEAD) -t inferno:v0.1.0 .
#   docker run -p 9471:9471 -v inferno-reports:/var/lib/inferno inferno:v0.1.0
# (deploy/kubernetes runs inferno:v0.1.0: tag the release you build.)
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
# CI runs this exact command (deploy/deploy_test.go) to check it builds.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=release" -o /out/inferno .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/inferno /bin/inferno
COPY config.example.yml /etc/inferno/inferno.yml
# Reports are written under the working directory (report_dir: reports).
WORKDIR /var/lib/inferno
VOLUME /var/lib/inferno
USER nonroot:nonroot
EXPOSE 9471
ENTRYPOINT ["/bin/inferno"]
CMD ["--config.file=/etc/inferno/inferno.yml", "--web.listen-address=:9471"]
