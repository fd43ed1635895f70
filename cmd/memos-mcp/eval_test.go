package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/memos-mcp/memos-mcp/internal/eval"
)

// TestEvalAgainstBaseline is CI's quality gate: the evaluation set, replayed through the MCP tools
// with the built-in embedder, must score at least the recorded baseline, with no isolation
// violation. After an intended improvement, record the new figures:
//
//	go run ./cmd/memos-mcp eval --json | jq .total   # then update testdata/eval/baseline.json
func TestEvalAgainstBaseline(t *testing.T) {
	var usage bytes.Buffer
	cfg, err := parseConfig("eval", []string{"--dataset", "../../testdata/eval/dataset.json", "--log-level", "error"},
		func(string) string { return "" }, &usage)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := evaluate(context.Background(), cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := readBaseline("../../testdata/eval/baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Questions != base.Questions || rep.Total.Expecting != base.Expecting {
		t.Fatalf("the dataset changed (%d questions, %d expecting; baseline %d, %d): record a new baseline", rep.Total.Questions, rep.Total.Expecting, base.Questions, base.Expecting)
	}
	if problems := regressions(rep.Total, base); len(problems) > 0 {
		t.Fatalf("quality regressed: %v\nfailures: %v", problems, rep.Failures)
	}
	if rep.Total.IsolationViolations != 0 {
		t.Fatalf("%d isolation violations", rep.Total.IsolationViolations)
	}
	t.Logf("R@1 %.3f R@5 %.3f MRR %.3f stale %d dups %.3f", rep.Total.RecallAt1, rep.Total.RecallAt5, rep.Total.MRR, rep.Total.Stale, rep.Total.DuplicateRate)
}

func TestRegressionsAreDetected(t *testing.T) {
	base := evalScores(0.7, 0.9, 0.8, 0, 0.01, 0)
	for _, tt := range []struct {
		got  scoresT
		want int
	}{
		{evalScores(0.7, 0.9, 0.8, 0, 0.01, 0), 0},
		{evalScores(0.71, 0.95, 0.81, 0, 0.0, 0), 0},
		{evalScores(0.69, 0.9, 0.8, 0, 0.01, 0), 1},
		{evalScores(0.7, 0.9, 0.8, 1, 0.02, 0), 2},
		{evalScores(0.7, 0.9, 0.8, 0, 0.01, 3), 1},
	} {
		if got := regressions(tt.got, base); len(got) != tt.want {
			t.Errorf("regressions(%+v) = %v, want %d", tt.got, got, tt.want)
		}
	}
}

type scoresT = eval.Scores

func evalScores(r1, r5, mrr float64, stale int, dups float64, isolation int) scoresT {
	return scoresT{RecallAt1: r1, RecallAt5: r5, MRR: mrr, Stale: stale, DuplicateRate: dups, IsolationViolations: isolation}
}
