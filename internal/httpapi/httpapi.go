// Package httpapi is memos-mcp's HTTP surface beside MCP: the MemOS-compatible REST API (the
// open-source /product routes and the cloud-style routes), API-key authentication with per-user
// scope, /healthz, /metrics and the Playground page. Every route calls the same memory core as the
// MCP tools, so both surfaces behave alike; the core enforces each key's users.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/memos-mcp/memos-mcp/internal/httpapi/playground"
	"github.com/memos-mcp/memos-mcp/internal/metrics"
	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/tools"
)

// Core is what the REST routes need of the memory core.
type Core interface {
	AddMessages(context.Context, memstore.AddRequest) (memstore.AddResult, error)
	Search(context.Context, memstore.SearchRequest) (memstore.SearchResult, error)
	List(context.Context, memstore.ListRequest) (memstore.ListResult, error)
	GetMemory(context.Context, string) (memstore.ListedMemory, error)
	Delete(context.Context, memstore.DeleteRequest) (memstore.DeleteResult, error)
	Feedback(context.Context, memstore.FeedbackRequest) (memstore.FeedbackResult, error)
	Chat(context.Context, memstore.ChatRequest) (memstore.ChatResult, error)
	GetTask(context.Context, string) (memstore.Task, error)
}

// Config configures the HTTP surface.
type Config struct {
	Core Core
	// MCP serves /mcp (mcp-go's streamable HTTP handler).
	MCP http.Handler
	// Keys, when not nil and not empty, are required on every route but /healthz and the
	// Playground's page; nil leaves the API open (loopback use).
	Keys *Keyring
	// DefaultUserID is the user of REST calls that name none (after a single-user key's user).
	DefaultUserID string
	// MaxBodyBytes bounds a request body (default 4 MiB); RequestTimeout bounds a REST call
	// (default 5 minutes: a chat may wait on a model).
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	// Health reports the server's dependencies for /healthz.
	Health  func(context.Context) Health
	Metrics *Metrics
	Version string
	Log     zerolog.Logger
}

// Metrics are the server's request and tool-call metrics.
type Metrics struct {
	Registry  *metrics.Registry
	requests  *metrics.HistogramVec
	toolCalls *metrics.HistogramVec
	errors    *metrics.CounterVec
}

// NewMetrics registers the request, tool-call and error metrics in reg.
func NewMetrics(reg *metrics.Registry) *Metrics {
	return &Metrics{
		Registry: reg,
		requests: reg.Histogram("memos_http_request_duration_seconds", "HTTP request latency by route and status code.",
			metrics.DefaultBuckets, "route", "code"),
		toolCalls: reg.Histogram("memos_tool_call_duration_seconds", "MCP tool call latency by tool and outcome (ok, error).",
			metrics.DefaultBuckets, "tool", "outcome"),
		errors: reg.Counter("memos_errors_total", "Failed requests (5xx) and tool calls, by surface (http, tool) and name.", "surface", "name"),
	}
}

// ObserveTool records a tool call; pass it as tools.Options.Observe.
func (m *Metrics) ObserveTool(tool string, took time.Duration, failed bool) {
	outcome := "ok"
	if failed {
		outcome = "error"
		m.errors.Inc("tool", tool)
	}
	m.toolCalls.Observe(took.Seconds(), tool, outcome)
}

// Handler is the HTTP surface.
type Handler struct {
	cfg Config
	mux *http.ServeMux
	m   *Metrics
}

// New builds the handler.
func New(cfg Config) *Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Minute
	}
	if cfg.DefaultUserID == "" {
		cfg.DefaultUserID = tools.DefaultUser
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(metrics.NewRegistry())
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), m: cfg.Metrics}
	h.routes()
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// A route's options.
type routeOpts struct {
	public  bool // no key needed
	admin   bool // an admin key needed (when keys are configured)
	noLimit bool // no request timeout (streams)
}

// handle registers pattern with authentication, body limits, timeouts, recovery and metrics.
func (h *Handler) handle(pattern string, opts routeOpts, fn http.HandlerFunc) {
	route := pattern
	if _, p, ok := strings.Cut(pattern, " "); ok {
		route = p
	}
	h.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				h.cfg.Log.Error().Interface("panic", p).Str("route", route).Msg("http handler panicked")
				if !rec.wrote {
					writeError(rec, http.StatusInternalServerError, "memos-mcp hit an internal error; nothing was half-written. Try again, and report it if it persists")
				}
			}
			h.m.requests.Observe(time.Since(start).Seconds(), route, fmt.Sprint(rec.code))
			if rec.code >= 500 {
				h.m.errors.Inc("http", route)
			}
			h.cfg.Log.Debug().Str("method", r.Method).Str("route", route).Int("status", rec.code).Dur("took", time.Since(start)).Msg("http request")
		}()
		if !opts.public {
			ctx, code, msg := h.authenticate(r, opts.admin)
			if code != 0 {
				if code == http.StatusUnauthorized {
					rec.Header().Set("WWW-Authenticate", `Bearer realm="memos-mcp"`)
				}
				writeError(rec, code, msg)
				return
			}
			r = r.WithContext(ctx)
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(rec, r.Body, h.cfg.MaxBodyBytes)
		}
		if !opts.noLimit {
			ctx, cancel := context.WithTimeout(r.Context(), h.cfg.RequestTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		fn(rec, r)
	}))
}

// authenticate checks the request's key; code is 0 when it may proceed with ctx.
func (h *Handler) authenticate(r *http.Request, admin bool) (ctx context.Context, code int, msg string) {
	if h.cfg.Keys == nil || h.cfg.Keys.Len() == 0 {
		return r.Context(), 0, ""
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, http.StatusUnauthorized, "missing API key: send Authorization: Bearer <key> (or Token <key>)"
	}
	scheme, key, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Token") {
		return nil, http.StatusUnauthorized, "the Authorization header must be Bearer <key> or Token <key>"
	}
	access, ok := h.cfg.Keys.Lookup(strings.TrimSpace(key))
	if !ok {
		return nil, http.StatusUnauthorized, "invalid API key"
	}
	if admin && !access.Admin() {
		return nil, http.StatusForbidden, "this route needs an admin API key"
	}
	return memstore.WithAccess(r.Context(), access), 0, ""
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Flush lets streams through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		s.wrote = true
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (mcp-go's streams use it).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// envelope is every REST response: MemOS's {code, message, data}.
type envelope struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
	// TaskID names background work the call queued (async adds and feedback).
	TaskID string `json:"task_id,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeOK(w http.ResponseWriter, message string, data any) {
	writeJSON(w, http.StatusOK, envelope{Code: 200, Message: message, Data: data})
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, envelope{Code: status, Message: message, Data: nil})
}

// fail answers with the status that fits the error: the caller's mistakes say what to fix,
// internal failures are logged and reported briefly.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := classify(err)
	if status == http.StatusInternalServerError {
		h.cfg.Log.Error().Err(err).Str("path", r.URL.Path).Msg("request failed")
	}
	writeError(w, status, msg)
}

func classify(err error) (int, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes; send less at once", tooBig.Limit)
	case errors.Is(err, memstore.ErrInvalid):
		return http.StatusBadRequest, "invalid request: " + err.Error()
	case errors.Is(err, memstore.ErrForbidden):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, memstore.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, memstore.ErrUnavailable), errors.Is(err, memstore.ErrEmbedderMismatch):
		return http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "the request took too long and was stopped; nothing was half-written. Try again, or ask for less"
	case errors.Is(err, context.Canceled):
		return 499, "the request was cancelled"
	}
	return http.StatusInternalServerError, "memos-mcp could not complete the request; nothing was half-written. Try again, and report it if it persists"
}

// decode reads a JSON body into dst by the tools' rules: unknown fields are errors naming the
// field, and "true"/"10" are accepted for true/10.
func decode(r *http.Request, dst any) error {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return err
		}
	}
	return tools.Decode(body, dst)
}

// decoded adapts a handler of a decoded request body: a body that cannot be decoded is answered
// with the error naming the field.
func decoded[Req any](h *Handler, fn func(http.ResponseWriter, *http.Request, Req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if err := decode(r, &req); err != nil {
			h.fail(w, r, err)
			return
		}
		fn(w, r, req)
	}
}

// user resolves the user of a request that may name none.
func (h *Handler) user(ctx context.Context, id string) string {
	if id != "" {
		return id
	}
	if a, ok := memstore.AccessFrom(ctx); ok {
		if u, ok := a.OnlyUser(); ok {
			return u
		}
	}
	return h.cfg.DefaultUserID
}

func (h *Handler) routes() {
	if h.cfg.MCP != nil {
		h.handle("/mcp", routeOpts{noLimit: true}, h.cfg.MCP.ServeHTTP)
	}
	h.handle("GET /healthz", routeOpts{public: true}, h.healthz)
	h.handle("GET /metrics", routeOpts{admin: true}, h.metrics)
	h.handle("GET /api/whoami", routeOpts{}, h.whoami)
	h.handle("GET /playground", routeOpts{public: true}, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/playground/", http.StatusMovedPermanently)
	})
	h.handle("GET /playground/", routeOpts{public: true}, http.StripPrefix("/playground", playground.Handler()).ServeHTTP)
	h.productRoutes()
	for _, prefix := range []string{"", "/api/openmem/v1"} {
		h.cloudRoutes(prefix)
	}
}

// whoami tells a client (the Playground) what its key reaches.
func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) {
	type who struct {
		Auth  bool     `json:"auth"`
		Admin bool     `json:"admin"`
		Users []string `json:"users"`
	}
	a, ok := memstore.AccessFrom(r.Context())
	if !ok {
		writeOK(w, "ok", who{Auth: false, Admin: true, Users: []string{h.cfg.DefaultUserID}})
		return
	}
	writeOK(w, "ok", who{Auth: true, Admin: a.Admin(), Users: append([]string{}, a.Users()...)})
}
