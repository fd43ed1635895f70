package embedded_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
)

// history applies a mixed sequence of writes to s and returns the memories that must remain, by
// id, and the ids that must be gone.
func history(t *testing.T, s *embedded.Store, round int) (map[string]memstore.Memory, []string) {
	t.Helper()
	ctx := context.Background()
	want := map[string]memstore.Memory{}
	var all []string
	for i := range 24 {
		batch := []memstore.Memory{memory(t, fmt.Sprint("u", i%3), t0.Add(time.Duration(round*100+i)*time.Second))}
		if i%4 == 0 { // some Puts carry several memories
			batch = append(batch, memory(t, "u0", t0.Add(time.Duration(round*100+i)*time.Second+time.Millisecond)))
		}
		if err := s.Put(ctx, batch); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		for _, m := range batch {
			want[m.ID] = m
			all = append(all, m.ID)
		}
	}
	// Deletes of old and of just-written memories, one of an id already gone, one never written.
	gone := []string{all[0], all[5], all[len(all)-1], all[len(all)-2]}
	deleted, err := s.Delete(ctx, append(append([]string{}, gone...), all[0], "00000000-0000-7000-8000-000000000000"))
	if err != nil || len(deleted) != len(gone) {
		t.Fatalf("delete: %v %v, want %d deleted", deleted, err, len(gone))
	}
	for _, id := range gone {
		delete(want, id)
	}
	// Updates: the same id written again with new content.
	for _, id := range []string{all[1], all[10], all[len(all)-3]} {
		m := want[id]
		m.Content = "updated " + m.Content
		if err := s.Put(ctx, []memstore.Memory{m}); err != nil {
			t.Fatalf("update %s: %v", id, err)
		}
		want[id] = m
	}
	return want, gone
}

// checkHolds fails unless s holds exactly want (by id and content) and none of gone.
func checkHolds(t *testing.T, s *embedded.Store, want map[string]memstore.Memory, gone []string) {
	t.Helper()
	ctx := context.Background()
	if got := s.Count(); got != len(want) {
		t.Errorf("Count() = %d, want %d", got, len(want))
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	got, err := s.Get(ctx, append(ids, gone...))
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(got) != len(want) {
		t.Errorf("Get returned %d memories, want %d", len(got), len(want))
	}
	for _, m := range got {
		w, ok := want[m.ID]
		if !ok {
			t.Errorf("memory %s is back after being deleted", m.ID)
			continue
		}
		if m.Content != w.Content || m.UserID != w.UserID || !m.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("memory %s = %q of %s, want %q of %s", m.ID, m.Content, m.UserID, w.Content, w.UserID)
		}
	}
	page, err := s.List(ctx, memstore.ListQuery{Scope: memstore.Scope{UserID: "u0"}, Limit: 1000})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	wantU0 := 0
	for _, m := range want {
		if m.UserID == "u0" {
			wantU0++
		}
	}
	if page.Total != wantU0 || len(page.Memories) != wantU0 {
		t.Errorf("list u0: %d memories, total %d; want %d", len(page.Memories), page.Total, wantU0)
	}
}

// TestLogSurvivesACrash: acknowledged writes kept only in the write-ahead log are all there after
// the process dies, whatever the checkpoint size, and deletions stay deleted.
func TestLogSurvivesACrash(t *testing.T) {
	cases := []struct {
		name       string
		checkpoint int
		wantLog    bool // some writes must be only in the log when the crash comes
	}{
		{"default checkpoint", 0, true},
		{"checkpoint after every write", 1, false},
		{"checkpoint every few writes", 6000, true},
		{"no log", -1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := embedded.Options{CheckpointBytes: tc.checkpoint}
			s, err := embedded.Open(dir, identity, opts)
			if err != nil {
				t.Fatal(err)
			}
			want, gone := history(t, s, 0)
			checkHolds(t, s, want, gone)
			if inLog := embedded.LogBytes(s) > 0; inLog != tc.wantLog {
				t.Fatalf("log holds %d bytes at the crash; want some: %v", embedded.LogBytes(s), tc.wantLog)
			}
			if err := embedded.Crash(s); err != nil {
				t.Fatal(err)
			}

			// Second life: replayed, then more writes, another crash.
			s = mustOpen(t, dir, opts)
			checkHolds(t, s, want, gone)
			more, moreGone := history(t, s, 1)
			for id, m := range more {
				want[id] = m
			}
			gone = append(gone, moreGone...)
			if err := embedded.Crash(s); err != nil {
				t.Fatal(err)
			}

			// Third life: both histories, and after a clean close, the same again.
			s = mustOpen(t, dir, opts)
			checkHolds(t, s, want, gone)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if keys, _ := rawRecords(t, dir); len(keys) != len(want) {
				t.Errorf("after a clean close the file holds %d records, want %d (the log was not checkpointed)", len(keys), len(want))
			}
			checkHolds(t, mustOpen(t, dir, opts), want, gone)
		})
	}
}

// TestLogIgnoresUnfinishedFrames: a frame the crash cut short, or whose bytes are damaged, was
// never acknowledged; replay stops before it and the store opens.
func TestLogIgnoresUnfinishedFrames(t *testing.T) {
	id := [16]byte{1, 2, 3}
	frame := embedded.EncodeFrame(true, [][16]byte{id}, [][]byte{[]byte("not a record: applying it would fail the open")})
	damaged := bytes.Clone(frame)
	damaged[len(damaged)-3] ^= 0xff
	cases := map[string][]byte{
		"cut short":        frame[:len(frame)-5],
		"header only":      frame[:8],
		"damaged":          damaged,
		"damaged then one": append(bytes.Clone(damaged), frame...),
	}
	for name, tail := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, embedded.Options{})
			want, gone := history(t, s, 0)
			end := embedded.LogBytes(s)
			if err := embedded.Crash(s); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(filepath.Join(dir, embedded.WALFileName), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(tail, end); err != nil {
				t.Fatal(err)
			}
			f.Close()
			checkHolds(t, mustOpen(t, dir, embedded.Options{}), want, gone)
		})
	}
}

// TestLogDoesNotReplayAnEarlierLife: after a checkpoint empties the log, what the log held before
// must never be applied again (it would bring back a memory deleted since).
func TestLogDoesNotReplayAnEarlierLife(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := embedded.Open(dir, identity, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := make([]memstore.Memory, 40)
	for i := range first {
		first[i] = memory(t, "u", t0.Add(time.Duration(i)*time.Second))
		if err := s.Put(ctx, first[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	embedded.Crash(s)
	s, err = embedded.Open(dir, identity, embedded.Options{CheckpointBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, []string{first[3].ID, first[30].ID}); err != nil { // checkpointed at once
		t.Fatal(err)
	}
	embedded.Crash(s)
	s, err = embedded.Open(dir, identity, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	last := memory(t, "u", t0.Add(time.Hour))
	if err := s.Put(ctx, []memstore.Memory{last}); err != nil { // one short frame at the log's start
		t.Fatal(err)
	}
	embedded.Crash(s)
	want := map[string]memstore.Memory{last.ID: last}
	for i, m := range first {
		if i != 3 && i != 30 {
			want[m.ID] = m
		}
	}
	checkHolds(t, mustOpen(t, dir, embedded.Options{}), want, []string{first[3].ID, first[30].ID})
}

// TestReindexTakesTheLog: writes still in the log when the server stopped are reindexed too.
func TestReindexTakesTheLog(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, embedded.Options{})
	want, gone := history(t, s, 0)
	if embedded.LogBytes(s) == 0 {
		t.Fatal("nothing in the log: the test would not test the log")
	}
	embedded.Crash(s)
	target := memstore.EmbedderIdentity{Name: "other-embedder", Dim: 4}
	embed := func(_ context.Context, texts []string) ([][]float32, error) {
		out := make([][]float32, len(texts))
		for i := range texts {
			out[i] = []float32{1, float32(i), 0, 0.5}
		}
		return out, nil
	}
	n, err := embedded.Reindex(context.Background(), dir, target, embed, memstore.EmbedText, nil, embedded.Options{})
	if err != nil || n != len(want) {
		t.Fatalf("Reindex = %d, %v; want %d memories", n, err, len(want))
	}
	r, err := embedded.Open(dir, target, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkHolds(t, r, want, gone)
}

// FuzzDecodeFrames: replay never panics on any log bytes, and what it decodes re-encodes to
// exactly the bytes it consumed.
func FuzzDecodeFrames(f *testing.F) {
	a := embedded.EncodeFrame(true, [][16]byte{{1}, {2}}, [][]byte{[]byte("record one"), {}})
	b := embedded.EncodeFrame(false, [][16]byte{{3}}, nil)
	f.Add(append(bytes.Clone(a), b...))
	f.Add(a[:len(a)-1])
	f.Add(append(bytes.Clone(b), 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		puts, ids, records, n := embedded.DecodeFrames(data)
		if n < 0 || n > len(data) {
			t.Fatalf("consumed %d of %d bytes", n, len(data))
		}
		var again []byte
		for i := range puts {
			again = append(again, embedded.EncodeFrame(puts[i], ids[i], records[i])...)
		}
		if !bytes.Equal(again, data[:n]) {
			t.Fatalf("re-encoding the %d decoded frames gives % x, want % x", len(puts), again, data[:n])
		}
	})
}

// TestCheckpointLeavesNoOldFrames: frames written after a checkpoint must not run on into the
// frames the checkpoint moved (same-sized frames line up with them exactly): an update written
// after the checkpoint would be undone by its older version.
func TestCheckpointLeavesNoOldFrames(t *testing.T) {
	ctx := context.Background()
	put := func(s *embedded.Store, m memstore.Memory) {
		if err := s.Put(ctx, []memstore.Memory{m}); err != nil {
			t.Fatal(err)
		}
	}
	// The size of one frame, to set the checkpoint at the eighth.
	probe := mustOpen(t, t.TempDir(), embedded.Options{})
	put(probe, memory(t, "u", t0))
	before := embedded.LogBytes(probe)
	put(probe, memory(t, "u", t0))
	frame := embedded.LogBytes(probe) - before
	if before == 0 || frame == 0 {
		t.Fatalf("log sizes %d, %d: the writes did not go through the log", before, frame)
	}

	dir := t.TempDir()
	s, err := embedded.Open(dir, identity, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	put(s, memory(t, "u", t0)) // the first write of a store fixes its dimension, in the file
	embedded.Crash(s)
	s, err = embedded.Open(dir, identity, embedded.Options{CheckpointBytes: int(8*frame) - 10})
	if err != nil {
		t.Fatal(err)
	}
	var a []memstore.Memory
	for i := range 8 {
		a = append(a, memory(t, "u", t0.Add(time.Duration(i)*time.Second)))
		put(s, a[i])
	}
	if got := embedded.LogBytes(s); got != 0 {
		t.Fatalf("log holds %d bytes after the eighth write, want 0 (checkpointed)", got)
	}
	updated := a[2]
	updated.Content = strings.ToUpper(updated.Content) // same size, so the same frame size
	put(s, updated)
	put(s, memory(t, "u", t0.Add(time.Hour)))
	embedded.Crash(s)
	s = mustOpen(t, dir, embedded.Options{})
	got, err := s.Get(ctx, []string{updated.ID})
	if err != nil || len(got) != 1 {
		t.Fatalf("get the updated memory: %v %v", got, err)
	}
	if got[0].Content != updated.Content || s.Count() != 10 {
		t.Fatalf("after the crash: content %q, %d memories; want %q and 10", got[0].Content, s.Count(), updated.Content)
	}
}

// TestLogTakesABatchLargerThanItsFile: one Put bigger than the log's zero-filled size grows the
// file, survives a crash, and the log goes back to work after it.
func TestLogTakesABatchLargerThanItsFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := embedded.Open(dir, identity, embedded.Options{CheckpointBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	first := memory(t, "u", t0)
	if err := s.Put(ctx, []memstore.Memory{first}); err != nil { // fixes the dimension, in the file
		t.Fatal(err)
	}
	want := map[string]memstore.Memory{first.ID: first}
	var batch []memstore.Memory
	for i := range 70 {
		m := memory(t, "u", t0.Add(time.Duration(i+1)*time.Second))
		m.Content = fmt.Sprintf("%d %s", i, strings.Repeat("long memory ", 10_000)) // ~120 KB
		batch = append(batch, m)
		want[m.ID] = m
	}
	if err := s.Put(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if got := embedded.LogBytes(s); got < 8<<20 {
		t.Fatalf("log holds %d bytes; the test needs a frame beyond the zero-filled 5 MiB", got)
	}
	embedded.Crash(s)
	s = mustOpen(t, dir, embedded.Options{})
	checkHolds(t, s, want, nil)
	last := memory(t, "u", t0.Add(time.Hour))
	if err := s.Put(ctx, []memstore.Memory{last}); err != nil {
		t.Fatal(err)
	}
	want[last.ID] = last
	embedded.Crash(s)
	checkHolds(t, mustOpen(t, dir, embedded.Options{}), want, nil)
}
