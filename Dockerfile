# gopolicy's container image: a static, non-root binary with VCS stamps and
# a CA bundle, nothing else. It passes gopolicy's own prod policies when
# attested (cmd/gopolicy TestContainerImage rebuilds it instruction by
# instruction, attests it and judges it).
#
#   docker build -t gopolicy .
#   gopolicy attest --dir . --binary ... --image REGISTRY/gopolicy:TAG --key cosign.key
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
# The build context includes .git, so the binary carries vcs.revision and
# vcs.modified; GOFLAGS and GOTOOLCHAIN are pinned so that no GOENV file of
# the builder changes the build.
COPY . .
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=true GOTOOLCHAIN=local GOPROXY=https://proxy.golang.org GOSUMDB=sum.golang.org
RUN go build -trimpath -o /out/gopolicy ./cmd/gopolicy

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/gopolicy /gopolicy
USER 65532:65532
ENTRYPOINT ["/gopolicy"]
