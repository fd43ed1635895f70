package embedded_test

// Benchmarks at scale: 100,000 memories of one user and 1,000,000 across 1,000 users, with the
// built-in embedder's vectors computed beforehand, so the figures measure the store, not a model.
// Building the 1M store takes a few minutes; it is kept between runs under $MEMOS_BENCH_DIR
// (default: the system temp directory) and reused while its marker file is there.
//
//	go test ./memstore/embedded -run XXX -bench Scale -benchtime 2000x -timeout 60m

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
)

// scaleWords has a long tail, like real text: a few words are common, most are rare.
func scaleWords() []string {
	base := strings.Fields(`tea coffee apples bananas mangosteen hiking piano berlin tokyo nurse teacher dog cat garden
		running swimming jazz novels chess sushi noodles cycling painting photography violin yoga football tennis
		camping climbing baking meeting project deadline birthday holiday flight hotel doctor recipe pasta spicy`)
	words := slices.Clone(base)
	for i := range 5000 {
		words = append(words, "w"+strconv.Itoa(i))
	}
	return words
}

func scaleSentence(r *rand.Rand, words []string) string {
	n := 8 + r.IntN(12)
	out := make([]string, n)
	for i := range out {
		// Zipf-like: half the words from the 40 common ones, half from the long tail.
		if r.IntN(2) == 0 {
			out[i] = words[r.IntN(40)]
		} else {
			out[i] = words[40+r.IntN(len(words)-40)]
		}
	}
	return strings.Join(out, " ")
}

// scaleStore returns a directory holding n memories spread over users, building it once.
func scaleStore(b *testing.B, n, users int) string {
	b.Helper()
	root := os.Getenv("MEMOS_BENCH_DIR")
	if root == "" {
		root = filepath.Join(os.TempDir(), "memos-bench")
	}
	dir := filepath.Join(root, fmt.Sprintf("store-%d-%d", n, users))
	marker := filepath.Join(dir, "complete")
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	start := time.Now()
	emb := builtin.Embedder{}
	s, err := embedded.Open(dir, emb.Identity(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(n), uint64(users)))
	words := scaleWords()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 2000
	for i := 0; i < n; i += batch {
		ms := make([]memstore.Memory, 0, batch)
		for j := i; j < min(n, i+batch); j++ {
			user := "user-" + strconv.Itoa(j%users)
			text := scaleSentence(r, words)
			ms = append(ms, memstore.Memory{ID: uuid.NewString(), UserID: user, CubeID: user, Kind: memstore.KindFact,
				MemoryType: memstore.LongTermMemory, Content: text, Status: memstore.StatusActivated, Confidence: 0.9,
				CreatedAt: base.Add(time.Duration(j) * time.Second), UpdatedAt: base.Add(time.Duration(j) * time.Second),
				Embedding: emb.Vector(text)})
		}
		if err := s.Put(context.Background(), ms); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d memories for %d users in %s", n, users, time.Since(start).Round(time.Second))
	return dir
}

// reportPercentiles adds p50/p95/p99 of the timed calls to the benchmark's output.
func reportPercentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) float64 { return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))]) / 1e6 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func BenchmarkScaleSearch(b *testing.B) {
	for _, tc := range []struct {
		name     string
		n, users int
	}{
		{"100k_memories_1_user", 100_000, 1},
		{"1M_memories_1000_users", 1_000_000, 1000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dir := scaleStore(b, tc.n, tc.users)
			emb := builtin.Embedder{}
			s, err := embedded.Open(dir, emb.Identity(), embedded.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			r := rand.New(rand.NewPCG(9, 9))
			words := scaleWords()
			type query struct {
				user, text string
				vec        []float32
			}
			queries := make([]query, 512) // embedded beforehand: the embedder is not measured
			for i := range queries {
				text := scaleSentence(r, words)[:30]
				queries[i] = query{user: "user-" + strconv.Itoa(r.IntN(tc.users)), text: text, vec: emb.Vector(text)}
			}
			now := time.Now()
			ctx := context.Background()
			// The first keyword search of a user after a restart builds that user's keyword index
			// (see ensureLex); it is measured apart, once per user, before the steady state.
			var cold []time.Duration
			for u := range min(tc.users, 1000) {
				q := queries[u%len(queries)]
				t0 := time.Now()
				if _, err := s.Search(ctx, memstore.VectorQuery{Scope: memstore.Scope{UserID: "user-" + strconv.Itoa(u)},
					Filter: memstore.Filter{Now: now}, Vector: q.vec, Text: q.text, Limit: 10}); err != nil {
					b.Fatal(err)
				}
				cold = append(cold, time.Since(t0))
			}
			slices.Sort(cold)
			var ds []time.Duration
			for i := 0; b.Loop(); i++ {
				q := queries[i%len(queries)]
				t0 := time.Now()
				hits, err := s.Search(ctx, memstore.VectorQuery{Scope: memstore.Scope{UserID: q.user},
					Filter: memstore.Filter{Now: now}, Vector: q.vec, Text: q.text, Limit: 10})
				ds = append(ds, time.Since(t0))
				if err != nil || len(hits) == 0 {
					b.Fatalf("search: %d hits, %v", len(hits), err)
				}
			}
			reportPercentiles(b, ds)
			b.ReportMetric(float64(cold[len(cold)/2])/1e6, "first-search-p50-ms")
		})
	}
}

func BenchmarkScaleList(b *testing.B) {
	dir := scaleStore(b, 100_000, 1)
	emb := builtin.Embedder{}
	s, err := embedded.Open(dir, emb.Identity(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, page := range []int{1, 1000} {
		b.Run(fmt.Sprintf("page_%d", page), func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				t0 := time.Now()
				p, err := s.List(context.Background(), memstore.ListQuery{Scope: memstore.Scope{UserID: "user-0"},
					Filter: memstore.Filter{Now: time.Now()}, Offset: (page - 1) * 10, Limit: 10})
				ds = append(ds, time.Since(t0))
				if err != nil || len(p.Memories) != 10 || p.Total != 100_000 {
					b.Fatalf("page %d: %d memories of %d, %v", page, len(p.Memories), p.Total, err)
				}
			}
			reportPercentiles(b, ds)
		})
	}
}

// BenchmarkScaleOpen measures a restart with 1M memories: opening the file and rebuilding the
// in-memory index until the store answers, and the resident memory afterwards.
func BenchmarkScaleOpen(b *testing.B) {
	for _, tc := range []struct {
		name     string
		n, users int
	}{
		{"100k_memories_1_user", 100_000, 1},
		{"1M_memories_1000_users", 1_000_000, 1000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dir := scaleStore(b, tc.n, tc.users)
			emb := builtin.Embedder{}
			for b.Loop() {
				s, err := embedded.Open(dir, emb.Identity(), embedded.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.GC()
				b.ReportMetric(float64(rssBytes())/(1<<20), "RSS-MiB")
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heap-MiB")
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// rssBytes reads the process's resident set size (Linux).
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
