// Package qdrant is the memstore backend on Qdrant (github.com/qdrant/go-client, gRPC): the same
// memory core on a vector database that several stateless memos-mcp instances can share.
//
// Layout: one collection of memories (a dense "dense" vector, cosine, sized by the embedder, and a
// sparse "lexical" vector with Qdrant's IDF modifier for keyword recall), and three small
// collections beside it: "<name>_meta" (the embedder the memories were built with),
// "<name>_messages" (conversation transcripts) and "<name>_tasks" (the background queue). Every
// write waits until Qdrant has applied it (Wait: true), so a call that returns has made its effect
// durable and visible.
package qdrant

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Vector names in the memories collection.
const (
	denseVector  = "dense"
	sparseVector = "lexical"
)

// DefaultCollection is the memories collection's name unless configured.
const DefaultCollection = "memos"

// Config configures the backend.
type Config struct {
	// URL is Qdrant's gRPC endpoint: "host:port", "host" (port 6334) or "http(s)://host:port"
	// (https turns TLS on).
	URL        string
	APIKey     string
	UseTLS     bool
	Collection string
	// Timeout bounds every call (default 30 s).
	Timeout time.Duration
	// Instance names this process among the instances sharing the collections; it owns the
	// background tasks it enqueues (default: the host name, so a restarted instance resumes its
	// own tasks at once).
	Instance string
	// OrphanAfter is how long another instance's pending task waits before this one adopts it
	// (default DefaultOrphanAfter).
	OrphanAfter time.Duration
}

// Store is the Qdrant memstore.Store (also a MessageLog and a TaskQueue).
type Store struct {
	client  *qdrant.Client
	cfg     Config
	names   collections
	timeout time.Duration

	mu       sync.Mutex // guards identity; its Dim > 0 once the memories collection exists
	identity memstore.EmbedderIdentity

	// life is held shared by every call and exclusively by Close, so Close waits for calls in
	// flight and no call reaches the closed client (whose connection pool would then be empty).
	life   sync.RWMutex
	closed bool

	instance    string
	orphanAfter time.Duration
	seqMu       sync.Mutex
	lastSeq     int64
}

type collections struct{ memories, meta, messages, tasks string }

var (
	_ memstore.Store      = (*Store)(nil)
	_ memstore.MessageLog = (*Store)(nil)
	_ memstore.TaskQueue  = (*Store)(nil)
)

// metaID is the point of the meta collection that records the embedder.
var metaID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("memos-mcp:embedder")).String()

// ParseURL turns a Qdrant URL into host, port and whether to use TLS.
func ParseURL(s string) (host string, port int, useTLS bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, false, errors.New("the Qdrant URL is empty; give host:port of its gRPC endpoint, e.g. 127.0.0.1:6334")
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		switch scheme {
		case "http", "grpc":
		case "https", "grpcs":
			useTLS = true
		default:
			return "", 0, false, fmt.Errorf("Qdrant URL %q: use http://, https:// or host:port", s)
		}
		u, err := url.Parse(scheme + "://" + rest)
		if err != nil {
			return "", 0, false, fmt.Errorf("Qdrant URL %q: %w", s, err)
		}
		s = u.Host
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		host, p = s, "6334"
	}
	port, err = strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, false, fmt.Errorf("Qdrant URL %q: port %q is not a port number", s, p)
	}
	if port == 6333 {
		return "", 0, false, fmt.Errorf("Qdrant URL %q: 6333 is Qdrant's REST port; memos-mcp speaks gRPC, usually on 6334", s)
	}
	return host, port, useTLS, nil
}

// CheckCollectionName rejects collection names Qdrant would refuse or that would be awkward in its
// URLs: the name must be 1 to 200 letters, digits, '_' or '-'.
func CheckCollectionName(name string) error {
	if name == "" || len(name) > 200 || strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		return fmt.Errorf("collection name %q: use 1 to 200 letters, digits, '_' or '-'", name)
	}
	return nil
}

// Open connects to Qdrant and prepares the collections for an embedder. It fails with
// memstore.ErrEmbedderMismatch when the memories were built with another embedder (or another
// dimension). A dimension of 0 (not known yet) is taken from the stored identity, or from the first
// vector stored.
func Open(ctx context.Context, cfg Config, identity memstore.EmbedderIdentity) (*Store, error) {
	if identity.Name == "" || identity.Dim < 0 {
		return nil, fmt.Errorf("open Qdrant store: embedder identity %v is incomplete", identity)
	}
	host, port, tls, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Collection == "" {
		cfg.Collection = DefaultCollection
	}
	if err := CheckCollectionName(cfg.Collection); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Instance == "" {
		cfg.Instance, _ = os.Hostname()
	}
	if cfg.OrphanAfter <= 0 {
		cfg.OrphanAfter = DefaultOrphanAfter
	}
	client, err := qdrant.NewClient(&qdrant.Config{Host: host, Port: port, APIKey: cfg.APIKey, UseTLS: tls || cfg.UseTLS,
		PoolSize: 2, SkipCompatibilityCheck: true})
	if err != nil {
		return nil, fmt.Errorf("connect to Qdrant at %s:%d: %w", host, port, err)
	}
	s := &Store{client: client, cfg: cfg, timeout: cfg.Timeout, identity: identity, instance: cfg.Instance, orphanAfter: cfg.OrphanAfter, names: collections{
		memories: cfg.Collection, meta: cfg.Collection + "_meta", messages: cfg.Collection + "_messages", tasks: cfg.Collection + "_tasks"}}
	if err := s.bootstrap(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return s, nil
}

// call bounds a Qdrant call by the configured timeout and explains failures.
func (s *Store) call(ctx context.Context, what string, fn func(context.Context) error) error {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return fmt.Errorf("qdrant %s: the store is closed", what)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := fn(ctx); err != nil {
		return s.explain(what, err)
	}
	return nil
}

func (s *Store) explain(what string, err error) error {
	switch status.Code(errors.Unwrap(err)) {
	case codes.Unavailable:
		return memstore.Unavailable(fmt.Sprintf("Qdrant is not reachable at %s (%s): start it, or point --qdrant-url at it", s.cfg.URL, what))
	case codes.DeadlineExceeded:
		return memstore.Unavailable(fmt.Sprintf("Qdrant at %s did not answer in time (%s)", s.cfg.URL, what))
	case codes.Unauthenticated, codes.PermissionDenied:
		return memstore.Unavailable(fmt.Sprintf("Qdrant at %s refused the API key (%s): check --qdrant-api-key", s.cfg.URL, what))
	}
	if st, ok := status.FromError(errors.Unwrap(err)); ok && st.Code() == codes.Unavailable {
		return memstore.Unavailable(fmt.Sprintf("Qdrant is not reachable at %s (%s)", s.cfg.URL, what))
	}
	return fmt.Errorf("qdrant %s: %w", what, err)
}

// bootstrap creates the side collections, reconciles the embedder identity, and makes sure the
// memories collection (when its dimension is known) has the right vector size and indexes.
func (s *Store) bootstrap(ctx context.Context) error {
	for _, c := range []struct {
		name    string
		indexes map[string]qdrant.FieldType
	}{
		{s.names.meta, nil},
		{s.names.messages, map[string]qdrant.FieldType{"user_id": qdrant.FieldType_FieldTypeKeyword,
			"conversation_id": qdrant.FieldType_FieldTypeKeyword, "seq": qdrant.FieldType_FieldTypeInteger}},
		{s.names.tasks, map[string]qdrant.FieldType{"status": qdrant.FieldType_FieldTypeKeyword, "owner": qdrant.FieldType_FieldTypeKeyword,
			"seq": qdrant.FieldType_FieldTypeInteger, "updated_us": qdrant.FieldType_FieldTypeInteger}},
	} {
		if err := s.ensureCollection(ctx, c.name, &qdrant.CreateCollection{CollectionName: c.name,
			VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 1, Distance: qdrant.Distance_Dot})}, c.indexes); err != nil {
			return err
		}
	}
	stored, found, err := s.readIdentity(ctx)
	if err != nil {
		return err
	}
	if found {
		id, err := memstore.ResolveIdentity("the Qdrant collection "+s.names.memories, stored, s.identity)
		if err != nil {
			// Reindexing works on the embedded store, so the way out differs from its message.
			return fmt.Errorf("%w: the Qdrant collection %s was built with embedder %s, but memos-mcp is configured with %s. "+
				"Start memos-mcp with the embedder the collection was built with, or give the new embedder its own "+
				"--qdrant-collection and carry the memories over: memos-mcp migrate --from qdrant --to embedded, "+
				"memos-mcp reindex, then memos-mcp migrate --from embedded --to qdrant --qdrant-collection <new>",
				memstore.ErrEmbedderMismatch, s.names.memories, stored, s.identity)
		}
		s.identity = id
	}
	if s.identity.Dim > 0 {
		if err := s.ensureMemories(ctx, s.identity.Dim); err != nil {
			return err
		}
	}
	if s.identity.Name == memstore.AnyEmbedder.Name {
		return nil // nothing to record: a store opened only to be read
	}
	if !found || stored != s.identity {
		return s.writeIdentity(ctx, s.identity)
	}
	return nil
}

// memoryIndexes are the payload indexes of the memories collection: keyword fields for scoping and
// filters, integers for ordering and time ranges.
var memoryIndexes = map[string]qdrant.FieldType{
	"user_id": qdrant.FieldType_FieldTypeKeyword, "cube_id": qdrant.FieldType_FieldTypeKeyword,
	"memory_type": qdrant.FieldType_FieldTypeKeyword, "status": qdrant.FieldType_FieldTypeKeyword,
	"conversation_id": qdrant.FieldType_FieldTypeKeyword, "kind": qdrant.FieldType_FieldTypeKeyword,
	"tags": qdrant.FieldType_FieldTypeKeyword, "created_us": qdrant.FieldType_FieldTypeInteger,
	"updated_us": qdrant.FieldType_FieldTypeInteger, "expires_us": qdrant.FieldType_FieldTypeInteger,
	"created_at": qdrant.FieldType_FieldTypeInteger,
}

// ensureMemories creates the memories collection for dim, or checks an existing one has it.
func (s *Store) ensureMemories(ctx context.Context, dim int) error {
	var info *qdrant.CollectionInfo
	err := s.call(ctx, "read collection "+s.names.memories, func(ctx context.Context) error {
		var err error
		info, err = s.client.GetCollectionInfo(ctx, s.names.memories)
		return err
	})
	if err == nil {
		size := info.GetConfig().GetParams().GetVectorsConfig().GetParamsMap().GetMap()[denseVector].GetSize()
		if int(size) != dim {
			return fmt.Errorf("%w: the Qdrant collection %s holds %d-dimensional vectors, the embedder makes %d; "+
				"run `memos-mcp reindex`, or use another --qdrant-collection", memstore.ErrEmbedderMismatch, s.names.memories, size, dim)
		}
		return s.ensureIndexes(ctx, s.names.memories, memoryIndexes)
	}
	if !isNotFound(err) {
		return err
	}
	return s.ensureCollection(ctx, s.names.memories, &qdrant.CreateCollection{
		CollectionName: s.names.memories,
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			denseVector: {Size: uint64(dim), Distance: qdrant.Distance_Cosine}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			sparseVector: {Modifier: qdrant.Modifier_Idf.Enum()}}),
	}, memoryIndexes)
}

func isNotFound(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if status.Code(e) == codes.NotFound {
			return true
		}
	}
	return strings.Contains(err.Error(), "doesn't exist") || strings.Contains(err.Error(), "Not found")
}

// ensureCollection creates a collection when it does not exist, then its payload indexes.
func (s *Store) ensureCollection(ctx context.Context, name string, create *qdrant.CreateCollection, indexes map[string]qdrant.FieldType) error {
	var exists bool
	if err := s.call(ctx, "check collection "+name, func(ctx context.Context) error {
		var err error
		exists, err = s.client.CollectionExists(ctx, name)
		return err
	}); err != nil {
		return err
	}
	if !exists {
		err := s.call(ctx, "create collection "+name, func(ctx context.Context) error { return s.client.CreateCollection(ctx, create) })
		// Another instance may have created it meanwhile.
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return err
		}
	}
	return s.ensureIndexes(ctx, name, indexes)
}

func (s *Store) ensureIndexes(ctx context.Context, name string, indexes map[string]qdrant.FieldType) error {
	for field, typ := range indexes {
		req := &qdrant.CreateFieldIndexCollection{CollectionName: name, Wait: qdrant.PtrOf(true), FieldName: field, FieldType: typ.Enum()}
		if typ == qdrant.FieldType_FieldTypeInteger {
			req.FieldIndexParams = qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{Lookup: qdrant.PtrOf(true), Range: qdrant.PtrOf(true)})
		}
		if field == "user_id" && name == s.names.memories {
			req.FieldIndexParams = qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)})
		}
		if err := s.call(ctx, "index "+name+"."+field, func(ctx context.Context) error {
			_, err := s.client.CreateFieldIndex(ctx, req)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) readIdentity(ctx context.Context) (memstore.EmbedderIdentity, bool, error) {
	var pts []*qdrant.RetrievedPoint
	if err := s.call(ctx, "read the embedder identity", func(ctx context.Context) error {
		var err error
		pts, err = s.client.Get(ctx, &qdrant.GetPoints{CollectionName: s.names.meta, Ids: []*qdrant.PointId{qdrant.NewID(metaID)},
			WithPayload: qdrant.NewWithPayload(true)})
		return err
	}); err != nil {
		return memstore.EmbedderIdentity{}, false, err
	}
	if len(pts) == 0 {
		return memstore.EmbedderIdentity{}, false, nil
	}
	p := pts[0].GetPayload()
	return memstore.EmbedderIdentity{Name: p["embedder"].GetStringValue(), Dim: int(p["dim"].GetIntegerValue())}, true, nil
}

func (s *Store) writeIdentity(ctx context.Context, id memstore.EmbedderIdentity) error {
	payload, err := qdrant.TryValueMap(map[string]any{"embedder": id.Name, "dim": int64(id.Dim)})
	if err != nil {
		return err
	}
	return s.call(ctx, "record the embedder identity", func(ctx context.Context) error {
		_, err := s.client.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: s.names.meta, Wait: qdrant.PtrOf(true),
			Points: []*qdrant.PointStruct{{Id: qdrant.NewID(metaID), Vectors: qdrant.NewVectorsDense([]float32{1}), Payload: payload}}})
		return err
	})
}

// Identity returns the embedder identity the store holds vectors for (dimension 0: none yet).
func (s *Store) Identity() memstore.EmbedderIdentity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identity
}

// Collection names the memories collection.
func (s *Store) Collection() string { return s.names.memories }

// Close implements memstore.Store.
func (s *Store) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.client.Close()
}

// DropAll deletes the store's collections (tests and migration rollback).
func (s *Store) DropAll(ctx context.Context) error {
	for _, name := range []string{s.names.memories, s.names.meta, s.names.messages, s.names.tasks} {
		err := s.call(ctx, "delete collection "+name, func(ctx context.Context) error { return s.client.DeleteCollection(ctx, name) })
		if err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

// dimension returns the memories' dimension, creating the collection for dim when none exists yet.
func (s *Store) dimension(ctx context.Context, dim int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.identity.Name == memstore.AnyEmbedder.Name {
		return 0, fmt.Errorf("the Qdrant collection %s was opened without an embedder, so it cannot take vectors", s.names.memories)
	}
	if s.identity.Dim == 0 && dim > 0 {
		if err := s.ensureMemories(ctx, dim); err != nil {
			return 0, err
		}
		s.identity.Dim = dim
		if err := s.writeIdentity(ctx, s.identity); err != nil {
			return 0, err
		}
	}
	return s.identity.Dim, nil
}

// dimMismatch is the error for a vector whose length is not the store's dimension.
func (s *Store) dimMismatch(what string, got, want int) error {
	return fmt.Errorf("%w: %s has %d dimensions, but the Qdrant collection %s holds %d-dimensional vectors; "+
		"the embedding model changed: run `memos-mcp reindex`, or go back to the model the store was built with",
		memstore.ErrEmbedderMismatch, what, got, s.names.memories, want)
}

// nextSeq returns a sequence number for ordering messages and tasks: the time in microseconds
// (exact in Qdrant's float ranges), strictly increasing within this process.
func (s *Store) nextSeq() int64 {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	s.lastSeq = max(s.lastSeq+1, time.Now().UnixMicro())
	return s.lastSeq
}
