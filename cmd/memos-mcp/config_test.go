package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(config) bool
		wantErr string
	}{
		{"defaults", nil, map[string]string{"HOME": "/home/u"}, func(c config) bool {
			return c.Transport == "stdio" && c.DataDir == "/home/u/.local/share/memos-mcp" && c.UserID == "default" && c.Addr == "127.0.0.1:8001"
		}, ""},
		{"XDG_DATA_HOME", nil, map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/xdg"}, func(c config) bool { return c.DataDir == "/xdg/memos-mcp" }, ""},
		{"env sets values", nil, map[string]string{"MEMOS_DATA_DIR": "/d", "MEMOS_USER_ID": "bob", "MEMOS_TRANSPORT": "http", "MEMOS_SHUTDOWN_TIMEOUT": "3s"},
			func(c config) bool {
				return c.DataDir == "/d" && c.UserID == "bob" && c.Transport == "http" && c.ShutdownTimeout == 3*time.Second
			}, ""},
		{"flags win over env", []string{"--user", "alice", "--data-dir", "/f"}, map[string]string{"MEMOS_DATA_DIR": "/d", "MEMOS_USER_ID": "bob"},
			func(c config) bool { return c.DataDir == "/f" && c.UserID == "alice" }, ""},
		{"unknown transport", []string{"--transport", "sse"}, nil, nil, "use stdio or http"},
		{"all interfaces implicitly", []string{"--transport", "http", "--addr", ":8001"}, nil, nil, "name the host"},
		{"public address needs --insecure", []string{"--transport", "http", "--addr", "0.0.0.0:8001"}, nil, nil, "--insecure"},
		{"public address with --insecure", []string{"--transport", "http", "--addr", "0.0.0.0:8001", "--insecure"}, nil, func(c config) bool { return c.Insecure }, ""},
		{"localhost is fine", []string{"--transport", "http", "--addr", "localhost:9"}, nil, func(c config) bool { return true }, ""},
		{"no port", []string{"--transport", "http", "--addr", "127.0.0.1"}, nil, nil, "host:port"},
		{"bad log level", []string{"--log-level", "loud"}, nil, nil, "--log-level"},
		{"bad env value", nil, map[string]string{"MEMOS_SHUTDOWN_TIMEOUT": "soon"}, nil, "MEMOS_SHUTDOWN_TIMEOUT"},
		{"stray argument", []string{"extra"}, nil, nil, "unexpected argument"},
		{"blank user", []string{"--user", " "}, nil, nil, "--user"},
		{"store defaults to embedded", nil, nil, func(c config) bool { return c.Store == "embedded" && c.QdrantCollection == "memos" }, ""},
		{"qdrant store from env", nil, map[string]string{"MEMOS_STORE": "qdrant", "MEMOS_QDRANT_URL": "https://q.example:6334", "QDRANT_API_KEY": "k1"},
			func(c config) bool {
				return c.Store == "qdrant" && c.QdrantURL == "https://q.example:6334" && c.QdrantAPIKey == "k1"
			}, ""},
		{"MEMOS_QDRANT_API_KEY wins over QDRANT_API_KEY", nil, map[string]string{"MEMOS_QDRANT_API_KEY": "k2", "QDRANT_API_KEY": "k1"},
			func(c config) bool { return c.QdrantAPIKey == "k2" }, ""},
		{"unknown store", []string{"--store", "postgres"}, nil, nil, `--store "postgres": use embedded or qdrant`},
		{"qdrant REST port", []string{"--store", "qdrant", "--qdrant-url", "localhost:6333"}, nil, nil, "REST port"},
		{"qdrant bad scheme", []string{"--store", "qdrant", "--qdrant-url", "ftp://q:6334"}, nil, nil, "use http://, https:// or host:port"},
		{"qdrant bad collection", []string{"--store", "qdrant", "--qdrant-collection", "my memories"}, nil, nil, "--qdrant-collection"},
		{"qdrant timeout", []string{"--store", "qdrant", "--qdrant-timeout", "0s"}, nil, nil, "--qdrant-timeout"},
		{"public address with API keys", []string{"--transport", "http", "--addr", "0.0.0.0:8001"}, map[string]string{"MEMOS_API_KEYS": "alice-key-0123456789=alice"},
			func(c config) bool { return c.Keys != nil && c.Keys.Len() == 1 }, ""},
		{"public address message names keys", []string{"--transport", "http", "--addr", "10.0.0.1:8001"}, nil, nil, "--api-keys-file"},
		{"bad MEMOS_API_KEYS", nil, map[string]string{"MEMOS_API_KEYS": "short=alice"}, nil, "MEMOS_API_KEYS entry 1"},
		{"missing keys file", []string{"--api-keys-file", "/nonexistent/keys"}, nil, nil, "--api-keys-file"},
		{"empty MEMOS_API_KEYS entries", nil, map[string]string{"MEMOS_API_KEYS": " ; # nothing"}, nil, "no API keys"},
		{"request limits", []string{"--max-request-bytes", "10"}, nil, nil, "--max-request-bytes"},
		{"qdrant flags unchecked on the embedded store", []string{"--qdrant-url", "localhost:6333"}, nil, func(c config) bool { return true }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig("serve", tt.args, env(tt.env), &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(cfg) {
				t.Fatalf("cfg %+v, err %v", cfg, err)
			}
		})
	}
}

func TestRunCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env(nil), nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "memos-mcp ") {
		t.Fatalf("version: code %d out %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"--help"}, env(nil), nil, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "MEMOS_DATA_DIR") || out.Len() != 0 {
		t.Fatalf("help: code %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"frobnicate"}, env(nil), nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: code %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"--transport", "carrier-pigeon"}, env(nil), nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "use stdio or http") {
		t.Fatalf("bad flag: code %d, %q", code, errOut.String())
	}
}
