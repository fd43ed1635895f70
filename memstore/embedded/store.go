// Package embedded is the zero-setup storage backend: one bbolt file on local disk plus an
// in-memory vector and listing index rebuilt when the file is opened.
package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// FileName is the database file inside the data directory.
const FileName = "memos.db"

var (
	bucketMeta     = []byte("meta")
	bucketMemories = []byte("memories")
	keyEmbedder    = []byte("embedder")
)

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the file (default 2 s).
	LockTimeout time.Duration
}

// Store is the embedded memstore.Store. Writes are serialised and fsynced before they return;
// reads run concurrently with each other and with writes.
type Store struct {
	db       *bolt.DB
	path     string
	identity memstore.EmbedderIdentity

	writeMu sync.Mutex   // one writer at a time, so the index applies writes in commit order
	mu      sync.RWMutex // guards idx
	idx     *index
}

var _ memstore.Store = (*Store)(nil)

// Open opens (creating if needed) the store in dir for an embedder. It fails with
// memstore.ErrEmbedderMismatch when the store was built with a different embedder.
func Open(dir string, identity memstore.EmbedderIdentity, opts Options) (*Store, error) {
	if identity.Dim <= 0 || identity.Name == "" {
		return nil, fmt.Errorf("open store: embedder identity %v is incomplete", identity)
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open %s: another process (probably another memos-mcp) has it open; "+
			"stop that process, give this one its own --data-dir, or run one memos-mcp with --transport http "+
			"and connect every client to it", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, identity: identity, idx: newIndex(identity.Dim)}
	if err := s.bootstrap(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.rebuild(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// bootstrap creates the buckets and records, or checks, the embedder identity.
func (s *Store) bootstrap() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		if _, err := tx.CreateBucketIfNotExists(bucketMemories); err != nil {
			return fmt.Errorf("create memories bucket: %w", err)
		}
		raw := meta.Get(keyEmbedder)
		if raw == nil {
			b, _ := json.Marshal(s.identity)
			return meta.Put(keyEmbedder, b)
		}
		var stored memstore.EmbedderIdentity
		if err := json.Unmarshal(raw, &stored); err != nil {
			return fmt.Errorf("read embedder identity of %s: %w", s.path, err)
		}
		return memstore.CheckIdentity("the store at "+s.path, stored, s.identity)
	})
}

// rebuild loads every record's header and vector into the index.
func (s *Store) rebuild() error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMemories).ForEach(func(k, v []byte) error {
			h, vec, _, err := decodeHeader(v, make([]float32, 0, s.identity.Dim))
			if err != nil || len(k) != 16 {
				return fmt.Errorf("open %s: record %x: %w", s.path, k, errCorrupt)
			}
			if len(vec) != s.identity.Dim {
				return fmt.Errorf("open %s: record %x has a %d-dimensional vector, want %d",
					s.path, k, len(vec), s.identity.Dim)
			}
			s.idx.put([16]byte(k), h, vec)
			return nil
		})
	})
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Count returns how many memories the store holds.
func (s *Store) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.len()
}

// Close implements memstore.Store.
func (s *Store) Close() error { return s.db.Close() }

// Put implements memstore.Store.
func (s *Store) Put(ctx context.Context, memories []memstore.Memory) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	type prepared struct {
		id     [16]byte
		h      header
		vec    []float32
		record []byte
	}
	batch := make([]prepared, 0, len(memories))
	for i := range memories {
		m := memories[i]
		id, err := parseID(m.ID)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		if m.UserID == "" || m.CubeID == "" || m.CreatedAt.IsZero() {
			return fmt.Errorf("put: memory %s lacks a user, cube or creation time", m.ID)
		}
		if len(m.Embedding) != s.identity.Dim {
			return fmt.Errorf("put: memory %s has a %d-dimensional embedding, the store holds %d",
				m.ID, len(m.Embedding), s.identity.Dim)
		}
		m.Embedding = normalize(m.Embedding)
		record, err := encodeRecord(&m)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		h := header{
			created: stampOf(m.CreatedAt), kind: m.Kind, status: m.Status,
			user: m.UserID, cube: m.CubeID, conv: m.ConversationID,
		}
		if m.ExpiresAt != nil {
			h.expires, h.hasExpiry = stampOf(*m.ExpiresAt), true
		}
		batch = append(batch, prepared{id: id, vec: m.Embedding, record: record, h: h})
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMemories)
		for _, p := range batch {
			if err := b.Put(p.id[:], p.record); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put %d memories: %w", len(batch), err)
	}
	s.mu.Lock()
	for _, p := range batch {
		s.idx.put(p.id, p.h, p.vec)
	}
	s.mu.Unlock()
	return nil
}

// Get implements memstore.Store.
func (s *Store) Get(ctx context.Context, ids []string) ([]memstore.Memory, error) {
	keys := make([][16]byte, 0, len(ids))
	for _, id := range ids {
		k, err := parseID(id)
		if err != nil {
			continue // not a UUID, so not a memory here
		}
		keys = append(keys, k)
	}
	return s.load(ctx, keys)
}

// load reads full records, skipping any deleted since their ids were chosen.
func (s *Store) load(ctx context.Context, keys [][16]byte) ([]memstore.Memory, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]memstore.Memory, 0, len(keys))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMemories)
		for _, k := range keys {
			v := b.Get(k[:])
			if v == nil {
				continue
			}
			m, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("record %s: %w", uuid.UUID(k), err)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read memories: %w", err)
	}
	return out, nil
}

// Search implements memstore.Store.
func (s *Store) Search(ctx context.Context, q memstore.VectorQuery) ([]memstore.Hit, error) {
	if len(q.Vector) != s.identity.Dim {
		return nil, fmt.Errorf("search: query vector has %d dimensions, the store holds %d", len(q.Vector), s.identity.Dim)
	}
	vec := normalize(q.Vector)
	s.mu.RLock()
	found := s.idx.search(q.Scope, q.Filter, vec, q.Limit)
	keys := make([][16]byte, len(found))
	scores := make(map[[16]byte]float64, len(found))
	for i, f := range found {
		keys[i] = f.e.id
		scores[f.e.id] = f.score
	}
	s.mu.RUnlock()
	ms, err := s.load(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	hits := make([]memstore.Hit, len(ms))
	for i, m := range ms {
		k, _ := parseID(m.ID)
		hits[i] = memstore.Hit{Memory: m, Score: scores[k]}
	}
	return hits, nil
}

// List implements memstore.Store.
func (s *Store) List(ctx context.Context, q memstore.ListQuery) (memstore.Page, error) {
	s.mu.RLock()
	keys, total := s.idx.list(q.Scope, q.Filter, q.Offset, q.Limit)
	s.mu.RUnlock()
	ms, err := s.load(ctx, keys)
	if err != nil {
		return memstore.Page{}, fmt.Errorf("list: %w", err)
	}
	return memstore.Page{Memories: ms, Total: total}, nil
}

// Delete implements memstore.Store.
func (s *Store) Delete(ctx context.Context, ids []string) ([]string, error) {
	keys := make([][16]byte, 0, len(ids))
	for _, id := range ids {
		if k, err := parseID(id); err == nil {
			keys = append(keys, k)
		}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.deleteKeys(ctx, keys)
}

// DeleteWhere implements memstore.Store.
func (s *Store) DeleteWhere(ctx context.Context, scope memstore.Scope, f memstore.Filter) ([]string, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.RLock()
	keys := s.idx.matching(scope, f)
	s.mu.RUnlock()
	return s.deleteKeys(ctx, keys)
}

// deleteKeys removes records; the caller holds writeMu.
func (s *Store) deleteKeys(ctx context.Context, keys [][16]byte) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var deleted [][16]byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMemories)
		deleted = deleted[:0]
		for _, k := range keys {
			if b.Get(k[:]) == nil {
				continue
			}
			if err := b.Delete(k[:]); err != nil {
				return err
			}
			deleted = append(deleted, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	s.mu.Lock()
	for _, k := range deleted {
		s.idx.remove(k)
	}
	s.mu.Unlock()
	ids := make([]string, len(deleted))
	for i, k := range deleted {
		ids[i] = uuid.UUID(k).String()
	}
	return ids, nil
}

// normalize returns v scaled to unit length (a copy; zero vectors stay zero).
func normalize(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if sum == 0 {
		return out
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}
