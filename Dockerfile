# Static build, small runtime image: the binary and nothing else.
#   docker build -t memos-mcp --build-arg VERSION=0.1.0 .
#   docker run -i --rm -v memos-data:/data memos-mcp                  # stdio (for MCP clients)
#   docker run --rm -p 8001:8001 -v memos-data:/data memos-mcp serve --transport http --addr 0.0.0.0:8001 --insecure
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/memos-mcp ./cmd/memos-mcp \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/memos-mcp /memos-mcp
# The store lives in /data, owned by the image's non-root user so a fresh volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV MEMOS_DATA_DIR=/data
VOLUME /data
EXPOSE 8001
ENTRYPOINT ["/memos-mcp"]
CMD ["serve"]
