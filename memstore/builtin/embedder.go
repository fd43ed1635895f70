// Package builtin holds what memos-mcp needs to run with no model at all: a lexical embedder and
// rule-based preference extraction for Chinese and English.
package builtin

import (
	"context"
	"math"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/lexical"
)

// Dim is the built-in embedder's vector length.
const Dim = 512

// EmbedderName identifies the built-in embedder in stores. Bump the version suffix whenever the
// features or hashing change, so stores built by the old scheme are refused rather than misread.
const EmbedderName = "builtin-lexical-v1"

// Embedder is a deterministic lexical embedder: signed feature hashing of word unigrams and bigrams
// (Latin and other space-separated scripts) and of character unigrams and bigrams (Chinese,
// Japanese, Korean), with sublinear term weights, L2-normalised. Texts that share words are close;
// synonyms are not. It needs no model and no network.
type Embedder struct{}

var _ memstore.Embedder = Embedder{}

// Identity implements memstore.Embedder.
func (Embedder) Identity() memstore.EmbedderIdentity {
	return memstore.EmbedderIdentity{Name: EmbedderName, Dim: Dim}
}

// Embed implements memstore.Embedder. It never fails; ctx is honoured between texts.
func (e Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = e.Vector(t)
	}
	return out, nil
}

// Vector embeds one text.
func (Embedder) Vector(text string) []float32 {
	acc := make([]float64, Dim)
	// Features come sorted, so the float sums below always run in the same order.
	for _, f := range lexical.Features(text) {
		sum := f.Hash()
		w := (1 + math.Log(float64(f.Count))) * f.Weight
		if sum>>63 == 1 {
			w = -w
		}
		acc[sum%Dim] += w
	}
	var norm float64
	for _, x := range acc {
		norm += x * x
	}
	v := make([]float32, Dim)
	if norm == 0 {
		return v
	}
	inv := 1 / math.Sqrt(norm)
	for i, x := range acc {
		v[i] = float32(x * inv)
	}
	return v
}
