package memstore

import (
	"context"
	"fmt"
	"math"
)

// Embedder turns texts into vectors. Implementations: builtin (lexical, the zero-setup default) and
// Ollama. Embed is called once per request with every text that request needs, so a remote
// embedder can batch.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Identity names the embedder and its dimension. A store remembers the identity it was built
	// with and refuses to open with another, since vectors from different embedders don't compare.
	Identity() EmbedderIdentity
}

// EmbedderIdentity names an embedder: a model change or a dimension change both change it.
type EmbedderIdentity struct {
	Name string `json:"name"`
	Dim  int    `json:"dim"`
}

func (id EmbedderIdentity) String() string { return fmt.Sprintf("%s (%d dimensions)", id.Name, id.Dim) }

// CheckIdentity returns an ErrEmbedderMismatch error, with instructions, when a store built by
// stored cannot serve the configured embedder. where names the store for the message.
func CheckIdentity(where string, stored, configured EmbedderIdentity) error {
	if stored == configured {
		return nil
	}
	return fmt.Errorf("%w: %s was built with embedder %s, but memos-mcp is configured with %s; "+
		"start it with the embedder the store was built with, or use a new data location for the new embedder",
		ErrEmbedderMismatch, where, stored, configured)
}

// Cosine returns the cosine similarity of a and b (0 when either is zero or lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
