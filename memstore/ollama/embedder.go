package ollama

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/ollama/ollama/api"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Embedder is a memstore.Embedder backed by an Ollama embedding model. Its dimension is learned
// from the server (Probe, or the first Embed), so it can be created while Ollama is down.
type Embedder struct {
	c     *Client
	model string

	mu  sync.Mutex
	dim int // 0 until the server has answered once
}

var _ memstore.Embedder = (*Embedder)(nil)

// NewEmbedder returns an embedder using model.
func (c *Client) NewEmbedder(model string) *Embedder {
	return &Embedder{c: c, model: modelName(model)}
}

// Identity implements memstore.Embedder. Dim is 0 until the server has been reached.
func (e *Embedder) Identity() memstore.EmbedderIdentity {
	e.mu.Lock()
	defer e.mu.Unlock()
	return memstore.EmbedderIdentity{Name: "ollama/" + e.model, Dim: e.dim}
}

// Model returns the model name.
func (e *Embedder) Model() string { return e.model }

// Probe embeds a short text to learn the model's dimension and check that it works.
func (e *Embedder) Probe(ctx context.Context) error {
	_, err := e.Embed(ctx, []string{"memos-mcp dimension probe"})
	return err
}

// Embed implements memstore.Embedder with one /api/embed call for all texts.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	truncate := true // a window longer than the model's context is embedded by its beginning
	var resp *api.EmbedResponse
	err := e.c.call(ctx, e.c.cfg.EmbedTimeout, "embedding", e.model, func(ctx context.Context) error {
		var err error
		resp, err = e.c.api.Embed(ctx, &api.EmbedRequest{Model: e.model, Input: texts, Truncate: &truncate})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Embeddings) != len(texts) {
		return nil, memstore.Unavailable(fmt.Sprintf("Ollama returned %d embeddings for %d texts (model %s)", len(resp.Embeddings), len(texts), e.model))
	}
	dim := len(resp.Embeddings[0])
	for i, v := range resp.Embeddings {
		if len(v) != dim || dim == 0 {
			return nil, memstore.Unavailable(fmt.Sprintf("Ollama returned embeddings of mixed or zero length from model %s", e.model))
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, memstore.Unavailable(fmt.Sprintf("Ollama returned an invalid embedding (NaN or Inf) for text %d from model %s", i, e.model))
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dim == 0 {
		e.dim = dim
	} else if e.dim != dim {
		// The model was replaced under the same name while the server ran.
		return nil, fmt.Errorf("%w: model %s now returns %d-dimensional embeddings, it returned %d before; "+
			"restart memos-mcp, and run memos-mcp reindex if the store was built with the old model",
			memstore.ErrEmbedderMismatch, e.model, dim, e.dim)
	}
	return resp.Embeddings, nil
}
