package main

import (
	"context"
	"fmt"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
	"github.com/memos-mcp/memos-mcp/memstore/qdrant"
)

// backend is everything the commands need of a store; both backends are all of it.
type backend interface {
	memstore.Store
	memstore.MessageLog
	memstore.TaskQueue
	memstore.Scanner
	Identity() memstore.EmbedderIdentity
}

// openStore opens the store of the given kind (embedded or qdrant) for an embedder identity
// (memstore.AnyEmbedder: whatever the store was built with) and describes where it is.
func openStore(ctx context.Context, cfg config, kind string, identity memstore.EmbedderIdentity) (backend, string, error) {
	switch kind {
	case "qdrant":
		s, err := qdrant.Open(ctx, qdrant.Config{URL: cfg.QdrantURL, APIKey: cfg.QdrantAPIKey, Collection: cfg.QdrantCollection,
			Timeout: cfg.QdrantTimeout}, identity)
		if err != nil {
			return nil, "", fmt.Errorf("open the Qdrant store: %w", err)
		}
		return s, fmt.Sprintf("qdrant %s collection %s", cfg.QdrantURL, s.Collection()), nil
	case "embedded":
		s, err := embedded.Open(cfg.DataDir, identity, embedded.Options{})
		if err != nil {
			return nil, "", err
		}
		return s, s.Path(), nil
	default:
		return nil, "", fmt.Errorf("store %q: use embedded or qdrant", kind)
	}
}
