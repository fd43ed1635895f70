package qdrant_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/qdrant"
	"github.com/memos-mcp/memos-mcp/memstore/qdrant/qdranttest"
	"github.com/memos-mcp/memos-mcp/memstore/storetest"
)

// factory runs the conformance suite against the Qdrant at url, one collection per store location.
func factory(url, apiKey string) storetest.Factory {
	return storetest.Factory{
		Open: func(t *testing.T, collection string, id memstore.EmbedderIdentity) (memstore.Store, error) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := qdrant.Open(ctx, qdrant.Config{URL: url, APIKey: apiKey, Collection: collection}, id)
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return s, nil
		},
		NewLocation: func(t *testing.T) string {
			name := "memtest_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
			t.Cleanup(func() { dropCollections(t, url, apiKey, name) })
			return name
		},
		Reopenable: true,
	}
}

// dropCollections removes a test's collections, so a real server is left as it was found.
func dropCollections(t *testing.T, url, apiKey, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := qdrant.Open(ctx, qdrant.Config{URL: url, APIKey: apiKey, Collection: name}, memstore.AnyEmbedder)
	if err != nil {
		t.Logf("cleanup of %s: %v", name, err)
		return
	}
	defer s.Close()
	if err := s.DropAll(ctx); err != nil {
		t.Logf("cleanup of %s: %v", name, err)
	}
}

// TestConformanceDouble runs the suite against the in-process Qdrant double, through the real
// go-client over gRPC.
func TestConformanceDouble(t *testing.T) {
	srv := qdranttest.Start(t)
	storetest.RunFactory(t, factory(fmt.Sprintf("%s:%d", srv.Host(), srv.Port()), ""))
}

// TestConformanceRealQdrant runs the suite against a real Qdrant when QDRANT_URL names one (its
// gRPC endpoint, e.g. 127.0.0.1:6334; QDRANT_API_KEY if it needs one). See the README.
func TestConformanceRealQdrant(t *testing.T) {
	url := os.Getenv("QDRANT_URL")
	if url == "" {
		t.Skip("QDRANT_URL is not set: no real Qdrant to test against (the double is tested above)")
	}
	storetest.RunFactory(t, factory(url, os.Getenv("QDRANT_API_KEY")))
}
