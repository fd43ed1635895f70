package memstore_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
)

// instantEmbedder stands in for an Ollama embedding model: dense 768-dimensional vectors (like
// nomic-embed-text), computed in no time, and it counts its calls. Benchmarks with it measure what
// memos-mcp adds on top of the model calls.
type instantEmbedder struct{ calls atomic.Int64 }

const denseDim = 768

func (e *instantEmbedder) Identity() memstore.EmbedderIdentity {
	return memstore.EmbedderIdentity{Name: "instant", Dim: denseDim}
}

func (e *instantEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	e.calls.Add(1)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New64a()
		h.Write([]byte(t))
		r := rand.New(rand.NewPCG(h.Sum64(), 7))
		v := make([]float32, denseDim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		out[i] = v
	}
	return out, nil
}

// countingLLM answers extraction requests at once with a fixed, valid extraction.
type countingLLM struct{ calls atomic.Int64 }

func (l *countingLLM) Name() string { return "instant" }
func (l *countingLLM) Chat(_ context.Context, req memstore.ChatRequestLLM) (memstore.ChatResponseLLM, error) {
	n := l.calls.Add(1)
	return memstore.ChatResponseLLM{Content: fmt.Sprintf(`{"memory_list":[{"key":"k","memory_type":"UserMemory","value":"The user said thing %d.","tags":["t"]}],
		"explicit_preferences":[{"preference":"The user likes thing %d.","context_summary":"c","reasoning":"r","topic":"things"}],"implicit_preferences":[],"summary":"s"}`, n, n)}, nil
}

func denseEnv(b *testing.B, n int) (*memstore.Core, *instantEmbedder, *countingLLM) {
	b.Helper()
	emb, llm := &instantEmbedder{}, &countingLLM{}
	store, err := embedded.Open(b.TempDir(), emb.Identity(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	ctx := context.Background()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	for start := 0; start < n; start += 1000 {
		var batch []memstore.Memory
		var texts []string
		for i := start; i < min(n, start+1000); i++ {
			texts = append(texts, sentence(r))
		}
		vecs, _ := emb.Embed(ctx, texts)
		for i, text := range texts {
			batch = append(batch, memstore.Memory{ID: uuid.NewString(), UserID: "u", CubeID: "u", Kind: memstore.KindFact,
				MemoryType: memstore.UserMemory, Content: text, Status: memstore.StatusActivated,
				CreatedAt: base.Add(time.Duration(start+i) * time.Second), UpdatedAt: base, Embedding: vecs[i]})
		}
		if err := store.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	core, err := memstore.New(memstore.Config{Store: store, Messages: store, Embedder: emb, Rules: builtin.Rules{}, LLM: llm})
	if err != nil {
		b.Fatal(err)
	}
	emb.calls.Store(0)
	return core, emb, llm
}

// BenchmarkOverheadAddFine is one fine-mode add_message at 10,000 memories with model calls that
// take no time: what remains is memos-mcp's own work (prompt, parsing, duplicate checks, the
// fsynced write, the transcript). It reports the model calls per add.
func BenchmarkOverheadAddFine(b *testing.B) {
	core, emb, llm := denseEnv(b, 10_000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := core.AddMessages(ctx, memstore.AddRequest{UserID: "u", ConversationID: "c", Messages: []memstore.Message{
			{Role: "user", Content: fmt.Sprintf("message %d", i)}, {Role: "assistant", Content: "ok"}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(emb.calls.Load())/float64(b.N), "embed-calls/op")
	b.ReportMetric(float64(llm.calls.Load())/float64(b.N), "llm-calls/op")
}

// BenchmarkOverheadSearch is one search_memory over 10,000 dense 768-dimensional vectors with an
// embedding call that takes no time.
func BenchmarkOverheadSearch(b *testing.B) {
	core, emb, _ := denseEnv(b, 10_000)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	b.ResetTimer()
	for b.Loop() {
		if _, err := core.Search(ctx, memstore.SearchRequest{UserID: "u", Query: sentence(r)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(emb.calls.Load())/float64(b.N), "embed-calls/op")
}
