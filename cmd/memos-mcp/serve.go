package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/memos-mcp/memos-mcp/internal/httpapi"
	"github.com/memos-mcp/memos-mcp/internal/metrics"
	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/ollama"
	"github.com/memos-mcp/memos-mcp/tools"
)

// newLogger builds the one logger everything uses. It writes to stderr only: in stdio mode,
// stdout carries the protocol.
func newLogger(cfg config, stderr io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if f, ok := stderr.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "console"
			}
		}
	}
	var w io.Writer = stderr
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// serve runs the server until ctx is cancelled or, for stdio, the client closes stdin.
func serve(ctx context.Context, cfg config, stdin io.Reader, stdout, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	embedder, llm, err := models(ctx, cfg, logger)
	if err != nil {
		return err
	}
	store, where, err := openStore(ctx, cfg, cfg.Store, embedder.Identity())
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			logger.Error().Err(err).Msg("closing the store")
		}
	}()
	core, err := memstore.New(memstore.Config{Store: store, Messages: store, Tasks: store, QueueLimit: cfg.QueueLimit,
		ConflictSimilarity: cfg.ConflictSimilarity,
		Embedder:           embedder, Rules: builtin.Rules{}, LLM: llm, Log: logger})
	if err != nil {
		return err
	}
	// Background work (async_mode) runs until the server stops; queued work left then is resumed at
	// the next start.
	workCtx, stopWork := context.WithCancel(ctx)
	waitWork := core.StartWorkers(workCtx, cfg.Workers)
	defer func() { stopWork(); waitWork() }()
	llmName := "none"
	if llm != nil {
		llmName = llm.Name()
	}
	total, err := store.Total(ctx)
	if err != nil {
		return fmt.Errorf("count the memories: %w", err)
	}
	logger.Info().Str("version", version).Str("transport", cfg.Transport).Str("store", where).
		Int("memories", total).Str("embedder", store.Identity().String()).Str("llm", llmName).
		Str("default_user", cfg.UserID).Msg("memos-mcp starting")
	m := httpapi.NewMetrics(metrics.NewRegistry())
	registerGauges(ctx, m.Registry, store, core)
	mcpServer := tools.NewServer(core, tools.Options{Version: version, DefaultUserID: cfg.UserID, Log: logger, Observe: m.ObserveTool})

	switch cfg.Transport {
	case "http":
		return serveHTTP(ctx, cfg, mcpServer, httpapi.Config{Core: core, Keys: cfg.Keys, DefaultUserID: cfg.UserID,
			MaxBodyBytes: int64(cfg.MaxRequestBytes), RequestTimeout: cfg.RequestTimeout, Metrics: m, Version: version, Log: logger,
			Health: healthCheck(cfg, store, core)}, logger)
	default:
		return serveStdio(ctx, mcpServer, stdin, stdout, logger)
	}
}

// registerGauges adds the gauges read at scrape time: memories stored and queue depth.
func registerGauges(ctx context.Context, reg *metrics.Registry, store backend, core *memstore.Core) {
	scrapeCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	}
	reg.GaugeFunc("memos_memories", "Memories stored (all users, all statuses).", func() (float64, bool) {
		ctx, cancel := scrapeCtx()
		defer cancel()
		n, err := store.Total(ctx)
		return float64(n), err == nil
	})
	reg.GaugeFunc("memos_queue_depth", "Background tasks waiting or running.", func() (float64, bool) {
		ctx, cancel := scrapeCtx()
		defer cancel()
		n, _, ok, err := core.QueueStatus(ctx)
		return float64(n), ok && err == nil
	})
}

// healthCheck reports the store, Ollama (when used) and the background queue for /healthz, and
// registers the matching gauges.
func healthCheck(cfg config, store backend, core *memstore.Core) func(context.Context) httpapi.Health {
	var client *ollama.Client
	if cfg.usesOllama() {
		client, _ = ollama.New(ollama.Config{URL: cfg.OllamaURL, EmbedTimeout: probeTimeout, ChatTimeout: probeTimeout})
	}
	return func(ctx context.Context) httpapi.Health {
		h := httpapi.Health{Store: httpapi.StoreHealth{Backend: cfg.Store, OK: true}}
		n, err := store.Total(ctx)
		if err != nil {
			h.Store.OK, h.Store.Error = false, err.Error()
		}
		h.Store.Memories = n
		if client != nil {
			o := &httpapi.OllamaHealth{URL: client.URL(), OK: true}
			if o.Version, err = client.Version(ctx); err != nil {
				o.OK, o.Error = false, err.Error()
			}
			h.Ollama = o
		}
		if pending, limit, ok, err := core.QueueStatus(ctx); ok {
			q := &httpapi.QueueHealth{Pending: pending, Limit: limit, Workers: cfg.Workers}
			if err != nil {
				q.Error = err.Error()
			}
			h.Queue = q
		}
		return h
	}
}

func serveHTTP(ctx context.Context, cfg config, s *server.MCPServer, api httpapi.Config, logger zerolog.Logger) error {
	mcpHandler := server.NewStreamableHTTPServer(s,
		server.WithStreamableHTTPLogger(slog.New(zerolog.NewSlogHandler(logger))),
	)
	api.MCP = mcpHandler
	handler := httpapi.New(api)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A slow client cannot hold a connection by trickling its body.
		ReadTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute,
		// In-flight requests keep their context when the signal arrives, so Shutdown can drain them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    log.New(logger, "", 0),
	}
	keys := 0
	if cfg.Keys != nil {
		keys = cfg.Keys.Len()
	}
	logger.Info().Str("url", "http://"+ln.Addr().String()+"/mcp").Str("playground", "http://"+ln.Addr().String()+"/playground/").
		Int("api_keys", keys).Msg("listening")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http transport: %w", err)
	case <-ctx.Done():
	}
	logger.Info().Dur("timeout", cfg.ShutdownTimeout).Msg("shutting down, draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	// Close the MCP sessions first: their open event streams (GET /mcp) would otherwise keep
	// http.Server.Shutdown waiting until the timeout. Requests in flight still finish.
	if err := mcpHandler.Shutdown(shutdownCtx); err != nil {
		logger.Warn().Err(err).Msg("closing MCP sessions")
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info().Msg("memos-mcp stopped")
	return nil
}
