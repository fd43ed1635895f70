// Package ollama implements memstore's Embedder and LLM on an Ollama server, through
// github.com/ollama/ollama/api. Every call has its own timeout (the library's default client has
// none), connection failures are retried with backoff, and every error says what went wrong and
// how to fix it.
package ollama

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// DefaultHost is where Ollama listens unless told otherwise.
const DefaultHost = "http://127.0.0.1:11434"

// Config configures the client.
type Config struct {
	// URL is the server, in any form OLLAMA_HOST accepts: "http://host:port", "host:port", "host".
	URL string
	// EmbedTimeout bounds one embedding call (default 60 s); ChatTimeout one generation (default 180 s).
	EmbedTimeout, ChatTimeout time.Duration
	// Retries is how many times a call is retried after a connection error (default 2).
	Retries int
	// NumPredict bounds how many tokens a generation may produce (default 1024).
	NumPredict int
}

// Client talks to one Ollama server.
type Client struct {
	api  *api.Client
	base *url.URL
	cfg  Config
}

// ParseHost turns an OLLAMA_HOST-style value into a base URL (scheme http and port 11434 by default).
func ParseHost(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultHost
	}
	scheme, hostport, ok := strings.Cut(s, "://")
	if !ok {
		scheme, hostport = "http", s
	}
	if scheme != "http" && scheme != "https" {
		return nil, fmt.Errorf("ollama URL %q: use http:// or https://", s)
	}
	hostport, path, _ := strings.Cut(hostport, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), "11434"
		if scheme == "https" {
			port = "443"
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return nil, fmt.Errorf("ollama URL %q: port %q is not a port number", s, port)
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}
	if path != "" {
		u.Path = "/" + path
	}
	return u, nil
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	base, err := ParseHost(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.EmbedTimeout <= 0 {
		cfg.EmbedTimeout = 60 * time.Second
	}
	if cfg.ChatTimeout <= 0 {
		cfg.ChatTimeout = 180 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	if cfg.NumPredict <= 0 {
		cfg.NumPredict = 1024
	}
	// Each call carries its own deadline through its context; the transport only bounds connecting,
	// so a dead host fails fast instead of waiting for the call's whole timeout.
	httpClient := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0, // generation may legitimately take long before the first byte
	}}
	return &Client{api: api.NewClient(base, httpClient), base: base, cfg: cfg}, nil
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Version asks the server for its version; it is the cheapest reachability check.
func (c *Client) Version(ctx context.Context) (string, error) {
	var v string
	err := c.call(ctx, 5*time.Second, "version", "", func(ctx context.Context) error {
		var err error
		v, err = c.api.Version(ctx)
		return err
	})
	return v, err
}

// call runs fn with a timeout, retrying with backoff while the server cannot be connected to,
// and turns failures into errors that say what to do.
func (c *Client) call(ctx context.Context, timeout time.Duration, op, model string, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	backoff := 200 * time.Millisecond
	var err error
	for attempt := 0; ; attempt++ {
		err = fn(ctx)
		if err == nil || !isConnectionError(err) || attempt >= c.cfg.Retries || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff *= 3
	}
	if err == nil {
		return nil
	}
	return c.explain(ctx, err, op, model, timeout)
}

// explain classifies an error from the Ollama client.
func (c *Client) explain(ctx context.Context, err error, op, model string, timeout time.Duration) error {
	var status api.StatusError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return memstore.Unavailable(fmt.Sprintf("Ollama at %s did not finish the %s within %s (model %s); it may be loading the model or overloaded. "+
			"Try again, or raise --ollama-timeout", c.base, op, timeout, model))
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &status):
		msg := strings.ToLower(status.ErrorMessage)
		switch {
		case status.StatusCode == http.StatusNotFound && strings.Contains(msg, "not found"):
			return memstore.Unavailable(fmt.Sprintf("Ollama at %s has no model %q: run `ollama pull %s` on that machine, or choose another model", c.base, model, model))
		case strings.Contains(msg, "context length") || strings.Contains(msg, "input length"):
			return memstore.Unavailable(fmt.Sprintf("the text is too long for model %s's context (Ollama: %s); send shorter messages", model, status.ErrorMessage))
		case strings.Contains(msg, "does not support"):
			return memstore.Unavailable(fmt.Sprintf("model %s cannot do the %s (Ollama: %s); choose a model made for it", model, op, status.ErrorMessage))
		}
		return memstore.Unavailable(fmt.Sprintf("Ollama at %s failed the %s with model %s: %s", c.base, op, model, status.Error()))
	case isConnectionError(err):
		return memstore.Unavailable(fmt.Sprintf("Ollama is not reachable at %s (%s). Start it (`ollama serve`), or point --ollama-url or OLLAMA_HOST at it",
			c.base, shortCause(err)))
	}
	return memstore.Unavailable(fmt.Sprintf("Ollama at %s: %s failed: %v", c.base, op, err))
}

// isConnectionError reports failures to reach the server or to keep the connection: the cases
// worth retrying.
func isConnectionError(err error) bool {
	var netErr *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.As(err, &netErr)
}

// shortCause names the low-level reason of a connection error.
func shortCause(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed mid-call"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "unknown host " + dnsErr.Name
	}
	return err.Error()
}

// modelName adds the implicit ":latest" tag, so "nomic-embed-text" and "nomic-embed-text:latest"
// name the same embedder.
func modelName(m string) string {
	m = strings.TrimSpace(m)
	if m != "" && !strings.Contains(m, ":") {
		return m + ":latest"
	}
	return m
}
