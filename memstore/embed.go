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

// AnyEmbedder opens a store with whatever embedder it was built with. Export and migration use it
// for the store they read: they copy vectors and never embed. A store opened so cannot take new
// vectors until it knows its embedder.
var AnyEmbedder = EmbedderIdentity{Name: "*"}

// ResolveIdentity reconciles the identity a store was built with (stored) and the configured
// embedder's (configured). A dimension of 0 means "not known yet" (an Ollama embedder before the
// server answered, or a store that holds no vector yet) and takes the other side's. Different names,
// or two known dimensions that differ, fail with ErrEmbedderMismatch and say what to do; where names
// the store for the message.
func ResolveIdentity(where string, stored, configured EmbedderIdentity) (EmbedderIdentity, error) {
	if configured.Name == AnyEmbedder.Name {
		return stored, nil
	}
	if stored.Name == configured.Name && (stored.Dim == configured.Dim || stored.Dim == 0 || configured.Dim == 0) {
		return EmbedderIdentity{Name: stored.Name, Dim: max(stored.Dim, configured.Dim)}, nil
	}
	return EmbedderIdentity{}, fmt.Errorf("%w: %s was built with embedder %s, but memos-mcp is configured with %s. "+
		"Run `memos-mcp reindex` (with the new embedder configured) to re-embed every memory, "+
		"or start memos-mcp with the embedder the store was built with",
		ErrEmbedderMismatch, where, stored, configured)
}

func (id EmbedderIdentity) String() string {
	if id.Dim == 0 {
		return id.Name + " (dimension not known yet)"
	}
	return fmt.Sprintf("%s (%d dimensions)", id.Name, id.Dim)
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

// Normalize returns v scaled to unit length, in a new slice (all zeros for a zero vector). A vector
// already of unit length (to float32 precision) is copied unchanged, so normalising twice — as an
// export re-imported, or a migration between backends, does — leaves the bits as they were.
func Normalize(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if sum == 0 {
		return out
	}
	if math.Abs(sum-1) < 1e-5 {
		copy(out, v)
		return out
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}
