package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/memos-mcp/memos-mcp/internal/httpapi"
	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/ollama"
	"github.com/memos-mcp/memos-mcp/memstore/qdrant"
)

// config is everything the server is told at start-up, from flags and environment variables.
// An explicit flag wins over its environment variable, which wins over the default.
type config struct {
	Transport       string
	Addr            string
	Insecure        bool
	DataDir         string
	UserID          string
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration

	Embedder      string // builtin | ollama
	EmbedModel    string
	LLM           string // none | ollama
	LLMModel      string
	OllamaURL     string
	OllamaTimeout time.Duration
	LLMMaxTokens  int

	Workers    int
	QueueLimit int

	ConflictSimilarity float64

	// APIKeysFile and MEMOS_API_KEYS give the API keys of the HTTP transport (see docs/rest-api.md).
	APIKeysFile     string
	Keys            *httpapi.Keyring // loaded from both; nil when none
	MaxRequestBytes int
	RequestTimeout  time.Duration

	Store            string // embedded | qdrant
	QdrantURL        string
	QdrantAPIKey     string
	QdrantCollection string
	QdrantTimeout    time.Duration

	// migrate only: the store to copy from and the one to copy to (embedded | qdrant)
	MigrateFrom, MigrateTo string
	// export only: where to write ("-" is stdout); import only: what to read ("-" is stdin)
	ExportOut, ImportIn string

	// bench only
	BenchServer, BenchURL, BenchAPIKey, BenchProfile     string
	BenchStores, BenchSearches, BenchClients, BenchUsers int
	BenchJSON                                            bool

	// eval only
	EvalDataset  string
	EvalJSON     bool
	EvalBaseline string
}

// defaultDataDir is $XDG_DATA_HOME/memos-mcp, else ~/.local/share/memos-mcp.
func defaultDataDir(getenv func(string) string) string {
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "memos-mcp")
	}
	home := getenv("HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = h
		}
	}
	return filepath.Join(home, ".local", "share", "memos-mcp")
}

// flagSet declares each flag together with the environment variable that can also set it.
type flagSet struct {
	*flag.FlagSet
	env map[string]string // flag name → environment variable
}

func (fs flagSet) string(p *string, name, env, usage string) {
	fs.StringVar(p, name, *p, usage)
	fs.env[name] = env
}

func (fs flagSet) bool(p *bool, name, env, usage string) {
	fs.BoolVar(p, name, *p, usage)
	fs.env[name] = env
}

func (fs flagSet) duration(p *time.Duration, name, env, usage string) {
	fs.DurationVar(p, name, *p, usage)
	fs.env[name] = env
}

func (fs flagSet) float(p *float64, name, env, usage string) {
	fs.Float64Var(p, name, *p, usage)
	fs.env[name] = env
}

func (fs flagSet) int(p *int, name, env, usage string) {
	fs.IntVar(p, name, *p, usage)
	fs.env[name] = env
}

// parseConfig reads flags from args and environment variables through getenv. command names the
// subcommand in the usage text.
func parseConfig(command string, args []string, getenv func(string) string, usageOut io.Writer) (config, error) {
	cfg := config{
		Transport:       "stdio",
		Addr:            "127.0.0.1:8001",
		DataDir:         defaultDataDir(getenv),
		UserID:          "default",
		LogLevel:        "info",
		ShutdownTimeout: 10 * time.Second,
		Embedder:        "builtin",
		EmbedModel:      "nomic-embed-text",
		LLM:             "none",
		LLMModel:        "qwen2.5",
		OllamaURL:       ollama.DefaultHost,
		OllamaTimeout:   2 * time.Minute,
		LLMMaxTokens:    1024,
		Workers:         2,
		QueueLimit:      memstore.DefaultQueueLimit,

		ConflictSimilarity: memstore.DefaultConflictSimilarity,

		MaxRequestBytes: 4 << 20,
		RequestTimeout:  5 * time.Minute,

		Store:            "embedded",
		QdrantURL:        "127.0.0.1:6334",
		QdrantCollection: qdrant.DefaultCollection,
		QdrantTimeout:    30 * time.Second,
	}
	if h := getenv("OLLAMA_HOST"); h != "" {
		cfg.OllamaURL = h // Ollama's own variable, honoured; MEMOS_OLLAMA_URL and the flag win over it
	}
	fs := flagSet{flag.NewFlagSet("memos-mcp "+command, flag.ContinueOnError), map[string]string{}}
	fs.SetOutput(usageOut)
	fs.string(&cfg.Transport, "transport", "MEMOS_TRANSPORT", "how clients connect: stdio (one client, the default) or http (streamable HTTP at /mcp)")
	fs.string(&cfg.Addr, "addr", "MEMOS_ADDR", "host:port to listen on with --transport http")
	fs.bool(&cfg.Insecure, "insecure", "MEMOS_INSECURE", "allow listening on a non-loopback address without API keys")
	fs.string(&cfg.APIKeysFile, "api-keys-file", "MEMOS_API_KEYS_FILE", "file of API keys for --transport http: lines of key = user1, user2 (or key = * for an admin key); MEMOS_API_KEYS adds entries separated by ;")
	fs.int(&cfg.MaxRequestBytes, "max-request-bytes", "MEMOS_MAX_REQUEST_BYTES", "largest HTTP request body accepted")
	fs.duration(&cfg.RequestTimeout, "request-timeout", "MEMOS_REQUEST_TIMEOUT", "longest a REST call may take (streams excepted)")
	fs.string(&cfg.DataDir, "data-dir", "MEMOS_DATA_DIR", "directory of the embedded store")
	fs.string(&cfg.UserID, "user", "MEMOS_USER_ID", "user id for calls that omit user_id")
	fs.string(&cfg.LogLevel, "log-level", "MEMOS_LOG_LEVEL", "debug, info, warn or error")
	fs.string(&cfg.LogFormat, "log-format", "MEMOS_LOG_FORMAT", "json or console (default: console on a terminal, else json); logs go to stderr")
	fs.duration(&cfg.ShutdownTimeout, "shutdown-timeout", "MEMOS_SHUTDOWN_TIMEOUT", "how long to wait for in-flight requests on shutdown")
	fs.string(&cfg.Embedder, "embedder", "MEMOS_EMBEDDER", "builtin (lexical, no model) or ollama (semantic, --embed-model)")
	fs.string(&cfg.EmbedModel, "embed-model", "MEMOS_EMBED_MODEL", "Ollama embedding model, e.g. nomic-embed-text or bge-m3")
	fs.string(&cfg.LLM, "llm", "MEMOS_LLM", "none or ollama: the generation model for fine extraction and chat")
	fs.string(&cfg.LLMModel, "llm-model", "MEMOS_LLM_MODEL", "Ollama generation model, e.g. qwen2.5 or llama3.2")
	fs.string(&cfg.OllamaURL, "ollama-url", "MEMOS_OLLAMA_URL", "Ollama server (OLLAMA_HOST is honoured too)")
	fs.duration(&cfg.OllamaTimeout, "ollama-timeout", "MEMOS_OLLAMA_TIMEOUT", "longest one Ollama call may take")
	fs.int(&cfg.LLMMaxTokens, "llm-max-tokens", "MEMOS_LLM_MAX_TOKENS", "most tokens one generation may produce")
	fs.int(&cfg.Workers, "workers", "MEMOS_WORKERS", "background workers for async_mode (0 leaves queued work for later)")
	fs.int(&cfg.QueueLimit, "queue-limit", "MEMOS_QUEUE_LIMIT", "most background tasks that may wait; beyond it async calls are refused")
	fs.float(&cfg.ConflictSimilarity, "conflict-similarity", "MEMOS_CONFLICT_SIMILARITY",
		"cosine from which a new memory is checked against an existing one for a conflict (with an LLM)")
	fs.string(&cfg.Store, "store", "MEMOS_STORE", "where memories live: embedded (a file in --data-dir, the default) or qdrant (--qdrant-url)")
	fs.string(&cfg.QdrantURL, "qdrant-url", "MEMOS_QDRANT_URL", "Qdrant's gRPC endpoint: host:port (usually port 6334), or https://host:port for TLS")
	fs.string(&cfg.QdrantAPIKey, "qdrant-api-key", "MEMOS_QDRANT_API_KEY", "Qdrant API key (QDRANT_API_KEY is honoured too)")
	fs.string(&cfg.QdrantCollection, "qdrant-collection", "MEMOS_QDRANT_COLLECTION", "Qdrant collection of the memories (three more are made beside it: _meta, _messages, _tasks)")
	fs.duration(&cfg.QdrantTimeout, "qdrant-timeout", "MEMOS_QDRANT_TIMEOUT", "longest one Qdrant call may take")
	if k := getenv("QDRANT_API_KEY"); k != "" {
		cfg.QdrantAPIKey = k // Qdrant's own variable, honoured; MEMOS_QDRANT_API_KEY and the flag win over it
	}
	switch command {
	case "migrate":
		fs.string(&cfg.MigrateFrom, "from", "MEMOS_MIGRATE_FROM", "the store to copy from: embedded or qdrant")
		fs.string(&cfg.MigrateTo, "to", "MEMOS_MIGRATE_TO", "the store to copy to: embedded or qdrant")
	case "export":
		cfg.ExportOut = "-"
		fs.string(&cfg.ExportOut, "out", "MEMOS_EXPORT_OUT", "file to write the export to (- is standard output)")
	case "import":
		fs.string(&cfg.ImportIn, "in", "MEMOS_IMPORT_IN", "export file to read (- is standard input)")
	case "bench":
		cfg.BenchProfile, cfg.BenchStores, cfg.BenchSearches, cfg.BenchClients, cfg.BenchUsers = "memos", 1000, 100, 1, 1
		fs.string(&cfg.BenchServer, "server", "MEMOS_BENCH_SERVER", "MCP server command to start over stdio (default: this binary on a fresh data directory)")
		fs.string(&cfg.BenchURL, "url", "MEMOS_BENCH_URL", "drive a running server over streamable HTTP instead, e.g. http://127.0.0.1:8001/mcp")
		fs.string(&cfg.BenchAPIKey, "api-key", "MEMOS_BENCH_API_KEY", "API key for --url")
		fs.string(&cfg.BenchProfile, "profile", "MEMOS_BENCH_PROFILE", "the server's tools: memos, or official-memory (@modelcontextprotocol/server-memory)")
		fs.int(&cfg.BenchStores, "stores", "MEMOS_BENCH_STORES", "how many memories to store, one call each")
		fs.int(&cfg.BenchSearches, "searches", "MEMOS_BENCH_SEARCHES", "how many searches to run afterwards")
		fs.int(&cfg.BenchClients, "clients", "MEMOS_BENCH_CLIENTS", "concurrent clients (with --url)")
		fs.int(&cfg.BenchUsers, "users", "MEMOS_BENCH_USERS", "users the memories are spread over (memos profile)")
		fs.bool(&cfg.BenchJSON, "json", "MEMOS_BENCH_JSON", "print the report as JSON")
	}
	if command == "eval" {
		cfg.EvalDataset = "testdata/eval/dataset.json"
		fs.string(&cfg.EvalDataset, "dataset", "MEMOS_EVAL_DATASET", "the evaluation set")
		fs.bool(&cfg.EvalJSON, "json", "MEMOS_EVAL_JSON", "print the report as JSON")
		fs.string(&cfg.EvalBaseline, "baseline", "MEMOS_EVAL_BASELINE", "fail when the total scores fall below this JSON file's")
	}
	fs.Usage = func() {
		fmt.Fprintf(usageOut, "Usage: memos-mcp [serve] [flags]     run the server\n"+
			"       memos-mcp reindex [flags]     re-embed every memory with the configured embedder\n"+
			"       memos-mcp eval [flags]        score recall on the evaluation set (testdata/eval)\n"+
			"       memos-mcp export [--out FILE] write every memory, with its vector and history, as JSON lines\n"+
			"       memos-mcp import --in FILE    load an export into the configured store (re-running resumes)\n"+
			"       memos-mcp migrate --from embedded --to qdrant (or back)   copy every memory (re-running resumes)\n"+
			"       memos-mcp bench [flags]       load a server: stores then searches, with latency percentiles\n"+
			"       memos-mcp version\n\nFlags (each also settable by the environment variable shown):\n")
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(usageOut, "  --%s (%s, default %q)\n      %s\n", f.Name, fs.env[f.Name], f.DefValue, f.Usage)
		})
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q; run memos-mcp --help for usage", fs.Arg(0))
	}
	explicit := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for name, env := range fs.env {
		v := getenv(env)
		if explicit[name] || v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return cfg, fmt.Errorf("environment variable %s=%q: %w", env, v, err)
		}
	}
	if err := cfg.loadKeys(getenv("MEMOS_API_KEYS")); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// loadKeys reads the API keys of --api-keys-file and MEMOS_API_KEYS.
func (c *config) loadKeys(inline string) error {
	var keys *httpapi.Keyring
	if c.APIKeysFile != "" {
		b, err := os.ReadFile(c.APIKeysFile)
		if err != nil {
			return fmt.Errorf("--api-keys-file: %w", err)
		}
		if keys, err = httpapi.ParseKeys(c.APIKeysFile, string(b)); err != nil {
			return fmt.Errorf("--api-keys-file: %w", err)
		}
	}
	if strings.TrimSpace(inline) != "" {
		more, err := httpapi.ParseKeys("MEMOS_API_KEYS", inline)
		if err != nil {
			return err
		}
		if keys == nil {
			keys = more
		} else if keys, err = keys.Merge(more); err != nil {
			return err
		}
	}
	if keys != nil && keys.Len() == 0 {
		return errors.New("no API keys were found in --api-keys-file or MEMOS_API_KEYS; add lines of key = user")
	}
	c.Keys = keys
	return nil
}

func (c config) validate() error {
	switch c.Transport {
	case "stdio":
	case "http":
		if err := checkListenAddr(c.Addr, c.Insecure || c.Keys != nil); err != nil {
			return err
		}
	default:
		return fmt.Errorf("--transport %q: use stdio or http", c.Transport)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return errors.New("--data-dir is empty: give the directory for the embedded store")
	}
	if strings.TrimSpace(c.UserID) == "" || strings.TrimSpace(c.UserID) != c.UserID || len(c.UserID) > memstore.MaxIDLength ||
		strings.ContainsFunc(c.UserID, unicode.IsControl) {
		return fmt.Errorf("--user %q: give a non-empty user id of at most %d bytes, without surrounding spaces or control characters",
			c.UserID, memstore.MaxIDLength)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "json", "console":
	default:
		return fmt.Errorf("--log-format %q: use json or console", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout %s: give a positive duration such as 10s", c.ShutdownTimeout)
	}
	switch c.Embedder {
	case "builtin":
	case "ollama":
		if strings.TrimSpace(c.EmbedModel) == "" {
			return errors.New("--embed-model is empty: name the Ollama embedding model, e.g. nomic-embed-text")
		}
	default:
		return fmt.Errorf("--embedder %q: use builtin or ollama", c.Embedder)
	}
	switch c.LLM {
	case "none":
	case "ollama":
		if strings.TrimSpace(c.LLMModel) == "" {
			return errors.New("--llm-model is empty: name the Ollama generation model, e.g. qwen2.5")
		}
	default:
		return fmt.Errorf("--llm %q: use none or ollama", c.LLM)
	}
	if c.usesOllama() {
		if _, err := ollama.ParseHost(c.OllamaURL); err != nil {
			return fmt.Errorf("--ollama-url: %w", err)
		}
	}
	if c.OllamaTimeout <= 0 {
		return fmt.Errorf("--ollama-timeout %s: give a positive duration such as 2m", c.OllamaTimeout)
	}
	if c.Workers < 0 || c.Workers > 64 {
		return fmt.Errorf("--workers %d: give a number from 0 to 64", c.Workers)
	}
	if c.ConflictSimilarity <= 0 || c.ConflictSimilarity >= 1 {
		return fmt.Errorf("--conflict-similarity %g: give a cosine between 0 and 1, e.g. 0.8", c.ConflictSimilarity)
	}
	if c.QueueLimit < 1 {
		return fmt.Errorf("--queue-limit %d: give a positive number", c.QueueLimit)
	}
	if err := c.validateStores(); err != nil {
		return err
	}
	if c.MaxRequestBytes < 1024 {
		return fmt.Errorf("--max-request-bytes %d: give at least 1024", c.MaxRequestBytes)
	}
	if c.RequestTimeout <= 0 {
		return fmt.Errorf("--request-timeout %s: give a positive duration such as 5m", c.RequestTimeout)
	}
	if c.LLMMaxTokens < 16 || c.LLMMaxTokens > 32768 {
		return fmt.Errorf("--llm-max-tokens %d: give a number from 16 to 32768", c.LLMMaxTokens)
	}
	return nil
}

func (c config) usesOllama() bool { return c.Embedder == "ollama" || c.LLM == "ollama" }

// checkListenAddr insists on an explicit host, and on a loopback one unless API keys are
// configured or insecure is set: without keys, anyone who can reach the port can read and delete
// every memory.
func checkListenAddr(addr string, open bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: give host:port, e.g. 127.0.0.1:8001", addr)
	}
	if port == "" {
		return fmt.Errorf("--addr %q: give a port, e.g. 127.0.0.1:8001", addr)
	}
	if host == "" {
		return fmt.Errorf("--addr %q listens on every network interface; name the host, e.g. 127.0.0.1:%s (or 0.0.0.0:%s with --insecure)", addr, port, port)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err == nil && ip.IsLoopback() {
		return nil
	}
	if !open {
		return fmt.Errorf("--addr %q is reachable from other machines, and no API keys are configured: "+
			"configure keys (--api-keys-file or MEMOS_API_KEYS), listen on 127.0.0.1, or pass --insecure if the network is trusted", addr)
	}
	return nil
}

// validateStores checks the store flags, and --from/--to of migrate.
func (c config) validateStores() error {
	usesQdrant := false
	for _, s := range []struct{ flag, value string }{{"--store", c.Store}, {"--from", c.MigrateFrom}, {"--to", c.MigrateTo}} {
		switch s.value {
		case "":
			if s.flag == "--store" {
				return errors.New("--store is empty: use embedded or qdrant")
			}
		case "embedded":
		case "qdrant":
			usesQdrant = true
		default:
			return fmt.Errorf("%s %q: use embedded or qdrant", s.flag, s.value)
		}
	}
	if !usesQdrant {
		return nil
	}
	if _, _, _, err := qdrant.ParseURL(c.QdrantURL); err != nil {
		return fmt.Errorf("--qdrant-url: %w", err)
	}
	if err := qdrant.CheckCollectionName(c.QdrantCollection); err != nil {
		return fmt.Errorf("--qdrant-collection: %w", err)
	}
	if c.QdrantTimeout <= 0 {
		return fmt.Errorf("--qdrant-timeout %s: give a positive duration such as 30s", c.QdrantTimeout)
	}
	return nil
}
