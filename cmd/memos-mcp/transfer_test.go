package main

// Export, import and migrate, run as the real binary; and the server itself on the Qdrant backend
// (the in-process Qdrant double, reached by the binary over gRPC like a real Qdrant).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/qdrant/qdranttest"
)

// runCLI runs the binary with args and extra environment, and returns its stdout, stderr and
// whether it succeeded.
func runCLI(t *testing.T, env []string, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), append([]string{"MEMOS_LOG_FORMAT=json"}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run %v: %v", args, err)
		}
	}
	return stdout.String(), stderr.String(), err == nil
}

func mustCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	_, stderr, ok := runCLI(t, env, args...)
	if !ok {
		t.Fatalf("memos-mcp %s failed:\n%s", strings.Join(args, " "), stderr)
	}
	return stderr
}

// qdrantEnv points the binary at a Qdrant (double) and a collection.
func qdrantEnv(srv *qdranttest.Server, collection string) []string {
	return []string{"MEMOS_QDRANT_URL=" + fmt.Sprintf("%s:%d", srv.Host(), srv.Port()), "MEMOS_QDRANT_COLLECTION=" + collection}
}

// seeded returns a data directory whose store went through the seed scenario (facts, preferences,
// a deletion, a feedback that archived memories and wrote history) and one more user.
func seeded(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	c, stderr := startStdio(t, dir)
	seedScenario(t, c)
	call(t, c, "add_message", map[string]any{"user_id": "bob", "conversation_id": "c1", "messages": []any{
		msg("user", "I live in Berlin and I prefer green tea"), msg("assistant", "Noted")}}, &memstore.AddResult{})
	if err := c.Close(); err != nil {
		t.Fatalf("server exit: %v\n%s", err, stderr)
	}
	return dir
}

// exportLines reads an export file: header, memory records, trailer.
func exportLines(t *testing.T, path string) (header map[string]any, records []exportRecord, end *exportEnd) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for i := 0; sc.Scan(); i++ {
		if i == 0 {
			if err := json.Unmarshal(sc.Bytes(), &header); err != nil {
				t.Fatalf("header: %v", err)
			}
			continue
		}
		var rec exportRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if rec.End != nil {
			end = rec.End
			continue
		}
		records = append(records, rec)
	}
	return header, records, end
}

func TestExportImportRoundTrip(t *testing.T) {
	src := seeded(t)
	out := t.TempDir()
	first, second := filepath.Join(out, "first.jsonl"), filepath.Join(out, "second.jsonl")
	mustCLI(t, nil, "export", "--data-dir", src, "--out", first)

	header, records, end := exportLines(t, first)
	if header["format"] != exportFormat || header["embedder"].(map[string]any)["name"] != "builtin-lexical-v1" {
		t.Fatalf("header %v", header)
	}
	if end == nil || end.Memories != len(records) || len(records) < 10 {
		t.Fatalf("%d records, trailer %+v", len(records), end)
	}
	users, archived, history, chinese := map[string]bool{}, 0, 0, 0
	for i, r := range records {
		m := r.Memory
		users[m.UserID] = true
		if m.Status == memstore.StatusArchived {
			archived++
		}
		if len(m.History) > 0 {
			history++
		}
		if strings.Contains(m.Content+m.Preference, "山竹") {
			chinese++
		}
		if len(r.Embedding) != 512 {
			t.Fatalf("record %d has a %d-dimensional embedding", i, len(r.Embedding))
		}
		if i > 0 && records[i-1].Memory.ID >= m.ID {
			t.Fatalf("records are not in id order at %d", i)
		}
	}
	if !users["memos_user_123"] || !users["bob"] || archived == 0 || history == 0 || chinese == 0 {
		t.Fatalf("the export misses something: users %v, %d archived, %d with history, %d mention 山竹", users, archived, history, chinese)
	}

	dst := t.TempDir()
	log := mustCLI(t, nil, "import", "--data-dir", dst, "--in", first)
	if !strings.Contains(log, fmt.Sprintf(`"written":%d`, len(records))) {
		t.Fatalf("import log: %s", log)
	}
	mustCLI(t, nil, "export", "--data-dir", dst, "--out", second)
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if !bytes.Equal(a, b) {
		t.Fatalf("export → import → export changed the file (%d bytes, then %d)", len(a), len(b))
	}

	// Importing again writes nothing: everything is already there (this is how a cut import resumes).
	log = mustCLI(t, nil, "import", "--data-dir", dst, "--in", first)
	if !strings.Contains(log, `"written":0`) || !strings.Contains(log, fmt.Sprintf(`"already_there":%d`, len(records))) {
		t.Fatalf("second import log: %s", log)
	}

	// The imported store serves the memories.
	c, _ := startStdio(t, dst)
	defer c.Close()
	var found memstore.SearchResult
	call(t, c, "search_memory", map[string]any{"user_id": "memos_user_123", "query": "我喜欢什么水果"}, &found)
	prefs := map[string]bool{}
	for _, p := range found.Preferences {
		prefs[p.Preference] = true
	}
	if !prefs["用户喜欢山竹"] || prefs["用户喜欢吃苹果"] {
		t.Fatalf("search on the imported store found %v: want the corrected preference, not the archived one", prefs)
	}
}

func TestImportRefusesDamagedFilesAndResumes(t *testing.T) {
	src := seeded(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.jsonl")
	mustCLI(t, nil, "export", "--data-dir", src, "--out", full)
	data, _ := os.ReadFile(full)
	lines := strings.SplitAfter(string(data), "\n")
	write := func(name string, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	for _, tc := range []struct {
		name, content, want string
	}{
		{"empty", "", "is empty"},
		{"not an export", `{"hello":1}` + "\n", "not a memos-mcp export"},
		{"future version", strings.Replace(lines[0], `"version":1`, `"version":9`, 1), "version 9"},
		{"bad line", lines[0] + lines[1] + "{oops\n", "line 3"},
		{"unknown field", lines[0] + strings.Replace(lines[1], `{"memory":`, `{"mystery":1,"memory":`, 1), `unknown field "mystery"`},
		{"wrong dimension", lines[0] + strings.Replace(lines[1], `"embedding":[`, `"embedding":[0.5,`, 1), "513-dimensional"},
		{"count mismatch", lines[0] + lines[1] + `{"end":{"memories":7}}` + "\n", "counts 7 memories, but the file holds 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, ok := runCLI(t, nil, "import", "--data-dir", t.TempDir(), "--in", write(tc.name, tc.content))
			if ok || !strings.Contains(stderr, tc.want) {
				t.Fatalf("import of %s: ok=%v, stderr:\n%s\nwant it to mention %q", tc.name, ok, stderr, tc.want)
			}
		})
	}

	// A file cut short imports what it holds, says so, and a full import afterwards completes it.
	target := t.TempDir()
	cut := write("cut.jsonl", strings.Join(lines[:6], ""))
	_, stderr, ok := runCLI(t, nil, "import", "--data-dir", target, "--in", cut)
	if ok || !strings.Contains(stderr, "cut short") || !strings.Contains(stderr, `"written":5`) {
		t.Fatalf("import of a cut file: ok=%v\n%s", ok, stderr)
	}
	log := mustCLI(t, nil, "import", "--data-dir", target, "--in", full)
	if !strings.Contains(log, `"already_there":5`) || !strings.Contains(log, fmt.Sprintf(`"written":%d`, len(lines)-1-2-5)) {
		t.Fatalf("resumed import: %s", log)
	}

	// Memories embedded by another embedder are refused with the fix, not mixed in.
	other := write("other.jsonl", strings.Replace(string(data), `"name":"builtin-lexical-v1"`, `"name":"ollama/other-model"`, 1))
	_, stderr, ok = runCLI(t, nil, "import", "--data-dir", target, "--in", other)
	if ok || !strings.Contains(stderr, "ollama/other-model") || !strings.Contains(stderr, "reindex") {
		t.Fatalf("import from another embedder: ok=%v\n%s", ok, stderr)
	}
}

func TestMigrateEmbeddedToQdrantAndBack(t *testing.T) {
	srv := qdranttest.Start(t)
	qenv := qdrantEnv(srv, "migrated")
	src := seeded(t)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.jsonl"), filepath.Join(dir, "after.jsonl")
	mustCLI(t, nil, "export", "--data-dir", src, "--out", before)
	_, records, _ := exportLines(t, before)

	log := mustCLI(t, qenv, "migrate", "--from", "embedded", "--to", "qdrant", "--data-dir", src)
	if !strings.Contains(log, fmt.Sprintf(`"written":%d`, len(records))) {
		t.Fatalf("migrate to qdrant: %s", log)
	}
	// Running it again resumes: nothing left to write.
	log = mustCLI(t, qenv, "migrate", "--from", "embedded", "--to", "qdrant", "--data-dir", src)
	if !strings.Contains(log, `"written":0`) {
		t.Fatalf("second migrate: %s", log)
	}
	// The Qdrant store exports the same file.
	viaQdrant := filepath.Join(dir, "qdrant.jsonl")
	mustCLI(t, append(qenv, "MEMOS_STORE=qdrant"), "export", "--out", viaQdrant)
	back := t.TempDir()
	mustCLI(t, qenv, "migrate", "--from", "qdrant", "--to", "embedded", "--data-dir", back)
	mustCLI(t, nil, "export", "--data-dir", back, "--out", after)

	for _, path := range []string{viaQdrant, after} {
		_, got, end := exportLines(t, path)
		if end == nil || len(got) != len(records) {
			t.Fatalf("%s holds %d memories, want %d", path, len(got), len(records))
		}
		for i := range records {
			w, g := *records[i].Memory, *got[i].Memory
			wj, _ := json.Marshal(w)
			gj, _ := json.Marshal(g)
			if !bytes.Equal(wj, gj) {
				t.Fatalf("%s: memory %d changed:\n%s\n%s", path, i, wj, gj)
			}
			if c := memstore.Cosine(records[i].Embedding, got[i].Embedding); c < 1-1e-6 {
				t.Fatalf("%s: memory %s's embedding changed (cosine %f)", path, w.ID, c)
			}
		}
	}

	// Bad invocations name the fix.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate"}, "--from embedded --to qdrant"},
		{[]string{"migrate", "--from", "embedded", "--to", "embedded"}, "both embedded"},
		{[]string{"migrate", "--from", "embedded", "--to", "postgres"}, `--to "postgres": use embedded or qdrant`},
		{[]string{"migrate", "--from", "embedded", "--to", "qdrant", "--qdrant-url", "localhost:6333"}, "REST port"},
	} {
		_, stderr, ok := runCLI(t, append(qenv, "MEMOS_DATA_DIR="+src), tc.args...)
		if ok || !strings.Contains(stderr, tc.want) {
			t.Errorf("memos-mcp %v: ok=%v\n%s\nwant it to mention %q", tc.args, ok, stderr, tc.want)
		}
	}
}

func TestServeOnQdrant(t *testing.T) {
	srv := qdranttest.Start(t)
	env := append(qdrantEnv(srv, "served"), "MEMOS_STORE=qdrant")
	dataDir := t.TempDir() // unused by the Qdrant backend
	c, stderr := startStdio(t, dataDir, env...)
	facts := seedScenario(t, c)
	if err := c.Close(); err != nil {
		t.Fatalf("server exit: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "collection served") {
		t.Fatalf("the start-up log does not say where the memories are:\n%s", stderr)
	}

	// A second, stateless instance over HTTP sees the same memories.
	h := startHTTP(t, dataDir, env...)
	var page memstore.ListResult
	call(t, h.client(t), "get_memory", map[string]any{"user_id": "memos_user_123", "page_size": 100}, &page)
	if page.MemoriesTotal != facts {
		t.Fatalf("the second instance sees %d memories, want %d", page.MemoriesTotal, facts)
	}
	health := func() (int, string) {
		t.Helper()
		resp, err := http.Get(strings.TrimSuffix(h.url, "/mcp") + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := health(); code != http.StatusOK {
		t.Fatalf("healthz %d %s", code, body)
	}
	// Qdrant failing: /healthz says so (a load balancer takes the instance out), and a tool call
	// fails with a readable error, not a stack trace.
	down := status.Error(codes.Unavailable, "connection reset by peer")
	srv.FailNext("Points.Count", down)
	if code, body := health(); code != http.StatusServiceUnavailable || !strings.Contains(body, "Qdrant is not reachable") {
		t.Fatalf("healthz with Qdrant down: %d %s", code, body)
	}
	srv.FailNext("Points.Query", down)
	res := call(t, h.client(t), "search_memory", map[string]any{"user_id": "memos_user_123", "query": "水果"}, nil)
	if !res.IsError || !strings.Contains(resultText(res), "Qdrant is not reachable") {
		t.Fatalf("search with Qdrant down: %s", resultText(res))
	}
	if code, _ := health(); code != http.StatusOK {
		t.Fatalf("healthz after Qdrant came back: %d", code)
	}
	h.stop(t)

	// An embedder other than the collection's is refused at start-up, before any harm.
	_, errOut, ok := runCLI(t, append(env, "MEMOS_EMBEDDER=ollama", "MEMOS_OLLAMA_URL=127.0.0.1:1", "MEMOS_EMBED_MODEL=nomic-embed-text"))
	if ok || !strings.Contains(errOut, "builtin-lexical-v1") || !strings.Contains(errOut, "--qdrant-collection") {
		t.Fatalf("start with another embedder: ok=%v\n%s", ok, errOut)
	}
}

func TestQdrantUnreachableAtStartup(t *testing.T) {
	_, stderr, ok := runCLI(t, []string{"MEMOS_STORE=qdrant", "MEMOS_QDRANT_URL=127.0.0.1:1", "MEMOS_DATA_DIR=" + t.TempDir()})
	if ok || !strings.Contains(stderr, "Qdrant is not reachable at 127.0.0.1:1") || !strings.Contains(stderr, "--qdrant-url") {
		t.Fatalf("start without Qdrant: ok=%v\n%s", ok, stderr)
	}
}
