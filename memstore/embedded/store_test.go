package embedded_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
	"github.com/memos-mcp/memos-mcp/memstore/storetest"
)

var identity = memstore.EmbedderIdentity{Name: "embedded-test", Dim: 8}

func openStore(dir string, id memstore.EmbedderIdentity) (memstore.Store, error) {
	s, err := embedded.Open(dir, id, embedded.Options{})
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return s, nil
}

func TestConformance(t *testing.T) {
	storetest.RunFactory(t, storetest.Factory{
		Open: func(t *testing.T, dir string, id memstore.EmbedderIdentity) (memstore.Store, error) {
			t.Helper()
			return openStore(dir, id)
		},
		Reopenable: true,
	})
}

// TestConformanceRun runs the suite through Run, the entry point for backends that cannot reopen.
func TestConformanceRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, id memstore.EmbedderIdentity) memstore.Store {
		t.Helper()
		s, err := openStore(t.TempDir(), id)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	})
}

// mustOpen opens the store in dir and closes it when the test ends.
func mustOpen(t *testing.T, dir string, opts embedded.Options) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(dir, identity, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func memory(t *testing.T, user string, created time.Time) memstore.Memory {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	vec := make([]float32, identity.Dim)
	vec[int(created.Unix())%identity.Dim] = 2
	return memstore.Memory{
		ID: id.String(), UserID: user, CubeID: "cube", Kind: memstore.KindFact, MemoryType: memstore.LongTermMemory,
		Content: "text of " + id.String(), Status: memstore.StatusActivated, CreatedAt: created, UpdatedAt: created,
		Embedding: vec,
	}
}

var t0 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func TestPath(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, embedded.Options{})
	if got, want := s.Path(), filepath.Join(dir, embedded.FileName); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	if !strings.HasSuffix(s.Path(), "memos.db") {
		t.Errorf("Path() = %q, want it to end with memos.db", s.Path())
	}
}

func TestOpenCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	s := mustOpen(t, dir, embedded.Options{})
	if s.Count() != 0 {
		t.Errorf("new store: Count() = %d, want 0", s.Count())
	}
}

func TestOpenIncompleteIdentity(t *testing.T) {
	for _, id := range []memstore.EmbedderIdentity{{Name: "", Dim: 8}, {Name: "x", Dim: -1}} {
		if s, err := embedded.Open(t.TempDir(), id, embedded.Options{}); err == nil {
			s.Close()
			t.Errorf("Open with identity %+v: no error", id)
		}
	}
}

// TestDimensionLearnedFromFirstVector: an embedder that does not know its dimension yet (an Ollama
// model before the server answered) opens the store with dimension 0; the first stored vector fixes
// the dimension, which is recorded and enforced from then on.
func TestDimensionLearnedFromFirstVector(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	unknown := memstore.EmbedderIdentity{Name: "lazy", Dim: 0}
	s, err := embedded.Open(dir, unknown, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if hits, err := s.Search(ctx, memstore.VectorQuery{Scope: memstore.Scope{UserID: "u1"}, Vector: make([]float32, 5), Limit: 3}); err != nil || len(hits) != 0 {
		t.Fatalf("search of an empty store with unknown dimension: %v %v", hits, err)
	}
	m := memory(t, "u1", t0) // memory() makes vectors of the suite's dimension
	if err := s.Put(ctx, []memstore.Memory{m}); err != nil {
		t.Fatal(err)
	}
	dim := len(m.Embedding)
	if got := s.Identity(); got.Dim != dim {
		t.Fatalf("identity after the first put: %v, want dimension %d", got, dim)
	}
	wrong := memory(t, "u1", t0.Add(time.Second))
	wrong.Embedding = append(wrong.Embedding, 1)
	if err := s.Put(ctx, []memstore.Memory{wrong}); !errors.Is(err, memstore.ErrEmbedderMismatch) || !strings.Contains(err.Error(), "reindex") {
		t.Fatalf("put of another dimension: %v", err)
	}
	if _, err := s.Search(ctx, memstore.VectorQuery{Scope: memstore.Scope{UserID: "u1"}, Vector: make([]float32, dim+1), Limit: 3}); !errors.Is(err, memstore.ErrEmbedderMismatch) {
		t.Fatalf("search of another dimension: %v", err)
	}
	s.Close()
	// Reopened with the dimension still unknown, the store supplies it; with a conflicting one, it refuses.
	s, err = embedded.Open(dir, unknown, embedded.Options{})
	if err != nil || s.Identity().Dim != dim || s.Count() != 1 {
		t.Fatalf("reopen: %v %v", s, err)
	}
	s.Close()
	if _, err := embedded.Open(dir, memstore.EmbedderIdentity{Name: "lazy", Dim: dim + 1}, embedded.Options{}); !errors.Is(err, memstore.ErrEmbedderMismatch) {
		t.Fatalf("reopen with another dimension: %v", err)
	}
}

func TestCount(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpen(t, dir, embedded.Options{})
	var ms []memstore.Memory
	for i := range 5 {
		ms = append(ms, memory(t, []string{"u1", "u2"}[i%2], t0.Add(time.Duration(i)*time.Second)))
	}
	steps := []struct {
		name string
		do   func() error
		want int
	}{
		{"put five", func() error { return s.Put(ctx, ms) }, 5},
		{"put one again", func() error { return s.Put(ctx, ms[:1]) }, 5},
		{"put a changed one", func() error {
			m := ms[1]
			m.Content, m.UserID = "changed", "u3"
			return s.Put(ctx, []memstore.Memory{m})
		}, 5},
		{"failed put", func() error {
			bad := memory(t, "u1", t0)
			bad.Embedding = bad.Embedding[:3]
			if err := s.Put(ctx, []memstore.Memory{memory(t, "u1", t0), bad}); err == nil {
				return errors.New("Put with a short embedding succeeded")
			}
			return nil
		}, 5},
		{"delete two and an unknown id", func() error {
			_, err := s.Delete(ctx, []string{ms[0].ID, ms[2].ID, uuid.NewString()})
			return err
		}, 3},
		{"delete where", func() error {
			_, err := s.DeleteWhere(ctx, memstore.Scope{UserID: "u2"}, memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired})
			return err
		}, 2},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := s.Count(); got != step.want {
			t.Errorf("after %s: Count() = %d, want %d", step.name, got, step.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, embedded.Options{})
	if got := s.Count(); got != 2 {
		t.Errorf("after reopening: Count() = %d, want 2", got)
	}
}

func TestOpenWhileOpen(t *testing.T) {
	dir := t.TempDir()
	first := mustOpen(t, dir, embedded.Options{})
	m := memory(t, "u1", t0)
	if err := first.Put(t.Context(), []memstore.Memory{m}); err != nil {
		t.Fatal(err)
	}
	const timeout = 200 * time.Millisecond
	start := time.Now()
	second, err := embedded.Open(dir, identity, embedded.Options{LockTimeout: timeout})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("a second Open of an open store succeeded")
	}
	if elapsed > timeout+2*time.Second {
		t.Errorf("the second Open took %v to fail, the lock timeout is %v", elapsed, timeout)
	}
	for _, want := range []string{"--data-dir", filepath.Join(dir, embedded.FileName)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// The first store is unharmed, and once it is closed the directory opens again.
	if got, err := first.Get(t.Context(), []string{m.ID}); err != nil || len(got) != 1 {
		t.Errorf("first store after the failed second Open: Get = %d memories, %v", len(got), err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third := mustOpen(t, dir, embedded.Options{LockTimeout: timeout})
	if third.Count() != 1 {
		t.Errorf("reopened store: Count() = %d, want 1", third.Count())
	}
}

// rawRecords returns every key and value in the memories bucket of the (closed) store in dir.
func rawRecords(t *testing.T, dir string) (keys, values [][]byte) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("memories")).ForEach(func(k, v []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			values = append(values, append([]byte(nil), v...))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, values
}

// putRaw writes value under key in the memories bucket of the (closed) store in dir.
func putRaw(t *testing.T, dir string, key, value []byte) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("memories")).Put(key, value) })
	if err != nil {
		t.Fatal(err)
	}
}

// craftRecord builds a record by the documented layout, with a vector of dim dimensions, of which
// it writes only the first n.
func craftRecord(dim uint64, n int) []byte {
	b := []byte{1}
	b = binary.AppendVarint(b, t0.UnixNano())
	b = binary.AppendVarint(b, 0)
	b = append(b, 0, 0)
	for _, s := range []string{"u1", "cube", ""} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, dim)
	for range n {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(0.5))
	}
	return append(b, `{"id":"x"}`...)
}

func TestOpenCorruptRecord(t *testing.T) {
	key := uuid.New()
	cases := []struct {
		name  string
		key   []byte
		value func(valid []byte) []byte
		want  string // in the error, besides the file's path
	}{
		{"garbage", key[:], func([]byte) []byte { return []byte("this is not a record at all") }, "corrupt"},
		{"empty value", key[:], func([]byte) []byte { return []byte{} }, "corrupt"},
		{"unknown format", key[:], func(v []byte) []byte { return append([]byte{9}, v[1:]...) }, "corrupt"},
		{"truncated header", key[:], func(v []byte) []byte { return v[:12] }, "corrupt"},
		{"truncated vector", key[:], func([]byte) []byte { return craftRecord(8, 5)[:40] }, "corrupt"},
		{"unknown kind", key[:], func(v []byte) []byte {
			b := craftRecord(8, 8)
			b[1+binary.PutVarint(make([]byte, 10), t0.UnixNano())+1] = 7
			return b
		}, "corrupt"},
		{"short key", key[:15], func(v []byte) []byte { return v }, "corrupt"},
		{"vector of another dimension", key[:], func([]byte) []byte { return craftRecord(4, 4) }, "dimension"},
		{"huge dimension (2^62, wraps to 0 bytes)", key[:], func([]byte) []byte { return craftRecord(1<<62, 0) }, "corrupt"},
		{"huge dimension (2^62+1, wraps to 4 bytes)", key[:], func([]byte) []byte { return craftRecord(1<<62+1, 1) }, "corrupt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, embedded.Options{})
			good := memory(t, "u1", t0)
			if err := s.Put(t.Context(), []memstore.Memory{good}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			_, values := rawRecords(t, dir)
			if len(values) != 1 {
				t.Fatalf("the store holds %d records, want 1", len(values))
			}
			putRaw(t, dir, tc.key, tc.value(values[0]))

			s, err, panicked := openRecovering(dir)
			if panicked != nil {
				t.Fatalf("Open of a store with a corrupt record panicked: %v", panicked)
			}
			if err == nil {
				s.Close()
				t.Fatal("Open of a store with a corrupt record succeeded")
			}
			for _, want := range []string{tc.want, filepath.Join(dir, embedded.FileName)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open error %q does not mention %q", err, want)
				}
			}
			// The failed Open released the file: bbolt can lock it again.
			rawRecords(t, dir)
		})
	}
}

func openRecovering(dir string) (s *embedded.Store, err error, panicked any) {
	defer func() { panicked = recover() }()
	s, err = embedded.Open(dir, identity, embedded.Options{LockTimeout: 200 * time.Millisecond})
	return s, err, nil
}

// TestReopenedStoreSearchesAlike: after a restart the vectors are loaded in bulk and the keyword
// index is built on the first keyword search; searches must rank exactly as before the restart,
// and writes made before that first search must be found by it.
func TestReopenedStoreSearchesAlike(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, embedded.Options{})
	texts := []string{"green tea in the morning", "black coffee after lunch", "tea with milk", "hiking in the alps",
		"jasmine tea from fujian", "coffee beans from kenya", "piano lessons on monday", "tea ceremony in kyoto"}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []memstore.Memory
	for i, text := range texts {
		user := []string{"alice", "bob"}[i%2]
		vec := make([]float32, identity.Dim)
		vec[i%identity.Dim], vec[(i+3)%identity.Dim] = 1, 0.5
		all = append(all, memstore.Memory{ID: uuid.NewString(), UserID: user, CubeID: user, Kind: memstore.KindFact,
			MemoryType: memstore.LongTermMemory, Content: text, Status: memstore.StatusActivated,
			CreatedAt: base.Add(time.Duration(i) * time.Minute), UpdatedAt: base, Embedding: vec})
	}
	if err := s.Put(t.Context(), all); err != nil {
		t.Fatal(err)
	}
	query := func(s *embedded.Store, user string) []string {
		t.Helper()
		vec := make([]float32, identity.Dim)
		vec[0] = 1
		hits, err := s.Search(t.Context(), memstore.VectorQuery{Scope: memstore.Scope{UserID: user}, Filter: memstore.Filter{Now: base},
			Vector: vec, Text: "tea", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, fmt.Sprintf("%s %.4f %.4f", h.Memory.Content, h.Score, h.Relevance))
		}
		return out
	}
	before := map[string][]string{"alice": query(s, "alice"), "bob": query(s, "bob")}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, dir, embedded.Options{})
	// A write and a delete before the first keyword search of the reopened store.
	extra := all[0]
	extra.ID, extra.Content, extra.CreatedAt = uuid.NewString(), "oolong tea, strong", base.Add(time.Hour)
	if err := s.Put(t.Context(), []memstore.Memory{extra}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(t.Context(), []string{extra.ID}); err != nil {
		t.Fatal(err)
	}
	if got := query(s, "bob"); !slices.Equal(got, before["bob"]) {
		t.Fatalf("bob after reopening:\n%v\nwant\n%v", got, before["bob"])
	}
	if got := query(s, "alice"); !slices.Equal(got, before["alice"]) {
		t.Fatalf("alice after reopening:\n%v\nwant\n%v", got, before["alice"])
	}
	// Writes after the keyword index is built are found by keyword.
	extra.ID = uuid.NewString()
	if err := s.Put(t.Context(), []memstore.Memory{extra}); err != nil {
		t.Fatal(err)
	}
	if got := query(s, "alice"); len(got) != len(before["alice"])+1 || !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "oolong") }) {
		t.Fatalf("alice after a new tea memory: %v", got)
	}
}

// TestGroupCommit: Puts arriving together are committed together, yet each keeps its own outcome:
// on a store whose dimension is not known yet, the first vector fixes it and concurrent Puts of
// another dimension fail alone, writing nothing.
func TestGroupCommit(t *testing.T) {
	s := mustOpenWith(t, t.TempDir(), memstore.EmbedderIdentity{Name: "embedded-test"})
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dim := 8
			if i%2 == 1 {
				dim = 4
			}
			vec := make([]float32, dim)
			vec[i%dim] = 1
			m := memstore.Memory{ID: uuid.NewString(), UserID: fmt.Sprintf("u%d", i%5), CubeID: "c", Kind: memstore.KindFact,
				MemoryType: memstore.LongTermMemory, Content: fmt.Sprintf("memory %d", i), Status: memstore.StatusActivated,
				CreatedAt: time.Now(), UpdatedAt: time.Now(), Embedding: vec}
			errs[i] = s.Put(t.Context(), []memstore.Memory{m})
		}()
	}
	wg.Wait()
	dim := s.Identity().Dim
	ok := 0
	for i, err := range errs {
		wantDim := 8
		if i%2 == 1 {
			wantDim = 4
		}
		switch {
		case wantDim == dim && err != nil:
			t.Errorf("put %d (%d dimensions, the store's): %v", i, wantDim, err)
		case wantDim != dim && !errors.Is(err, memstore.ErrEmbedderMismatch):
			t.Errorf("put %d (%d dimensions, not the store's %d): %v, want ErrEmbedderMismatch", i, wantDim, dim, err)
		case err == nil:
			ok++
		}
	}
	if ok != 32 || s.Count() != 32 {
		t.Fatalf("%d puts succeeded and the store holds %d memories, want 32 and 32", ok, s.Count())
	}
}

func mustOpenWith(t *testing.T, dir string, id memstore.EmbedderIdentity) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(dir, id, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
