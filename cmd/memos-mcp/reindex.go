package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
)

// reindex re-embeds every memory with the configured embedder.
func reindex(ctx context.Context, cfg config, stderr io.Writer) error {
	if cfg.Store != "embedded" {
		return errors.New("reindex works on the embedded store. For Qdrant: memos-mcp migrate --from qdrant --to embedded, " +
			"reindex, then migrate --from embedded --to qdrant with a new --qdrant-collection")
	}
	logger := newLogger(cfg, stderr)
	embedder, _, err := models(ctx, cfg, logger)
	if err != nil {
		return err
	}
	target := embedder.Identity()
	if target.Dim == 0 {
		return fmt.Errorf("the embedder %s did not answer, so nothing was changed; make sure Ollama is running and has the model", target.Name)
	}
	bar := newProgressBar(stderr, "reindex")
	start := time.Now()
	n, err := embedded.Reindex(ctx, cfg.DataDir, target, embedder.Embed, memstore.EmbedText, bar.update, embedded.Options{})
	bar.finish()
	if err != nil {
		return err
	}
	logger.Info().Int("memories", n).Str("embedder", target.String()).Dur("took", time.Since(start)).Msg("reindex complete")
	return nil
}

// progressBar draws a bar on a terminal and stays silent otherwise (logs carry the result).
type progressBar struct {
	w     io.Writer
	label string
	tty   bool
	start time.Time
	last  time.Time
}

func newProgressBar(w io.Writer, label string) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, label: label, tty: tty, start: time.Now()}
}

func (p *progressBar) update(done, total int) {
	if !p.tty || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width
	pct := 100.0
	if total > 0 {
		filled = done * width / total
		pct = float64(done) * 100 / float64(total)
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %5.1f%% %d/%d %s", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		pct, done, total, time.Since(p.start).Round(time.Second))
}

func (p *progressBar) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
