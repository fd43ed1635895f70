package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// benchProfile says how to store and search on one kind of MCP memory server.
type benchProfile struct {
	storeTool, searchTool string
	storeArgs             func(user string, i int, text string) map[string]any
	searchArgs            func(user, query string) map[string]any
}

var benchProfiles = map[string]benchProfile{
	"memos": {
		storeTool: "add_message", searchTool: "search_memory",
		storeArgs: func(user string, i int, text string) map[string]any {
			return map[string]any{"user_id": user, "mode": "fast", "messages": []any{map[string]any{"role": "user", "content": text}}}
		},
		searchArgs: func(user, q string) map[string]any { return map[string]any{"user_id": user, "query": q, "top_k": 10} },
	},
	// The official MCP memory server (@modelcontextprotocol/server-memory): a knowledge graph of
	// entities with observations.
	"official-memory": {
		storeTool: "create_entities", searchTool: "search_nodes",
		storeArgs: func(_ string, i int, text string) map[string]any {
			return map[string]any{"entities": []any{map[string]any{"name": fmt.Sprintf("note-%d", i), "entityType": "note", "observations": []any{text}}}}
		},
		searchArgs: func(_, q string) map[string]any { return map[string]any{"query": q} },
	},
}

// benchWords make the stored texts and the queries: varied enough that searches do real work.
var benchWords = strings.Fields(`tea coffee apples bananas mangosteen hiking piano berlin tokyo nurse teacher
	dog cat garden running swimming jazz novels chess sushi noodles cycling painting photography violin
	yoga football tennis camping climbing baking`)

// benchUser spreads the workload over users (memos profile): call i acts for user i mod users.
func benchUser(i, users int) string { return fmt.Sprintf("bench-%d", i%users) }

func benchText(i int) string {
	w := benchWords
	return fmt.Sprintf("note %d: I like %s and %s, and last week I went %s with my friend from %s",
		i, w[i%len(w)], w[(i*7+3)%len(w)], w[(i*13+5)%len(w)], w[(i*17+11)%len(w)])
}

// benchReport is what a bench run measured.
type benchReport struct {
	Target      string        `json:"target"`
	Profile     string        `json:"profile"`
	Clients     int           `json:"clients"`
	Users       int           `json:"users"`
	Stores      int           `json:"stores"`
	Searches    int           `json:"searches"`
	StoreWall   time.Duration `json:"store_wall_ns"`
	StoresPerS  float64       `json:"stores_per_second"`
	Store       percentiles   `json:"store_latency"`
	StoreGrowth float64       `json:"store_growth"` // mean latency of the last tenth over the first tenth
	SearchWall  time.Duration `json:"search_wall_ns"`
	Search      percentiles   `json:"search_latency"`
	Errors      int           `json:"errors"`
	// Startup is how long a stdio server took from being started to answering initialize.
	Startup time.Duration `json:"startup_ns,omitempty"`
}

type percentiles struct {
	P50, P95, P99, Mean time.Duration
}

func summarize(ds []time.Duration) percentiles {
	if len(ds) == 0 {
		return percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99), Mean: sum / time.Duration(len(s))}
}

func meanOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// runBench drives an MCP server: stores, then searches, and prints what it measured.
func runBench(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	profile, ok := benchProfiles[cfg.BenchProfile]
	if !ok {
		return fmt.Errorf("--profile %q: use memos or official-memory", cfg.BenchProfile)
	}
	if cfg.BenchStores < 1 || cfg.BenchSearches < 0 || cfg.BenchClients < 1 || cfg.BenchUsers < 1 {
		return errors.New("--stores, --clients and --users must be at least 1, --searches at least 0")
	}
	t0 := time.Now()
	conns, target, closeAll, err := benchConnect(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	var startup time.Duration
	if cfg.BenchURL == "" {
		startup = time.Since(t0)
	}
	rep := benchReport{Startup: startup, Target: target, Profile: cfg.BenchProfile, Clients: cfg.BenchClients, Users: cfg.BenchUsers, Stores: cfg.BenchStores, Searches: cfg.BenchSearches}

	storeLat := make([]time.Duration, cfg.BenchStores)
	var errs atomic.Int64
	start := time.Now()
	benchParallel(conns, cfg.BenchStores, func(c *client.Client, i int) {
		t0 := time.Now()
		if err := benchCall(ctx, c, profile.storeTool, profile.storeArgs(benchUser(i, cfg.BenchUsers), i, benchText(i))); err != nil {
			errs.Add(1)
			fmt.Fprintf(stderr, "store %d: %v\n", i, err)
		}
		storeLat[i] = time.Since(t0)
	})
	rep.StoreWall = time.Since(start)
	rep.StoresPerS = float64(cfg.BenchStores) / rep.StoreWall.Seconds()
	rep.Store = summarize(storeLat)
	tenth := max(cfg.BenchStores/10, 1)
	if first := meanOf(storeLat[:tenth]); first > 0 {
		rep.StoreGrowth = float64(meanOf(storeLat[len(storeLat)-tenth:])) / float64(first)
	}

	searchLat := make([]time.Duration, cfg.BenchSearches)
	start = time.Now()
	benchParallel(conns, cfg.BenchSearches, func(c *client.Client, i int) {
		t0 := time.Now()
		if err := benchCall(ctx, c, profile.searchTool, profile.searchArgs(benchUser(i, cfg.BenchUsers), benchWords[i%len(benchWords)])); err != nil {
			errs.Add(1)
			fmt.Fprintf(stderr, "search %d: %v\n", i, err)
		}
		searchLat[i] = time.Since(t0)
	})
	rep.SearchWall = time.Since(start)
	rep.Search = summarize(searchLat)
	rep.Errors = int(errs.Load())

	if cfg.BenchJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printBench(stdout, rep)
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d calls failed", rep.Errors)
	}
	return nil
}

func printBench(w io.Writer, r benchReport) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(w, "target   %s (profile %s, %d client(s), %d user(s))\n", r.Target, r.Profile, r.Clients, r.Users)
	if r.Startup > 0 {
		fmt.Fprintf(w, "startup  %s to answer initialize\n", ms(r.Startup))
	}
	fmt.Fprintf(w, "stores   %d in %s: %.0f/s; latency p50 %s p95 %s p99 %s; last tenth / first tenth = %.2f\n",
		r.Stores, r.StoreWall.Round(time.Millisecond), r.StoresPerS, ms(r.Store.P50), ms(r.Store.P95), ms(r.Store.P99), r.StoreGrowth)
	if r.Searches > 0 {
		fmt.Fprintf(w, "searches %d in %s; latency p50 %s p95 %s p99 %s\n",
			r.Searches, r.SearchWall.Round(time.Millisecond), ms(r.Search.P50), ms(r.Search.P95), ms(r.Search.P99))
	}
}

// benchParallel runs n jobs over the connections, each connection one job at a time.
func benchParallel(conns []*client.Client, n int, job func(*client.Client, int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				job(c, i)
			}
		}()
	}
	wg.Wait()
}

func benchCall(ctx context.Context, c *client.Client, tool string, args map[string]any) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name, req.Params.Arguments = tool, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return err
	}
	if res.IsError {
		var b strings.Builder
		for _, ct := range res.Content {
			if tc, ok := mcp.AsTextContent(ct); ok {
				b.WriteString(tc.Text)
			}
		}
		return fmt.Errorf("%s: %s", tool, b.String())
	}
	return nil
}

// benchConnect opens the clients: over HTTP to --url, or over stdio to a server it starts (the
// --server command, or this binary on a fresh data directory). Over stdio there is one client.
func benchConnect(ctx context.Context, cfg config, stderr io.Writer) ([]*client.Client, string, func(), error) {
	var conns []*client.Client
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "memos-mcp bench", Version: version}
	if cfg.BenchURL != "" {
		var opts []transport.StreamableHTTPCOption
		if cfg.BenchAPIKey != "" {
			opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + cfg.BenchAPIKey}))
		}
		for range cfg.BenchClients {
			c, err := client.NewStreamableHttpClient(cfg.BenchURL, opts...)
			if err == nil {
				err = c.Start(ctx)
			}
			if err == nil {
				_, err = c.Initialize(ctx, init)
			}
			if err != nil {
				closeAll()
				return nil, "", nil, fmt.Errorf("connect to %s: %w", cfg.BenchURL, err)
			}
			conns = append(conns, c)
		}
		return conns, cfg.BenchURL, closeAll, nil
	}
	if cfg.BenchClients != 1 {
		return nil, "", nil, errors.New("--clients above 1 needs --url: a stdio server has one client")
	}
	cmdline := strings.Fields(cfg.BenchServer)
	cleanup := func() {}
	if len(cmdline) == 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, "", nil, err
		}
		dir, err := os.MkdirTemp("", "memos-bench-")
		if err != nil {
			return nil, "", nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		cmdline = []string{self, "serve", "--data-dir", dir, "--log-level", "warn"}
	}
	c, err := client.NewStdioMCPClientWithOptions(cmdline[0], os.Environ(), cmdline[1:], transport.WithCommandStderrWriter(stderr))
	if err == nil {
		_, err = c.Initialize(ctx, init)
	}
	if err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("start %q: %w", strings.Join(cmdline, " "), err)
	}
	return []*client.Client{c}, "stdio: " + strings.Join(cmdline, " "), func() { c.Close(); cleanup() }, nil
}
