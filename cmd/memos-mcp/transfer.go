package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// The export format: JSON lines. The first line is a header naming the format and the embedder
// the vectors come from; then one line per memory, in id order, with its embedding and history;
// the last line is a trailer with the count, so a file cut short is recognised.
//
//	{"format":"memos-mcp-export","version":1,"embedder":{"name":"builtin-v1","dim":512}}
//	{"memory":{"id":"…","user_id":"…",…,"history":[…]},"embedding":[0.01,…]}
//	{"end":{"memories":1}}
const (
	exportFormat  = "memos-mcp-export"
	exportVersion = 1
	// transferBatch is how many memories one read or write of a copy moves.
	transferBatch = 256
)

type exportHeader struct {
	Format   string                    `json:"format"`
	Version  int                       `json:"version"`
	Embedder memstore.EmbedderIdentity `json:"embedder"`
}

type exportRecord struct {
	Memory    *memstore.Memory `json:"memory,omitempty"`
	Embedding []float32        `json:"embedding,omitempty"`
	End       *exportEnd       `json:"end,omitempty"`
}

type exportEnd struct {
	Memories int `json:"memories"`
}

// runExport writes every memory of the configured store to cfg.ExportOut.
func runExport(ctx context.Context, cfg config, stdout, stderr io.Writer) (err error) {
	logger := newLogger(cfg, stderr)
	store, where, err := openStore(ctx, cfg, cfg.Store, memstore.AnyEmbedder)
	if err != nil {
		return err
	}
	defer store.Close()
	total, err := store.Total(ctx)
	if err != nil {
		return err
	}

	out, commit, err := createOutput(cfg.ExportOut, stdout)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := commit(err == nil); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(out, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exportHeader{Format: exportFormat, Version: exportVersion, Embedder: store.Identity()}); err != nil {
		return fmt.Errorf("write the export: %w", err)
	}
	bar := newProgressBar(stderr, "export")
	n, after := 0, ""
	for {
		batch, err := store.Scan(ctx, after, transferBatch)
		if err != nil {
			return fmt.Errorf("read memories after %d of %d: %w", n, total, err)
		}
		if len(batch) == 0 {
			break
		}
		for i := range batch {
			m := batch[i]
			vec := m.Embedding
			m.Embedding = nil
			if err := enc.Encode(exportRecord{Memory: &m, Embedding: vec}); err != nil {
				return fmt.Errorf("write the export: %w", err)
			}
		}
		n += len(batch)
		after = batch[len(batch)-1].ID
		bar.update(n, max(n, total))
	}
	bar.finish()
	if err := enc.Encode(exportRecord{End: &exportEnd{Memories: n}}); err != nil {
		return fmt.Errorf("write the export: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write the export: %w", err)
	}
	logger.Info().Int("memories", n).Str("from", where).Str("to", cfg.ExportOut).Str("embedder", store.Identity().String()).Msg("export complete")
	return nil
}

// createOutput opens where an export goes. A file is written under a temporary name and renamed
// when complete (commit(true)), so an interrupted export never leaves a file that looks whole.
func createOutput(path string, stdout io.Writer) (io.Writer, func(ok bool) error, error) {
	if path == "-" {
		return stdout, func(bool) error { return nil }, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, nil, fmt.Errorf("--out %s: %w", path, err)
	}
	return f, func(ok bool) error {
		if !ok {
			f.Close()
			os.Remove(f.Name())
			return nil
		}
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("--out %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("--out %s: %w", path, err)
		}
		if err := os.Rename(f.Name(), path); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("--out %s: %w", path, err)
		}
		return nil
	}, nil
}

// runImport loads an export into the configured store.
func runImport(ctx context.Context, cfg config, stdin io.Reader, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	if cfg.ImportIn == "" {
		return errors.New("--in is missing: name the export file to import (- reads standard input)")
	}
	in, total := stdin, 0
	if cfg.ImportIn != "-" {
		f, err := os.Open(cfg.ImportIn)
		if err != nil {
			return fmt.Errorf("--in: %w", err)
		}
		defer f.Close()
		if total, err = countLines(f); err != nil {
			return fmt.Errorf("--in %s: %w", cfg.ImportIn, err)
		}
		total = max(total-2, 0) // header and trailer
		in = f
	}
	r := newExportReader(in, cfg.ImportIn)
	header, err := r.header()
	if err != nil {
		return err
	}
	store, where, err := openStore(ctx, cfg, cfg.Store, header.Embedder)
	if err != nil {
		return fmt.Errorf("the export's memories were embedded with %s: %w", header.Embedder, err)
	}
	defer store.Close()
	bar := newProgressBar(stderr, "import")
	stats, err := copyMemories(ctx, store, r.next, func(done int) { bar.update(done, max(done, total)) })
	bar.finish()
	logger.Info().Int("written", stats.written).Int("already_there", stats.unchanged).Int("kept_newer", stats.keptNewer).
		Str("from", cfg.ImportIn).Str("to", where).Msg("import finished")
	if err != nil {
		return fmt.Errorf("%w (%d memories were written before it; fix the problem and run import again: what is already imported is skipped)",
			err, stats.written)
	}
	if !r.ended {
		return fmt.Errorf("--in %s ends after %d memories without its closing line: the export was cut short. "+
			"The memories it holds were imported; export again to get the rest", cfg.ImportIn, r.count)
	}
	if stats.keptNewer > 0 {
		logger.Warn().Int("kept_newer", stats.keptNewer).Msg("some memories were not overwritten because the store holds a newer version")
	}
	return nil
}

// countLines counts the lines of a file and rewinds it.
func countLines(f *os.File) (int, error) {
	n := 0
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	_, err := f.Seek(0, io.SeekStart)
	return n, err
}

// exportReader reads an export file, checking each line.
type exportReader struct {
	sc    *bufio.Scanner
	name  string
	line  int
	count int
	ended bool
	dim   int
}

func newExportReader(r io.Reader, name string) *exportReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20) // a memory with a long history and a 4096-d vector fits
	if name == "-" {
		name = "standard input"
	}
	return &exportReader{sc: sc, name: name}
}

func (r *exportReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%s line %d: %s", r.name, r.line, fmt.Sprintf(format, args...))
}

func (r *exportReader) scan() bool {
	r.line++
	return r.sc.Scan()
}

func (r *exportReader) header() (exportHeader, error) {
	var h exportHeader
	if !r.scan() {
		if err := r.sc.Err(); err != nil {
			return h, fmt.Errorf("read %s: %w", r.name, err)
		}
		return h, fmt.Errorf("%s is empty: give a file written by memos-mcp export", r.name)
	}
	if err := json.Unmarshal(r.sc.Bytes(), &h); err != nil || h.Format != exportFormat {
		return h, r.errorf("this is not a memos-mcp export (its first line should be {\"format\":%q,…})", exportFormat)
	}
	if h.Version != exportVersion {
		return h, r.errorf("export format version %d; this memos-mcp reads version %d: import it with the memos-mcp that wrote it, or a newer one", h.Version, exportVersion)
	}
	if h.Embedder.Name == "" || h.Embedder.Dim < 0 {
		return h, r.errorf("the header names no embedder")
	}
	r.dim = h.Embedder.Dim
	return h, nil
}

// next returns the next batch of memories; an empty batch at the end.
func (r *exportReader) next() ([]memstore.Memory, error) {
	var batch []memstore.Memory
	for len(batch) < transferBatch && !r.ended && r.scan() {
		line := r.sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec exportRecord
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return batch, r.errorf("%v", err)
		}
		switch {
		case rec.End != nil:
			if rec.End.Memories != r.count {
				return batch, r.errorf("the closing line counts %d memories, but the file holds %d: it is damaged", rec.End.Memories, r.count)
			}
			r.ended = true
		case rec.Memory == nil:
			return batch, r.errorf("a line has neither \"memory\" nor \"end\"")
		default:
			m := *rec.Memory
			if len(rec.Embedding) == 0 {
				return batch, r.errorf("memory %s has no \"embedding\"", m.ID)
			}
			if r.dim == 0 {
				r.dim = len(rec.Embedding)
			}
			if len(rec.Embedding) != r.dim {
				return batch, r.errorf("memory %s has a %d-dimensional embedding; the header says %d", m.ID, len(rec.Embedding), r.dim)
			}
			m.Embedding = rec.Embedding
			batch = append(batch, m)
			r.count++
		}
	}
	if err := r.sc.Err(); err != nil {
		return batch, fmt.Errorf("read %s: %w", r.name, err)
	}
	if r.ended && r.scan() && len(bytes.TrimSpace(r.sc.Bytes())) > 0 {
		return batch, r.errorf("there is more after the closing line")
	}
	return batch, nil
}

// copyStats counts what a copy did.
type copyStats struct {
	written   int // new or changed, written to the target
	unchanged int // already in the target, identical (a resumed copy)
	keptNewer int // in the target with a later updated_at, left as it is
	seen      int
}

// copyMemories writes the memories that next yields into target, in batches. What the target
// already holds identically is skipped, so an interrupted copy is resumed by running it again;
// what it holds in a newer version (a later updated_at) is kept, so a copy never loses an edit.
func copyMemories(ctx context.Context, target memstore.Store, next func() ([]memstore.Memory, error), progress func(done int)) (copyStats, error) {
	var st copyStats
	for {
		batch, err := next()
		if len(batch) > 0 {
			if werr := writeBatch(ctx, target, batch, &st); werr != nil {
				return st, werr
			}
			progress(st.seen)
		}
		if err != nil {
			return st, err
		}
		if len(batch) == 0 {
			return st, nil
		}
	}
}

func writeBatch(ctx context.Context, target memstore.Store, batch []memstore.Memory, st *copyStats) error {
	ids := make([]string, len(batch))
	for i, m := range batch {
		ids[i] = m.ID
	}
	existing, err := target.Get(ctx, ids)
	if err != nil {
		return fmt.Errorf("read the target: %w", err)
	}
	have := make(map[string]memstore.Memory, len(existing))
	for _, m := range existing {
		have[m.ID] = m
	}
	var write []memstore.Memory
	for _, m := range batch {
		st.seen++
		old, ok := have[m.ID]
		switch {
		case !ok:
			write = append(write, m)
		case old.UpdatedAt.After(m.UpdatedAt):
			st.keptNewer++
		case sameMemory(old, m):
			st.unchanged++
		default:
			write = append(write, m)
		}
	}
	if len(write) == 0 {
		return nil
	}
	if err := target.Put(ctx, write); err != nil {
		return fmt.Errorf("write memories %s…%s: %w", write[0].ID, write[len(write)-1].ID, err)
	}
	st.written += len(write)
	return nil
}

// sameMemory reports whether two versions of a memory are identical, embedding included (to the
// precision a store keeps: stores hold unit vectors).
func sameMemory(a, b memstore.Memory) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) || len(a.Embedding) != len(b.Embedding) {
		return false
	}
	return memstore.Cosine(a.Embedding, b.Embedding) > 1-1e-6
}

// runMigrate copies every memory from one backend to the other.
func runMigrate(ctx context.Context, cfg config, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	if cfg.MigrateFrom == "" || cfg.MigrateTo == "" {
		return errors.New("say which stores to copy between: memos-mcp migrate --from embedded --to qdrant (or --from qdrant --to embedded)")
	}
	if cfg.MigrateFrom == cfg.MigrateTo {
		return fmt.Errorf("--from and --to are both %s: migrate copies between the embedded store and Qdrant", cfg.MigrateFrom)
	}
	source, from, err := openStore(ctx, cfg, cfg.MigrateFrom, memstore.AnyEmbedder)
	if err != nil {
		return fmt.Errorf("--from %s: %w", cfg.MigrateFrom, err)
	}
	defer source.Close()
	total, err := source.Total(ctx)
	if err != nil {
		return fmt.Errorf("--from %s: %w", cfg.MigrateFrom, err)
	}
	identity := source.Identity()
	if total == 0 || identity.Name == memstore.AnyEmbedder.Name {
		logger.Info().Str("from", from).Msg("the source holds no memories; nothing to migrate")
		return nil
	}
	target, to, err := openStore(ctx, cfg, cfg.MigrateTo, identity)
	if err != nil {
		return fmt.Errorf("--to %s (the source's memories were embedded with %s): %w", cfg.MigrateTo, identity, err)
	}
	defer target.Close()
	logger.Info().Str("from", from).Str("to", to).Int("memories", total).Str("embedder", identity.String()).Msg("migrating")
	start := time.Now()
	after := ""
	bar := newProgressBar(stderr, "migrate")
	stats, err := copyMemories(ctx, target, func() ([]memstore.Memory, error) {
		batch, err := source.Scan(ctx, after, transferBatch)
		if len(batch) > 0 {
			after = batch[len(batch)-1].ID
		}
		return batch, err
	}, func(done int) { bar.update(done, max(done, total)) })
	bar.finish()
	logger.Info().Int("written", stats.written).Int("already_there", stats.unchanged).Int("kept_newer", stats.keptNewer).
		Dur("took", time.Since(start)).Msg("migration finished")
	if err != nil {
		return fmt.Errorf("migration stopped after %d of %d memories: %w; run the same command again to resume", stats.seen, total, err)
	}
	if n, err := target.Total(ctx); err == nil && n < total {
		return fmt.Errorf("the target holds %d memories, fewer than the %d copied: check it", n, total)
	}
	return nil
}
