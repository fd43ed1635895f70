package memstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
)

var benchWords = strings.Fields(`apple banana tea coffee garden berlin paris meeting project deadline python golang
	music jazz piano running hiking dinner lunch sister brother birthday holiday flight hotel book movie
	doctor appointment monday friday weekend morning evening recipe pasta sushi spicy sweet blue green
	苹果 香蕉 咖啡 周末 会议 项目 生日 旅行 北京 上海 音乐 电影 跑步 晚餐`)

// sentence makes a pseudo-random sentence of 8–20 words.
func sentence(r *rand.Rand) string {
	n := 8 + r.IntN(13)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = benchWords[r.IntN(len(benchWords))]
	}
	return strings.Join(ws, " ")
}

// prefill stores n fact memories for one user directly through the store, in batches, so the
// benchmark measures operations at that size rather than the time to build it.
func prefill(b *testing.B, e env, userID string, n int) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	emb := builtin.Embedder{}
	ctx := context.Background()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 1000 {
		batch := make([]memstore.Memory, 0, 1000)
		for i := start; i < min(n, start+1000); i++ {
			text := "user: " + sentence(r)
			batch = append(batch, memstore.Memory{
				ID: uuid.NewString(), UserID: userID, CubeID: userID, Kind: memstore.KindFact,
				MemoryType: memstore.UserMemory, Content: text, Status: memstore.StatusActivated,
				CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base, Embedding: emb.Vector(text),
			})
		}
		if err := e.store.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdd measures one add_message (a user turn and an answer: embedding, duplicate check,
// durable write with fsync) for a user who already has 10,000 memories.
func BenchmarkAdd10k(b *testing.B) {
	e := newEnv(b, nil)
	prefill(b, e, "u", 10_000)
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, err := e.core.AddMessages(ctx, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{
			{Role: "user", Content: fmt.Sprintf("%d %s", i, sentence(r))}, {Role: "assistant", Content: sentence(r)},
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearch measures one search_memory (embedding the query, scanning the user's 10,000
// vectors, loading the top 10 facts and 6 preferences, exact-text dedup).
func BenchmarkSearch10k(b *testing.B) {
	for _, dedup := range []string{"", "sim", "mmr"} {
		b.Run("dedup="+dedup, func(b *testing.B) {
			e := newEnv(b, nil)
			prefill(b, e, "u", 10_000)
			r := rand.New(rand.NewPCG(5, 6))
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				res, err := e.core.Search(ctx, memstore.SearchRequest{UserID: "u", Query: sentence(r)[:30], Dedup: dedup})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Memories) == 0 {
					b.Fatal("no results")
				}
			}
		})
	}
}

// BenchmarkList measures get_memory's first and a far page at 10,000 memories.
func BenchmarkList10k(b *testing.B) {
	e := newEnv(b, nil)
	prefill(b, e, "u", 10_000)
	ctx := context.Background()
	for _, page := range []int{1, 1000} {
		b.Run(fmt.Sprintf("page=%d", page), func(b *testing.B) {
			for b.Loop() {
				res, err := e.core.List(ctx, memstore.ListRequest{UserID: "u", Page: &page, PageSize: ptr(10)})
				if err != nil || len(res.Memories) != 10 {
					b.Fatal(err, len(res.Memories))
				}
			}
		})
	}
}
