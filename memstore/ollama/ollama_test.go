package ollama

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
)

func TestParseHost(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"", "http://127.0.0.1:11434", ""},
		{"127.0.0.1:11500", "http://127.0.0.1:11500", ""},
		{"0.0.0.0", "http://0.0.0.0:11434", ""},
		{"ollama.internal", "http://ollama.internal:11434", ""},
		{"http://gpu-box:8080", "http://gpu-box:8080", ""},
		{"https://ollama.example.com", "https://ollama.example.com:443", ""},
		{"http://host:11434/proxy", "http://host:11434/proxy", ""},
		{"[::1]:11434", "http://[::1]:11434", ""},
		{"ftp://host", "", "http:// or https://"},
		{"host:99999", "", "not a port number"},
	}
	for _, tt := range tests {
		u, err := ParseHost(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseHost(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("ParseHost(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}

// fakeOllama answers like Ollama does in the failure cases that are hard to provoke for real.
func fakeOllama(t *testing.T, status int, body string, hits *atomic.Int32) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, EmbedTimeout: 2 * time.Second, ChatTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"model missing", 404, `{"error":"model \"nomic-embed-text:latest\" not found, try pulling it first"}`, []string{"has no model", "ollama pull nomic-embed-text:latest"}},
		{"input too long", 400, `{"error":"input length exceeds maximum context length"}`, []string{"too long", "context"}},
		{"cannot embed", 400, `{"error":"\"tiny\" does not support embeddings"}`, []string{"cannot do the embedding", "choose a model"}},
		{"server error", 500, `{"error":"llama runner process has terminated"}`, []string{"failed the embedding", "runner process"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			c := fakeOllama(t, tt.status, tt.body, &hits)
			_, err := c.NewEmbedder("nomic-embed-text").Embed(context.Background(), []string{"x"})
			if !errors.Is(err, memstore.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
			if hits.Load() != 1 {
				t.Errorf("an HTTP error was retried (%d calls); only connection errors are", hits.Load())
			}
		})
	}
}

func TestUnreachableIsRetriedThenExplained(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	c, err := New(Config{URL: url, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.NewEmbedder("m").Embed(context.Background(), []string{"x"})
	if !errors.Is(err, memstore.ErrUnavailable) || !strings.Contains(err.Error(), "not reachable at "+url) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v", err)
	}
	// Two retries with backoff 200 ms and 600 ms: the error comes after the retries, not at once.
	if took := time.Since(start); took < 700*time.Millisecond || took > 5*time.Second {
		t.Fatalf("gave up after %s", took)
	}
}

func TestModelNames(t *testing.T) {
	c, _ := New(Config{})
	if id := c.NewEmbedder("nomic-embed-text").Identity(); id.Name != "ollama/nomic-embed-text:latest" || id.Dim != 0 {
		t.Fatalf("identity %v", id)
	}
	if n := c.NewLLM("qwen2.5:7b").Name(); n != "ollama/qwen2.5:7b" {
		t.Fatalf("name %q", n)
	}
}
