package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/internal/eval"
	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
	"github.com/memos-mcp/memos-mcp/tools"
)

// runEval replays the evaluation set through the MCP tools of a server built like `serve` would
// build it (same embedder and LLM flags), on a fresh temporary store: the user's memories are not
// touched. It prints the scores, and fails when they fall below a baseline.
func runEval(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	rep, err := evaluate(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	if cfg.EvalJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		eval.Print(stdout, rep)
	}
	if cfg.EvalBaseline == "" {
		return nil
	}
	base, err := readBaseline(cfg.EvalBaseline)
	if err != nil {
		return err
	}
	if problems := regressions(rep.Total, base); len(problems) > 0 {
		return fmt.Errorf("quality fell below the baseline in %s: %v", cfg.EvalBaseline, problems)
	}
	fmt.Fprintf(stderr, "no regression against %s\n", cfg.EvalBaseline)
	return nil
}

// evaluate runs the evaluation and returns its report.
func evaluate(ctx context.Context, cfg config, stderr io.Writer) (eval.Report, error) {
	ds, err := eval.Load(cfg.EvalDataset)
	if err != nil {
		return eval.Report{}, fmt.Errorf("--dataset: %w", err)
	}
	logger := newLogger(cfg, stderr)
	embedder, llm, err := models(ctx, cfg, logger)
	if err != nil {
		return eval.Report{}, err
	}
	dir, err := os.MkdirTemp("", "memos-eval-")
	if err != nil {
		return eval.Report{}, err
	}
	defer os.RemoveAll(dir)
	store, err := embedded.Open(dir, embedder.Identity(), embedded.Options{})
	if err != nil {
		return eval.Report{}, err
	}
	defer store.Close()
	core, err := memstore.New(memstore.Config{Store: store, Messages: store, Tasks: store, Embedder: embedder,
		Rules: builtin.Rules{}, LLM: llm, Log: logger, ConflictSimilarity: cfg.ConflictSimilarity})
	if err != nil {
		return eval.Report{}, err
	}
	c, err := client.NewInProcessClient(tools.NewServer(core, tools.Options{Version: version, Log: logger}))
	if err != nil {
		return eval.Report{}, err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return eval.Report{}, err
	}
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "memos-mcp eval", Version: version}
	if _, err := c.Initialize(ctx, init); err != nil {
		return eval.Report{}, err
	}
	return eval.Run(ctx, c, ds, nil)
}

func readBaseline(path string) (eval.Scores, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return eval.Scores{}, fmt.Errorf("--baseline: %w", err)
	}
	var s eval.Scores
	if err := json.Unmarshal(b, &s); err != nil {
		return eval.Scores{}, fmt.Errorf("--baseline %s: %w", path, err)
	}
	return s, nil
}

// regressions lists the figures of got that are worse than base (isolation must always be 0).
func regressions(got, base eval.Scores) []string {
	const slack = 0.0005
	var out []string
	check := func(name string, g, b float64, higherIsBetter bool) {
		if higherIsBetter && g < b-slack || !higherIsBetter && g > b+slack {
			out = append(out, fmt.Sprintf("%s %.3f (baseline %.3f)", name, g, b))
		}
	}
	check("recall@1", got.RecallAt1, base.RecallAt1, true)
	check("recall@5", got.RecallAt5, base.RecallAt5, true)
	check("MRR", got.MRR, base.MRR, true)
	check("duplicate rate", got.DuplicateRate, base.DuplicateRate, false)
	check("stale results", float64(got.Stale), float64(base.Stale), false)
	if got.IsolationViolations > 0 {
		out = append(out, fmt.Sprintf("%d isolation violations", got.IsolationViolations))
	}
	return out
}
