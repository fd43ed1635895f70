// Package embedded is the zero-setup storage backend: a bbolt file and its write-ahead log on
// local disk, plus an in-memory vector and listing index rebuilt when the file is opened.
package embedded

import (
	"bytes"
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
	bucketMessages = []byte("messages")
	keyEmbedder    = []byte("embedder")
	keyReindex     = []byte("reindex-target")
	keyReindexPos  = []byte("reindex-position")
)

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the file (default 2 s).
	LockTimeout time.Duration
	// CheckpointBytes is how much write-ahead log makes a checkpoint into the bbolt file (default
	// 4 MiB). Negative: no log; every write is its own bbolt transaction.
	CheckpointBytes int
}

// Store is the embedded memstore.Store. Writes are serialised and on disk before they return (in
// the write-ahead log, see wal.go); reads run concurrently with each other and with writes.
type Store struct {
	db   *bolt.DB
	path string

	// wal holds acknowledged writes not yet checkpointed into db (nil: writes go straight to db).
	wal             *wal
	checkpointBytes int64
	checkpointErr   error // the last failed checkpoint's error, retried at the next write
	closed          bool  // guarded by writeMu
	// mem holds the records in the log by id (nil: deleted); reads look here before db. Written
	// with writeMu and mu held, read with either.
	mem map[[16]byte][]byte

	writeMu sync.Mutex   // one writer at a time, so the index applies writes in commit order
	mu      sync.RWMutex // guards identity and idx
	// commitMu guards the queue of Puts waiting for the group commit (see commit).
	commitMu   sync.Mutex
	queue      []*pendingPut
	committing bool
	// identity is the embedder the store's vectors come from. Its dimension is 0 until the first
	// vector is stored (or the embedder reports it), and fixed from then on.
	identity memstore.EmbedderIdentity
	idx      *index
}

var _ memstore.Store = (*Store)(nil)

// openDB opens the bbolt file in dir, creating dir if needed, with a clear message when another
// process holds it.
func openDB(dir string, opts Options) (*bolt.DB, string, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, "", fmt.Errorf("open %s: another process (probably another memos-mcp) has it open; "+
			"stop that process, give this one its own --data-dir, or run one memos-mcp with --transport http "+
			"and connect every client to it", path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", path, err)
	}
	return db, path, nil
}

// Open opens (creating if needed) the store in dir for an embedder. It fails with
// memstore.ErrEmbedderMismatch when the store was built with a different embedder. The identity's
// dimension may be 0 (not known yet); the store then takes the dimension it was built with, or
// that of the first vector stored.
func Open(dir string, identity memstore.EmbedderIdentity, opts Options) (*Store, error) {
	if identity.Name == "" || identity.Dim < 0 {
		return nil, fmt.Errorf("open store: embedder identity %v is incomplete", identity)
	}
	db, path, err := openDB(dir, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, identity: identity, mem: map[[16]byte][]byte{}}
	if _, err := replayWAL(db, dir); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.bootstrap(); err != nil {
		db.Close()
		return nil, err
	}
	s.idx = newIndex(s.identity.Dim)
	if err := s.rebuild(); err != nil {
		db.Close()
		return nil, err
	}
	if opts.CheckpointBytes >= 0 {
		s.checkpointBytes = int64(opts.CheckpointBytes)
		if s.checkpointBytes == 0 {
			s.checkpointBytes = defaultCheckpointBytes
		}
		if s.wal, err = openWAL(dir); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// bootstrap creates the buckets and records, or reconciles, the embedder identity.
func (s *Store) bootstrap() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		for _, name := range [][]byte{bucketMemories, bucketMessages} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create %s bucket: %w", name, err)
			}
		}
		if raw := meta.Get(keyReindex); raw != nil {
			var target memstore.EmbedderIdentity
			_ = json.Unmarshal(raw, &target)
			return fmt.Errorf("%w: the store at %s is half-way through a reindex to %s; run `memos-mcp reindex` again to finish it",
				memstore.ErrEmbedderMismatch, s.path, target)
		}
		stored, ok, err := readIdentity(meta)
		if err != nil {
			return fmt.Errorf("read embedder identity of %s: %w", s.path, err)
		}
		if ok {
			if s.identity, err = memstore.ResolveIdentity("the store at "+s.path, stored, s.identity); err != nil {
				return err
			}
			if s.identity == stored {
				return nil
			}
		}
		if s.identity.Name == memstore.AnyEmbedder.Name {
			return nil // nothing to record: a store opened only to be read
		}
		return writeIdentity(meta, s.identity)
	})
}

func readIdentity(meta *bolt.Bucket) (memstore.EmbedderIdentity, bool, error) {
	raw := meta.Get(keyEmbedder)
	if raw == nil {
		return memstore.EmbedderIdentity{}, false, nil
	}
	var id memstore.EmbedderIdentity
	if err := json.Unmarshal(raw, &id); err != nil {
		return id, false, err
	}
	return id, true, nil
}

func writeIdentity(meta *bolt.Bucket, id memstore.EmbedderIdentity) error {
	b, err := json.Marshal(id)
	if err != nil {
		return err
	}
	return meta.Put(keyEmbedder, b)
}

// rebuild loads every record's header and vector into the index. Reading and decoding the
// records runs on its own goroutine, a batch ahead of the index taking them: on two cores that
// overlaps the two halves of the work (1M memories: 1.5 s of decoding, 3.4 s of indexing).
func (s *Store) rebuild() error {
	dim := s.identity.Dim
	s.idx.loading = true
	defer s.idx.finishLoad()
	return s.db.View(func(tx *bolt.Tx) error {
		full := make(chan *loadBatch, 1)
		empty := make(chan *loadBatch, 2)
		empty <- &loadBatch{}
		empty <- &loadBatch{}
		decoded := make(chan error, 1)
		go func() {
			defer close(full)
			decoded <- s.decodeRecords(tx, dim, empty, full)
		}()
		for b := range full {
			for i := range b.keys {
				s.idx.put(b.keys[i], b.headers[i], b.vecs[i*dim:(i+1)*dim])
			}
			empty <- b
		}
		return <-decoded
	})
}

// loadBatch is a run of decoded records on their way into the index.
type loadBatch struct {
	keys    [][16]byte
	headers []header
	vecs    []float32 // dim per record, in order
}

// rebuildBatch is how many records a loadBatch holds.
const rebuildBatch = 4096

// decodeRecords reads every record of tx, decoded into batches taken from empty and sent to full.
func (s *Store) decodeRecords(tx *bolt.Tx, dim int, empty <-chan *loadBatch, full chan<- *loadBatch) error {
	b := <-empty
	b.keys, b.headers, b.vecs = b.keys[:0], b.headers[:0], b.vecs[:0]
	err := tx.Bucket(bucketMemories).ForEach(func(k, v []byte) error {
		h, vecs, _, err := decodeHeader(v, b.vecs)
		if err != nil || len(k) != 16 {
			return fmt.Errorf("open %s: record %x: %w", s.path, k, errCorrupt)
		}
		if got := len(vecs) - len(b.vecs); got != dim {
			return fmt.Errorf("open %s: record %x has a %d-dimensional vector, want %d", s.path, k, got, dim)
		}
		b.keys, b.headers, b.vecs = append(b.keys, [16]byte(k)), append(b.headers, h), vecs
		if len(b.keys) == rebuildBatch {
			full <- b
			b = <-empty
			b.keys, b.headers, b.vecs = b.keys[:0], b.headers[:0], b.vecs[:0]
		}
		return nil
	})
	if err == nil && len(b.keys) > 0 {
		full <- b
	}
	return err
}

// Identity returns the embedder identity the store holds vectors for (dimension 0: none yet).
func (s *Store) Identity() memstore.EmbedderIdentity {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.identity
}

// dimMismatch is the error for a vector whose length is not the store's dimension.
func (s *Store) dimMismatch(what string, got int) error {
	return fmt.Errorf("%w: %s has %d dimensions, but the store at %s holds %s vectors; "+
		"the embedding model changed: run `memos-mcp reindex`, or go back to the model the store was built with",
		memstore.ErrEmbedderMismatch, what, got, s.path, s.identity)
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Count returns how many memories the store holds.
func (s *Store) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.len()
}

// Close implements memstore.Store: it checkpoints the log into the file and closes both.
func (s *Store) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.wal != nil {
		errs = append(errs, s.checkpoint(), s.wal.close())
	}
	return errors.Join(append(errs, s.db.Close())...)
}

// checkpoint moves the records in the log into the bbolt file in one transaction and empties the
// log. The caller holds writeMu.
func (s *Store) checkpoint() error {
	if s.wal == nil || s.wal.end == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMemories)
		for k, v := range s.mem {
			if err := applyRecord(b, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		// Only now may reads stop finding these records in mem: the file has them.
		s.withIndex(func() { clear(s.mem) })
		err = s.wal.reset()
	}
	if s.checkpointErr = err; err != nil {
		return fmt.Errorf("checkpoint the write-ahead log into %s: %w", s.path, err)
	}
	return nil
}

// Put implements memstore.Store.
func (s *Store) Put(ctx context.Context, memories []memstore.Memory) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	batch := make([]prepared, 0, len(memories))
	for i := range memories {
		m := memories[i]
		id, err := parseID(m.ID)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		m.ID = uuid.UUID(id).String() // canonical lower-case form, as the index and Delete report it
		if m.UserID == "" || m.CubeID == "" || m.CreatedAt.IsZero() {
			return fmt.Errorf("put: memory %s lacks a user, cube or creation time", m.ID)
		}
		if len(m.Embedding) == 0 {
			return fmt.Errorf("put: memory %s has no embedding", m.ID)
		}
		if len(m.Embedding) != len(memories[0].Embedding) {
			return fmt.Errorf("put: memories of one batch have embeddings of %d and %d dimensions", len(memories[0].Embedding), len(m.Embedding))
		}
		m.Embedding = memstore.Normalize(m.Embedding)
		record, err := encodeRecord(&m)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		h := headerOf(&m)
		batch = append(batch, prepared{id: id, vec: m.Embedding, record: record, h: h})
	}
	if len(batch) == 0 {
		return nil
	}
	return s.commit(&pendingPut{batch: batch, dim: len(batch[0].vec), result: make(chan error, 1), lead: make(chan struct{}, 1)})
}

// prepared is a memory encoded for the file and the index.
type prepared struct {
	id     [16]byte
	h      header
	vec    []float32
	record []byte
}

// pendingPut is one Put waiting to be committed.
type pendingPut struct {
	batch  []prepared
	dim    int
	result chan error
	lead   chan struct{} // told when this Put is to commit the queue
}

// commit writes a Put durably, grouped with the Puts that arrive while another group is being
// committed: a group is one log frame (or one transaction), so one sync serves every writer in it.
// One waiting Put leads each group; Puts keep their own all-or-nothing outcome and their order.
func (s *Store) commit(p *pendingPut) error {
	s.commitMu.Lock()
	s.queue = append(s.queue, p)
	if s.committing {
		s.commitMu.Unlock()
		select {
		case err := <-p.result: // committed in a group another Put led
			return err
		case <-p.lead:
		}
		s.commitMu.Lock()
	} else {
		s.committing = true
	}
	group := s.queue
	s.queue = nil
	s.commitMu.Unlock()

	s.commitGroup(group)

	s.commitMu.Lock()
	if len(s.queue) > 0 {
		s.queue[0].lead <- struct{}{} // the next group's leader
	} else {
		s.committing = false
	}
	s.commitMu.Unlock()
	return <-p.result
}

// commitGroup writes the group's memories in one log frame (or, for the store's first vectors or
// without a log, one transaction) and then to the index, in the order the Puts arrived, and tells
// each Put its outcome.
func (s *Store) commitGroup(group []*pendingPut) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Only writers change the dimension, and writers are serialised, so it cannot change below.
	identity := s.Identity()
	dim := identity.Dim
	var ok []*pendingPut
	for _, p := range group {
		switch {
		case identity.Name == memstore.AnyEmbedder.Name:
			p.result <- fmt.Errorf("put: the store at %s was opened without an embedder, so it cannot take vectors", s.path)
		case dim == 0: // the first vector fixes the store's dimension
			dim = p.dim
			ok = append(ok, p)
		case p.dim != dim:
			if identity.Dim == 0 {
				p.result <- fmt.Errorf("%w: the embedding to store has %d dimensions, but %d-dimensional vectors are being stored at the same time",
					memstore.ErrEmbedderMismatch, p.dim, dim)
			} else {
				p.result <- s.dimMismatch("the embedding to store", p.dim)
			}
		default:
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return
	}
	if s.wal != nil && identity.Dim != 0 {
		s.commitToLog(ok)
		return
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if identity.Dim == 0 {
			if err := writeIdentity(tx.Bucket(bucketMeta), memstore.EmbedderIdentity{Name: identity.Name, Dim: dim}); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketMemories)
		for _, p := range ok {
			for _, r := range p.batch {
				if err := b.Put(r.id[:], r.record); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		for _, p := range ok {
			p.result <- fmt.Errorf("put %d memories: %w", len(p.batch), err)
		}
		return
	}
	s.withIndex(func() {
		if s.identity.Dim == 0 {
			s.identity.Dim, s.idx.dim = dim, dim
		}
		for _, p := range ok {
			for _, r := range p.batch {
				s.idx.put(r.id, r.h, r.vec)
			}
		}
	})
	for _, p := range ok {
		p.result <- nil
	}
}

// commitToLog writes the group as one frame of the write-ahead log (one fdatasync), then to mem
// and the index, and checkpoints when the log has grown enough. The caller holds writeMu.
func (s *Store) commitToLog(group []*pendingPut) {
	var entries []walEntry
	for _, p := range group {
		for _, r := range p.batch {
			entries = append(entries, walEntry{id: r.id, record: r.record})
		}
	}
	if err := s.wal.append(walPut, entries); err != nil {
		for _, p := range group {
			p.result <- fmt.Errorf("put %d memories: %w", len(p.batch), err)
		}
		return
	}
	s.withIndex(func() {
		for _, p := range group {
			for _, r := range p.batch {
				s.mem[r.id] = r.record
				s.idx.put(r.id, r.h, r.vec)
			}
		}
	})
	for _, p := range group {
		p.result <- nil
	}
	s.maybeCheckpoint()
}

// maybeCheckpoint checkpoints once the log holds checkpointBytes, or to retry a failed checkpoint.
// A failure leaves everything in the log, where it is safe; it is retried at the next write and
// reported by Close. The caller holds writeMu.
func (s *Store) maybeCheckpoint() {
	if s.wal.end >= s.checkpointBytes || s.checkpointErr != nil {
		_ = s.checkpoint()
	}
}

// withIndex runs fn with the index locked for writing; the lock is released even if fn panics,
// so one failed call cannot hang every later one.
func (s *Store) withIndex(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// readIndex runs fn with the index locked for reading.
func (s *Store) readIndex(fn func()) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn()
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
	// Records still in the log are taken from mem (a nil there: deleted), the others from the
	// file. mem is read first: a checkpoint empties it only after the file has the records, so a
	// record that leaves mem after this look is in the file the transaction below sees.
	raw := make([][]byte, len(keys))
	fromFile := make([]bool, len(keys))
	s.readIndex(func() {
		for i, k := range keys {
			v, logged := s.mem[k]
			raw[i], fromFile[i] = v, !logged
		}
	})
	out := make([]memstore.Memory, 0, len(keys))
	decodeAll := func(b *bolt.Bucket) error {
		for i, k := range keys {
			v := raw[i]
			if fromFile[i] {
				v = b.Get(k[:])
			}
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
	}
	// A transaction even when every record is in mem: it is also how a closed store says so.
	err := s.db.View(func(tx *bolt.Tx) error { return decodeAll(tx.Bucket(bucketMemories)) })
	if err != nil {
		return nil, fmt.Errorf("read memories: %w", err)
	}
	return out, nil
}

// Search implements memstore.Store.
func (s *Store) Search(ctx context.Context, q memstore.VectorQuery) ([]memstore.Hit, error) {
	vec := memstore.Normalize(q.Vector)
	// A filter on text fields is checked on loaded records, so rank every candidate and load them
	// best first until enough pass.
	limit := q.Limit
	textFilter := q.Filter.Expr.NeedsText()
	if textFilter {
		limit = math.MaxInt32
	}
	if q.Text != "" {
		if err := s.ensureLex(q.Scope, q.Filter); err != nil {
			return nil, err
		}
	}
	var found []scored
	dim := 0
	s.readIndex(func() {
		if dim = s.identity.Dim; len(vec) == dim {
			found = s.idx.search(q.Scope, q.Filter, vec, q.Text, limit)
		}
	})
	if len(vec) != dim {
		if dim == 0 {
			return nil, nil // nothing stored yet, so nothing to find
		}
		return nil, s.dimMismatch("the query embedding", len(vec))
	}
	keys := make([][16]byte, len(found))
	scores := make(map[[16]byte]scored, len(found))
	for i, f := range found {
		keys[i] = f.e.id
		scores[f.e.id] = f
	}
	var expr *memstore.Expr
	if textFilter {
		expr = q.Filter.Expr
	}
	ms, err := s.loadMatching(ctx, keys, expr, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	hits := make([]memstore.Hit, len(ms))
	for i, m := range ms {
		k, _ := parseID(m.ID)
		hits[i] = memstore.Hit{Memory: m, Score: scores[k].score, Relevance: scores[k].relevance}
	}
	return hits, nil
}

// loadMatching loads records in the order of keys, keeping those expr accepts (all when nil),
// until limit are kept. It reads in chunks, so a selective filter does not load everything at once.
func (s *Store) loadMatching(ctx context.Context, keys [][16]byte, expr *memstore.Expr, limit int) ([]memstore.Memory, error) {
	if expr == nil {
		return s.load(ctx, keys[:min(len(keys), max(limit, 0))])
	}
	var out []memstore.Memory
	for start := 0; start < len(keys) && len(out) < limit; start += 256 {
		ms, err := s.load(ctx, keys[start:min(len(keys), start+256)])
		if err != nil {
			return nil, err
		}
		for i := range ms {
			if expr.Match(&ms[i]) && len(out) < limit {
				out = append(out, ms[i])
			}
		}
	}
	return out, nil
}

// List implements memstore.Store.
func (s *Store) List(ctx context.Context, q memstore.ListQuery) (memstore.Page, error) {
	if q.Filter.Expr.NeedsText() {
		// Filters on text fields need the records: load every candidate, then page.
		var keys [][16]byte
		s.readIndex(func() { keys, _ = s.idx.list(q.Scope, q.Filter, 0, math.MaxInt32) })
		all, err := s.loadMatching(ctx, keys, q.Filter.Expr, math.MaxInt32)
		if err != nil {
			return memstore.Page{}, fmt.Errorf("list: %w", err)
		}
		from := min(max(q.Offset, 0), len(all))
		return memstore.Page{Memories: all[from:min(len(all), from+max(q.Limit, 0))], Total: len(all)}, nil
	}
	var keys [][16]byte
	var total int
	s.readIndex(func() { keys, total = s.idx.list(q.Scope, q.Filter, q.Offset, q.Limit) })
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
	var keys [][16]byte
	s.readIndex(func() { keys = s.idx.matching(scope, f) })
	if f.Expr.NeedsText() {
		ms, err := s.loadMatching(ctx, keys, f.Expr, math.MaxInt32)
		if err != nil {
			return nil, fmt.Errorf("delete: %w", err)
		}
		keys = keys[:0]
		for _, m := range ms {
			k, _ := parseID(m.ID)
			keys = append(keys, k)
		}
	}
	return s.deleteKeys(ctx, keys)
}

// deleteKeys removes records; the caller holds writeMu.
func (s *Store) deleteKeys(ctx context.Context, keys [][16]byte) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.wal != nil {
		return s.deleteToLog(keys)
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
	s.withIndex(func() {
		for _, k := range deleted {
			s.idx.remove(k)
		}
	})
	return idStrings(deleted), nil
}

// deleteToLog removes records by writing their deletion to the write-ahead log. The caller holds
// writeMu, so mem cannot change meanwhile.
func (s *Store) deleteToLog(keys [][16]byte) ([]string, error) {
	var deleted []walEntry
	seen := make(map[[16]byte]bool, len(keys))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMemories)
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			v, logged := s.mem[k]
			if !logged {
				v = b.Get(k[:])
			}
			if v != nil {
				deleted = append(deleted, walEntry{id: k})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	if len(deleted) == 0 {
		return []string{}, nil
	}
	if err := s.wal.append(walDelete, deleted); err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	keys = keys[:0]
	s.withIndex(func() {
		for _, e := range deleted {
			s.mem[e.id] = nil
			s.idx.remove(e.id)
			keys = append(keys, e.id)
		}
	})
	s.maybeCheckpoint()
	return idStrings(keys), nil
}

func idStrings(keys [][16]byte) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = uuid.UUID(k).String()
	}
	return ids
}

var _ memstore.Scanner = (*Store)(nil)

// Scan implements memstore.Scanner.
func (s *Store) Scan(ctx context.Context, after string, limit int) ([]memstore.Memory, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var start []byte
	if after != "" {
		k, err := parseID(after)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		start = k[:]
	}
	// Scan walks the file in id order, so what the log holds goes there first.
	s.writeMu.Lock()
	err := s.checkpoint()
	s.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("scan memories: %w", err)
	}
	var out []memstore.Memory
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMemories).Cursor()
		k, v := c.First()
		if start != nil {
			if k, v = c.Seek(start); k != nil && bytes.Equal(k, start) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			m, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan memories: %w", err)
	}
	return out, nil
}

// Total implements memstore.Scanner.
func (s *Store) Total(ctx context.Context) (int, error) { return s.Count(), ctx.Err() }

// ensureLex builds the keyword index of the partitions a search reaches that were loaded at open
// and not searched by keyword since. It holds the index's write lock meanwhile, so no write can
// slip between reading the partition's rows and marking it built.
func (s *Store) ensureLex(scope memstore.Scope, f memstore.Filter) error {
	var pending []*part
	s.readIndex(func() { pending = lexPending(s.idx.parts(scope, f)) })
	if len(pending) == 0 {
		return nil
	}
	var err error
	s.withIndex(func() {
		err = s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketMemories)
			text := func(e *entry) (string, error) {
				v, logged := s.mem[e.id] // the index's write lock is held, so mem is stable
				if !logged {
					v = b.Get(e.id[:])
				}
				if v == nil {
					return "", fmt.Errorf("record %x is in the index but not in the file", e.id)
				}
				h, _, _, err := decodeHeader(v, nil)
				return h.text, err
			}
			for _, p := range lexPending(s.idx.parts(scope, f)) {
				if err := p.buildLex(text); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("build the keyword index: %w", err)
	}
	return nil
}
