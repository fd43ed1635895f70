// Package eval replays the quality evaluation set (testdata/eval) through the MCP tools of a
// running memos-mcp and scores the answers: recall@1, recall@5, MRR, stale results, duplicate
// results and isolation violations.
package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Dataset is the evaluation set (format: testdata/eval/README.md).
type Dataset struct {
	Name  string `json:"name"`
	Users []User `json:"users"`
}

// User is one user's steps and questions.
type User struct {
	UserID    string     `json:"user_id"`
	Lang      string     `json:"lang"`
	Steps     []Step     `json:"steps"`
	Questions []Question `json:"questions"`
}

// Step is an add, a feedback or a delete.
type Step struct {
	ID       string         `json:"id"`
	Add      map[string]any `json:"add,omitempty"`
	Feedback map[string]any `json:"feedback,omitempty"`
	Delete   []string       `json:"delete,omitempty"`
}

// Question asks search_memory and names the steps whose memories are right (expect) or must not
// appear (forbid).
type Question struct {
	ID       string         `json:"id"`
	Query    string         `json:"query"`
	Category string         `json:"category"`
	Expect   []string       `json:"expect"`
	Forbid   []string       `json:"forbid"`
	Filter   map[string]any `json:"filter,omitempty"`
}

// Load reads a dataset file.
func Load(path string) (Dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Dataset{}, err
	}
	var ds Dataset
	if err := json.Unmarshal(b, &ds); err != nil {
		return Dataset{}, fmt.Errorf("%s: %w", path, err)
	}
	return ds, nil
}

// Scores are the figures of a run (or of one category).
type Scores struct {
	Questions int     `json:"questions"`
	Expecting int     `json:"expecting"` // questions with an expected answer
	RecallAt1 float64 `json:"recall_at_1"`
	RecallAt5 float64 `json:"recall_at_5"`
	MRR       float64 `json:"mrr"`
	// Stale counts questions where a forbidden memory (deleted, expired, superseded, filtered out)
	// appeared in the top 10.
	Stale int `json:"stale"`
	// DuplicateRate is the share of top-5 results that repeat an earlier result of the same list.
	DuplicateRate float64 `json:"duplicate_rate"`
	// IsolationViolations counts results belonging to another user. It must be 0.
	IsolationViolations int `json:"isolation_violations"`
}

// Report is the outcome of a run.
type Report struct {
	Dataset    string            `json:"dataset"`
	Total      Scores            `json:"total"`
	Categories map[string]Scores `json:"categories"`
	Failures   []string          `json:"failures,omitempty"` // questions answered wrongly, for reading
}

// tally accumulates scores.
type tally struct {
	s                Scores
	hit1, hit5, rr   float64
	dupResults, topN int
}

func (t *tally) scores() Scores {
	s := t.s
	if s.Expecting > 0 {
		s.RecallAt1, s.RecallAt5, s.MRR = round(t.hit1/float64(s.Expecting)), round(t.hit5/float64(s.Expecting)), round(t.rr/float64(s.Expecting))
	}
	if t.topN > 0 {
		s.DuplicateRate = round(float64(t.dupResults) / float64(t.topN))
	}
	return s
}

func round(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// Run replays ds through c (an initialised MCP client). Users' steps run first, in order; then,
// once every memory with a ttl has expired, every question is asked.
func Run(ctx context.Context, c *client.Client, ds Dataset, progress io.Writer) (Report, error) {
	owner := map[string]string{} // memory id → step id
	var expiry time.Time
	for _, u := range ds.Users {
		for _, st := range u.Steps {
			ids, exp, err := runStep(ctx, c, u.UserID, st, owner)
			if err != nil {
				return Report{}, fmt.Errorf("user %s, step %s: %w", u.UserID, st.ID, err)
			}
			for _, id := range ids {
				owner[id] = st.ID
			}
			if exp.After(expiry) {
				expiry = exp
			}
		}
		if progress != nil {
			fmt.Fprintf(progress, "loaded %s (%d steps)\n", u.UserID, len(u.Steps))
		}
	}
	if wait := time.Until(expiry); wait > 0 {
		select {
		case <-time.After(wait + 100*time.Millisecond):
		case <-ctx.Done():
			return Report{}, ctx.Err()
		}
	}
	total := &tally{}
	cats := map[string]*tally{}
	var failures []string
	for _, u := range ds.Users {
		for _, q := range u.Questions {
			results, err := search(ctx, c, u.UserID, q)
			if err != nil {
				return Report{}, fmt.Errorf("question %s: %w", q.ID, err)
			}
			cat := cats[q.Category]
			if cat == nil {
				cat = &tally{}
				cats[q.Category] = cat
			}
			ok := score(results, u.UserID, q, owner, []*tally{total, cat})
			if !ok {
				failures = append(failures, fmt.Sprintf("%s [%s] %q", q.ID, q.Category, q.Query))
			}
		}
	}
	rep := Report{Dataset: ds.Name, Total: total.scores(), Categories: map[string]Scores{}, Failures: failures}
	for name, t := range cats {
		rep.Categories[name] = t.scores()
	}
	return rep, nil
}

// runStep performs a step and returns the ids of the memories it created and when they expire.
func runStep(ctx context.Context, c *client.Client, userID string, st Step, owner map[string]string) ([]string, time.Time, error) {
	switch {
	case st.Add != nil:
		args := clone(st.Add)
		args["user_id"] = userID
		var expires time.Time
		if ttl, ok := args["ttl"].(string); ok {
			d, err := memstore.ParseTTL("ttl", ttl)
			if err != nil {
				return nil, time.Time{}, err
			}
			expires = time.Now().Add(d)
		}
		var res memstore.AddResult
		if err := call(ctx, c, "add_message", args, &res); err != nil {
			return nil, time.Time{}, err
		}
		var ids []string
		for _, m := range res.Memories {
			ids = append(ids, m.ID)
		}
		for _, d := range res.Duplicates { // a repeat is answered by the memory it repeats
			ids = append(ids, d.ExistingID)
		}
		return ids, expires, nil
	case st.Feedback != nil:
		args := clone(st.Feedback)
		args["user_id"] = userID
		var res memstore.FeedbackResult
		if err := call(ctx, c, "add_feedback", args, &res); err != nil {
			return nil, time.Time{}, err
		}
		var ids []string
		for _, m := range res.Added {
			ids = append(ids, m.ID)
		}
		for _, u := range res.Updated {
			ids = append(ids, u.ID)
		}
		return ids, time.Time{}, nil
	case st.Delete != nil:
		var victims []string
		for id, step := range owner {
			if slices.Contains(st.Delete, step) {
				victims = append(victims, id)
			}
		}
		if len(victims) == 0 {
			return nil, time.Time{}, nil
		}
		sort.Strings(victims)
		var res memstore.DeleteResult
		return nil, time.Time{}, call(ctx, c, "delete_memory", map[string]any{"memory_ids": victims}, &res)
	}
	return nil, time.Time{}, fmt.Errorf("a step needs add, feedback or delete")
}

// result is one search result.
type result struct {
	id, userID, text string
	pref             bool
	relevance        float64
}

func search(ctx context.Context, c *client.Client, userID string, q Question) ([]result, error) {
	args := map[string]any{"user_id": userID, "query": q.Query, "top_k": 10, "pref_top_k": 6}
	if q.Filter != nil {
		args["filter"] = q.Filter
	}
	var res memstore.SearchResult
	if err := call(ctx, c, "search_memory", args, &res); err != nil {
		return nil, err
	}
	var out []result
	for _, h := range res.Memories {
		out = append(out, result{id: h.ID, userID: h.UserID, text: h.Content, relevance: h.Relevance})
	}
	for _, h := range res.Preferences {
		out = append(out, result{id: h.ID, userID: h.UserID, text: h.Preference, pref: true, relevance: h.Relevance})
	}
	// Facts and preferences are ranked apart; their relevance puts them on one scale.
	sort.SliceStable(out, func(i, j int) bool { return out[i].relevance > out[j].relevance })
	return out, nil
}

// score adds one question's outcome to the tallies and reports whether it was answered right.
func score(results []result, userID string, q Question, owner map[string]string, tallies []*tally) bool {
	rank := 0
	stale := false
	isolation, dups, top := 0, 0, 0
	for i, r := range results {
		if r.userID != userID {
			isolation++
		}
		step := owner[r.id]
		if rank == 0 && slices.Contains(q.Expect, step) {
			rank = i + 1
		}
		// A correction or contradiction supersedes a preference; what was said stays a fact.
		if i < 10 && slices.Contains(q.Forbid, step) && (r.pref || (q.Category != "correction" && q.Category != "contradiction")) {
			stale = true
		}
		if i < 5 {
			top++
			for _, earlier := range results[:i] {
				if sameText(earlier.text, r.text) {
					dups++
					break
				}
			}
		}
	}
	for _, t := range tallies {
		t.s.Questions++
		t.s.IsolationViolations += isolation
		t.dupResults += dups
		t.topN += top
		if stale {
			t.s.Stale++
		}
		if len(q.Expect) > 0 {
			t.s.Expecting++
			if rank == 1 {
				t.hit1++
			}
			if rank >= 1 && rank <= 5 {
				t.hit5++
			}
			if rank > 0 {
				t.rr += 1 / float64(rank)
			}
		}
	}
	return !stale && isolation == 0 && (len(q.Expect) == 0 || (rank >= 1 && rank <= 5))
}

// sameText reports whether two results say the same thing: equal after folding case and spaces, or
// nearly so (character-bigram Dice ≥ 0.9).
func sameText(a, b string) bool {
	na, nb := strings.Join(strings.Fields(strings.ToLower(a)), " "), strings.Join(strings.Fields(strings.ToLower(b)), " ")
	if na == nb {
		return true
	}
	ba, bb := bigrams(na), bigrams(nb)
	if len(ba) == 0 || len(bb) == 0 {
		return false
	}
	inter := 0
	for g := range ba {
		if bb[g] {
			inter++
		}
	}
	return 2*float64(inter)/float64(len(ba)+len(bb)) >= 0.9
}

func bigrams(s string) map[[2]rune]bool {
	r := []rune(s)
	m := make(map[[2]rune]bool, len(r))
	for i := 0; i+1 < len(r); i++ {
		m[[2]rune{r[i], r[i+1]}] = true
	}
	return m
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// call invokes a tool and decodes its structured result; a tool error is an error.
func call(ctx context.Context, c *client.Client, tool string, args map[string]any, out any) error {
	var req mcp.CallToolRequest
	req.Params.Name = tool
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: %w", tool, err)
	}
	if res.IsError {
		var text strings.Builder
		for _, ct := range res.Content {
			if tc, ok := mcp.AsTextContent(ct); ok {
				text.WriteString(tc.Text)
			}
		}
		return fmt.Errorf("%s: %s", tool, text.String())
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// Print writes a report as a table.
func Print(w io.Writer, r Report) {
	fmt.Fprintf(w, "%s\n\n%-16s %5s %7s %7s %7s %6s %6s %9s\n", r.Dataset, "category", "n", "R@1", "R@5", "MRR", "stale", "dups", "isolation")
	names := make([]string, 0, len(r.Categories))
	for n := range r.Categories {
		names = append(names, n)
	}
	sort.Strings(names)
	row := func(name string, s Scores) {
		if s.Expecting == 0 { // only forbidden or isolation checks: no recall to report
			fmt.Fprintf(w, "%-16s %5d %7s %7s %7s %6d %6.3f %9d\n", name, s.Questions, "-", "-", "-", s.Stale, s.DuplicateRate, s.IsolationViolations)
			return
		}
		fmt.Fprintf(w, "%-16s %5d %7.3f %7.3f %7.3f %6d %6.3f %9d\n", name, s.Questions, s.RecallAt1, s.RecallAt5, s.MRR, s.Stale, s.DuplicateRate, s.IsolationViolations)
	}
	for _, n := range names {
		row(n, r.Categories[n])
	}
	row("TOTAL", r.Total)
}
