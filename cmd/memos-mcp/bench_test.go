package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchCommand runs memos-mcp bench over stdio (it starts its own server) and over HTTP with
// several clients, and checks the report adds up.
func TestBenchCommand(t *testing.T) {
	check := func(out string, clients int) {
		t.Helper()
		var rep benchReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("report %q: %v", out, err)
		}
		if rep.Stores != 40 || rep.Searches != 10 || rep.Errors != 0 || rep.Clients != clients || rep.StoresPerS <= 0 ||
			rep.Store.P50 <= 0 || rep.Store.P99 < rep.Store.P50 || rep.Search.P50 <= 0 || rep.StoreGrowth <= 0 {
			t.Fatalf("report %+v", rep)
		}
	}
	out, stderr, ok := runCLI(t, nil, "bench", "--stores", "40", "--searches", "10", "--json")
	if !ok {
		t.Fatalf("bench over stdio: %s", stderr)
	}
	check(out, 1)
	var rep benchReport
	_ = json.Unmarshal([]byte(out), &rep)
	if rep.Startup <= 0 || !strings.HasPrefix(rep.Target, "stdio: ") {
		t.Fatalf("stdio report without start-up time: %+v", rep)
	}

	s := startHTTP(t, t.TempDir())
	out, stderr, ok = runCLI(t, nil, "bench", "--url", s.url, "--clients", "4", "--stores", "40", "--searches", "10", "--json")
	if !ok {
		t.Fatalf("bench over HTTP: %s", stderr)
	}
	check(out, 4)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--clients", "4"}, "needs --url"},
		{[]string{"bench", "--profile", "mem0"}, "--profile"},
		{[]string{"bench", "--stores", "0"}, "--stores"},
	} {
		if _, stderr, ok := runCLI(t, nil, tc.args...); ok || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: ok=%v %s", tc.args, ok, stderr)
		}
	}
}
