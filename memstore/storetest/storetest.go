// Package storetest is the conformance suite every memstore.Store backend must pass. A backend runs
// it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunFactory(t, storetest.Factory{
//			Open: func(t *testing.T, dir string, id memstore.EmbedderIdentity) (memstore.Store, error) {
//				s, err := embedded.Open(dir, id, embedded.Options{})
//				if err != nil {
//					return nil, err
//				}
//				return s, nil
//			},
//			Reopenable: true,
//		})
//	}
//
// A backend whose stores cannot be closed and opened again (an in-memory fake, say) uses Run, which
// takes a simpler open function and leaves out the persistence and embedder-guard tests.
//
// The suite checks the backend against the contract written on memstore.Store and against
// memstore.Filter.Match: whatever a backend evaluates natively must agree with Match.
package storetest

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Dim is the dimension of the vectors the suite stores.
const Dim = 8

// Identity is the embedder identity the suite opens stores with.
var Identity = memstore.EmbedderIdentity{Name: "storetest-hand-made", Dim: Dim}

// scoreTolerance is how far a returned score may be from the exact cosine similarity.
const scoreTolerance = 1e-5

// Factory opens stores of one backend for the suite.
type Factory struct {
	// Open opens the store at loc (creating it if needed) for an embedder. The suite closes every
	// store it opens; Open must not arrange to close it itself. When Open fails it returns a nil
	// store and the error.
	Open func(t *testing.T, loc string, id memstore.EmbedderIdentity) (memstore.Store, error)
	// NewLocation returns an unused location (a directory, a collection name, ...) for one store.
	// Nil means t.TempDir().
	NewLocation func(t *testing.T) string
	// Reopenable declares that a store closed and opened again at the same location keeps its
	// memories and remembers its embedder identity. Only then are the Persistence and EmbedderGuard
	// tests run.
	Reopenable bool
}

// Run runs the suite against a backend that cannot be reopened: open returns a new, empty store
// for the identity each time it is called. The suite closes the stores.
func Run(t *testing.T, open func(t *testing.T, identity memstore.EmbedderIdentity) memstore.Store) {
	t.Helper()
	if open == nil {
		t.Fatal("storetest.Run: open is nil")
	}
	RunFactory(t, Factory{
		Open: func(t *testing.T, _ string, id memstore.EmbedderIdentity) (memstore.Store, error) {
			t.Helper()
			return open(t, id), nil
		},
		NewLocation: func(*testing.T) string { return "" },
	})
}

// RunFactory runs the suite against the stores f opens.
func RunFactory(t *testing.T, f Factory) {
	t.Helper()
	if f.Open == nil {
		t.Fatal("storetest.RunFactory: Factory.Open is nil")
	}
	if f.NewLocation == nil {
		f.NewLocation = func(t *testing.T) string {
			t.Helper()
			return t.TempDir()
		}
	}
	s := &suite{f: f}
	type namedTest struct {
		name string
		run  func(t *testing.T)
	}
	tests := []namedTest{
		{"RoundTrip", s.testRoundTrip},
		{"Upsert", s.testUpsert},
		{"Get", s.testGet},
		{"ListPaging", s.testListPaging},
		{"ListExtremeCreatedAt", s.testListExtremeCreatedAt},
		{"Filters", s.testFilters},
		{"FilterExpressions", s.testFilterExpressions},
		{"ExpiryBounds", s.testExpiryBounds},
		{"ScopeIsolation", s.testScopeIsolation},
		{"Search", s.testSearch},
		{"HybridText", s.testHybridText},
		{"Delete", s.testDelete},
		{"PutValidation", s.testPutValidation},
		{"Concurrency", s.testConcurrency},
		{"UseAfterClose", s.testUseAfterClose},
		{"IdentityPerLocation", s.testIdentityPerLocation},
		{"Messages", s.testMessages},
		{"Tasks", s.testTasks},
		{"Scan", s.testScan},
	}
	if f.Reopenable {
		tests = append(tests, namedTest{"Persistence", s.testPersistence}, namedTest{"EmbedderGuard", s.testEmbedderGuard})
	} else {
		t.Log("storetest: the factory is not reopenable, so Persistence and EmbedderGuard are not run")
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

type suite struct {
	f Factory
}

// closeOnce lets a test close a store itself while the cleanup still closes every store it opened.
type closeOnce struct {
	memstore.Store
	once sync.Once
	err  error
}

func (c *closeOnce) Close() error {
	c.once.Do(func() { c.err = c.Store.Close() })
	return c.err
}

// open opens a new, empty store with the suite's identity.
func (s *suite) open(t *testing.T) memstore.Store {
	t.Helper()
	return s.openAt(t, s.f.NewLocation(t), Identity)
}

// openAt opens the store at loc, failing the test if it cannot.
func (s *suite) openAt(t *testing.T, loc string, id memstore.EmbedderIdentity) memstore.Store {
	t.Helper()
	st, err := s.tryOpen(t, loc, id)
	if err != nil {
		t.Fatalf("open store at %q for %s: %v", loc, id, err)
	}
	return st
}

// tryOpen opens the store at loc; a store it returns is closed when the test ends.
func (s *suite) tryOpen(t *testing.T, loc string, id memstore.EmbedderIdentity) (memstore.Store, error) {
	t.Helper()
	st, err := s.f.Open(t, loc, id)
	if err != nil {
		return nil, err
	}
	if st == nil {
		t.Fatalf("Factory.Open(%q, %s) returned neither a store nor an error", loc, id)
	}
	c := &closeOnce{Store: st}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close store at %q: %v", loc, err)
		}
	})
	return c, nil
}

// ---------------------------------------------------------------------------------------------
// Test data.

// base is the creation time most test memories are built around.
var base = time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC)

// gen makes deterministic ids (UUIDv4 and UUIDv7, whose random bits come from a seeded source),
// vectors and memories.
type gen struct {
	src *rand.ChaCha8
	rng *rand.Rand
	n   int
}

func newGen(seed uint64) *gen {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	src := rand.NewChaCha8(s)
	return &gen{src: src, rng: rand.New(src)}
}

func (g *gen) id() string {
	g.n++
	var u uuid.UUID
	var err error
	if g.n%2 == 0 {
		u, err = uuid.NewV7FromReader(g.src)
	} else {
		u, err = uuid.NewRandomFromReader(g.src)
	}
	if err != nil {
		panic(fmt.Sprintf("storetest: make a uuid: %v", err))
	}
	return u.String()
}

// vec returns a random vector that is far from zero and not unit length (the store normalises).
func (g *gen) vec() []float32 {
	v := make([]float32, Dim)
	for {
		var sum float64
		for i := range v {
			v[i] = float32(g.rng.Float64()*4 - 2)
			sum += float64(v[i]) * float64(v[i])
		}
		if sum > 0.5 {
			return v
		}
	}
}

// memory returns an activated memory with a random vector.
func (g *gen) memory(user, cube string, kind memstore.Kind, created time.Time) memstore.Memory {
	id := g.id()
	m := memstore.Memory{
		ID: id, UserID: user, CubeID: cube, Kind: kind, MemoryType: memstore.LongTermMemory,
		Content: "memory " + id[:8], Confidence: 0.5, Status: memstore.StatusActivated,
		CreatedAt: created, UpdatedAt: created, Embedding: g.vec(),
	}
	if kind == memstore.KindPreference {
		m.MemoryType = memstore.PreferenceMemory
		m.PreferenceType = memstore.ExplicitPreference
		m.Preference = "prefers " + id[:8]
	}
	return m
}

// unit returns the i-th basis vector.
func unit(i int) []float32 {
	v := make([]float32, Dim)
	v[i] = 1
	return v
}

// vecOf returns the vector with these leading components, zero-padded to Dim.
func vecOf(xs ...float32) []float32 {
	v := make([]float32, Dim)
	copy(v, xs)
	return v
}

func scale(v []float32, k float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * k
	}
	return out
}

func ptr(t time.Time) *time.Time { return &t }

// ---------------------------------------------------------------------------------------------
// The model: what a store must hold after a sequence of calls.

type model map[string]memstore.Memory

func newModel(ms ...memstore.Memory) model {
	m := model{}
	m.put(ms...)
	return m
}

func (m model) put(ms ...memstore.Memory) {
	for _, x := range ms {
		m[strings.ToLower(x.ID)] = x.Clone()
	}
}

func (m model) delete(ids ...string) {
	for _, id := range ids {
		delete(m, strings.ToLower(id))
	}
}

func (m model) ids() []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// users returns the users the model holds memories of, sorted.
func (m model) users() []string {
	var out []string
	for _, x := range m {
		if !slices.Contains(out, x.UserID) {
			out = append(out, x.UserID)
		}
	}
	slices.Sort(out)
	return out
}

// cubes returns the cubes the user has memories in, sorted.
func (m model) cubes(user string) []string {
	var out []string
	for _, x := range m {
		if x.UserID == user && !slices.Contains(out, x.CubeID) {
			out = append(out, x.CubeID)
		}
	}
	slices.Sort(out)
	return out
}

// expect returns the memories a query with this scope and filter selects, newest first.
func (m model) expect(scope memstore.Scope, f memstore.Filter) []memstore.Memory {
	var out []memstore.Memory
	for _, x := range m {
		if inScope(scope, &x) && f.Match(&x) {
			out = append(out, x)
		}
	}
	sortNewestFirst(out)
	return out
}

func inScope(s memstore.Scope, m *memstore.Memory) bool {
	return m.UserID == s.UserID && s.HasCube(m.CubeID)
}

// sortNewestFirst sorts by created_at desc, then id desc (canonical UUID text order is byte order).
func sortNewestFirst(ms []memstore.Memory) {
	slices.SortFunc(ms, func(a, b memstore.Memory) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(b.ID), strings.ToLower(a.ID))
	})
}

func ids(ms []memstore.Memory) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func hitIDs(hs []memstore.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Memory.ID
	}
	return out
}

// sameSet reports whether a and b hold the same ids, each once.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func describe(scope memstore.Scope, f memstore.Filter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "user=%q", scope.UserID)
	if len(scope.CubeIDs) > 0 {
		fmt.Fprintf(&b, " cubes=%q", scope.CubeIDs)
	}
	if f.Kind != "" {
		fmt.Fprintf(&b, " kind=%s", f.Kind)
	}
	if f.AnyStatus {
		b.WriteString(" any-status")
	} else if len(f.Statuses) > 0 {
		fmt.Fprintf(&b, " statuses=%v", f.Statuses)
	}
	if f.ConversationID != "" {
		fmt.Fprintf(&b, " conv=%q", f.ConversationID)
	}
	switch f.Expiry {
	case memstore.IncludeExpired:
		b.WriteString(" include-expired")
	case memstore.OnlyExpired:
		b.WriteString(" only-expired")
	}
	if f.Expr != nil {
		fmt.Fprintf(&b, " expr=%s", formatExpr(f.Expr))
	}
	return b.String()
}

// formatExpr writes a filter expression for error messages.
func formatExpr(e *memstore.Expr) string {
	switch {
	case e == nil:
		return "nil"
	case e.Cond != nil:
		v := e.Cond.Value
		if tm, ok := v.(time.Time); ok {
			v = tm.Format(time.RFC3339Nano)
		}
		return fmt.Sprintf("%s %s %q", e.Cond.Field, e.Cond.Op, fmt.Sprint(v))
	}
	op, list := " and ", e.And
	if len(e.Or) > 0 {
		op, list = " or ", e.Or
	}
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = formatExpr(c)
	}
	return "(" + strings.Join(parts, op) + ")"
}

// mustParseFilter parses a MemOS filter written as JSON.
func mustParseFilter(t *testing.T, js string) *memstore.Expr {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(js), &raw); err != nil {
		t.Fatalf("test filter %s is not JSON: %v", js, err)
	}
	e, err := memstore.ParseFilter("filter", raw)
	if err != nil {
		t.Fatalf("ParseFilter(%s): %v", js, err)
	}
	if e == nil {
		t.Fatalf("ParseFilter(%s) = nil, want a condition", js)
	}
	return e
}

// jsonFilter writes a filter given as Go values as JSON.
func jsonFilter(raw map[string]any) string {
	b, err := json.Marshal(raw)
	if err != nil {
		panic(fmt.Sprintf("storetest: encode filter %v: %v", raw, err))
	}
	return string(b)
}

// ---------------------------------------------------------------------------------------------
// Comparing memories.

var timeType = reflect.TypeFor[time.Time]()

// equalValue compares two values of the same type: times with time.Equal, nil and empty slices
// and maps as equal, everything else exactly.
func equalValue(a, b reflect.Value) bool {
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !equalValue(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		v = v.Elem()
	}
	return fmt.Sprintf("%+v", v.Interface())
}

// diffMemory lists the fields in which got differs from want. The embedding is compared by
// direction, since the store may normalise it.
func diffMemory(got, want memstore.Memory) []string {
	var diffs []string
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	typ := gv.Type()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if name == "Embedding" {
			continue
		}
		if !equalValue(gv.Field(i), wv.Field(i)) {
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", name, show(gv.Field(i)), show(wv.Field(i))))
		}
	}
	switch {
	case len(got.Embedding) != len(want.Embedding):
		diffs = append(diffs, fmt.Sprintf("Embedding: got %d dimensions, want %d", len(got.Embedding), len(want.Embedding)))
	case math.Abs(memstore.Cosine(got.Embedding, want.Embedding)-1) > scoreTolerance:
		diffs = append(diffs, fmt.Sprintf("Embedding: got %v, want the direction of %v", got.Embedding, want.Embedding))
	}
	return diffs
}

func checkMemory(t *testing.T, where string, got, want memstore.Memory) {
	t.Helper()
	if d := diffMemory(got, want); len(d) > 0 {
		t.Errorf("%s: memory %s differs from what was put:\n\t%s", where, want.ID, strings.Join(d, "\n\t"))
	}
}

// ---------------------------------------------------------------------------------------------
// Calling the store.

func mustPut(t *testing.T, st memstore.Store, ms ...memstore.Memory) {
	t.Helper()
	if err := st.Put(t.Context(), ms); err != nil {
		t.Fatalf("Put(%d memories): %v", len(ms), err)
	}
}

func mustGet(t *testing.T, st memstore.Store, ids ...string) []memstore.Memory {
	t.Helper()
	ms, err := st.Get(t.Context(), ids)
	if err != nil {
		t.Fatalf("Get(%q): %v", ids, err)
	}
	return ms
}

func mustList(t *testing.T, st memstore.Store, q memstore.ListQuery) memstore.Page {
	t.Helper()
	p, err := st.List(t.Context(), q)
	if err != nil {
		t.Fatalf("List(%s, offset %d, limit %d): %v", describe(q.Scope, q.Filter), q.Offset, q.Limit, err)
	}
	return p
}

func mustSearch(t *testing.T, st memstore.Store, q memstore.VectorQuery) []memstore.Hit {
	t.Helper()
	hs, err := st.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%s, limit %d): %v", describe(q.Scope, q.Filter), q.Limit, err)
	}
	return hs
}

// checkList lists everything the query selects in one page and compares it, in order and content,
// with the model.
func checkList(t *testing.T, st memstore.Store, scope memstore.Scope, f memstore.Filter, m model) {
	t.Helper()
	want := m.expect(scope, f)
	page := mustList(t, st, memstore.ListQuery{Scope: scope, Filter: f, Limit: 1000})
	what := "List(" + describe(scope, f) + ")"
	if page.Total != len(want) {
		t.Errorf("%s: Total = %d, want %d", what, page.Total, len(want))
	}
	if !slices.Equal(ids(page.Memories), ids(want)) {
		t.Errorf("%s: got ids (newest first)\n\t%v\nwant\n\t%v", what, ids(page.Memories), ids(want))
		return
	}
	for i := range want {
		checkMemory(t, what, page.Memories[i], want[i])
	}
}

// checkSearch runs q and checks the hits against the model: at most Limit, as many as can be,
// each inside the query, no duplicates, scores equal to the cosine similarity and descending, and
// no matching memory left out that is more similar than the last hit.
func checkSearch(t *testing.T, st memstore.Store, q memstore.VectorQuery, m model) []memstore.Hit {
	t.Helper()
	hits := mustSearch(t, st, q)
	what := fmt.Sprintf("Search(%s, limit %d)", describe(q.Scope, q.Filter), q.Limit)
	cands := m.expect(q.Scope, q.Filter)
	if want := min(max(q.Limit, 0), len(cands)); len(hits) != want {
		t.Errorf("%s: %d hits, want %d (of %d matching memories)", what, len(hits), want, len(cands))
	}
	seen := map[string]bool{}
	for i, h := range hits {
		id := strings.ToLower(h.Memory.ID)
		want, ok := m[id]
		switch {
		case !ok:
			t.Errorf("%s: hit %d is %s, which the store should not hold", what, i, h.Memory.ID)
			continue
		case !inScope(q.Scope, &want) || !q.Filter.Match(&want):
			t.Errorf("%s: hit %d is %s (user %q, cube %q, kind %s, status %s, conv %q, expires %v), outside the query",
				what, i, id, want.UserID, want.CubeID, want.Kind, want.Status, want.ConversationID, want.ExpiresAt)
		case seen[id]:
			t.Errorf("%s: %s is returned twice", what, id)
		}
		seen[id] = true
		if cos := memstore.Cosine(q.Vector, want.Embedding); math.Abs(h.Score-cos) > scoreTolerance {
			t.Errorf("%s: hit %s scores %.7f, its cosine similarity is %.7f", what, id, h.Score, cos)
		}
		if i > 0 && h.Score > hits[i-1].Score {
			t.Errorf("%s: hits not by descending score: %.7f at %d after %.7f", what, h.Score, i, hits[i-1].Score)
		}
		if q.Text == "" && math.Abs(h.Relevance-h.Score) > scoreTolerance {
			t.Errorf("%s: hit %s has relevance %.7f, want its score %.7f (a query without text ranks by cosine)", what, id, h.Relevance, h.Score)
		}
		checkMemory(t, what, h.Memory, want)
	}
	if len(hits) > 0 {
		last := hits[len(hits)-1].Score
		for _, c := range cands {
			if seen[strings.ToLower(c.ID)] {
				continue
			}
			if cos := memstore.Cosine(q.Vector, c.Embedding); cos > last+scoreTolerance {
				t.Errorf("%s: %s (similarity %.7f) left out, but the last hit scores %.7f", what, c.ID, cos, last)
			}
		}
	}
	return hits
}

// checkModel compares the whole store with the model: Get of every id, and List and Search for
// every user (plus extra users) in every cube, for both kinds and a spread of filters.
func checkModel(t *testing.T, st memstore.Store, m model, now time.Time, extraUsers ...string) {
	t.Helper()
	want := m.ids()
	got := mustGet(t, st, want...)
	if !slices.Equal(ids(got), want) {
		t.Errorf("Get(every id the store should hold): got\n\t%v\nwant\n\t%v", ids(got), want)
	} else {
		for i := range got {
			checkMemory(t, "Get", got[i], m[want[i]])
		}
	}
	users := m.users()
	for _, u := range extraUsers {
		if !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	filters := []memstore.Filter{
		{Now: now},
		{AnyStatus: true, Expiry: memstore.IncludeExpired},
		{Kind: memstore.KindFact, AnyStatus: true, Expiry: memstore.IncludeExpired},
		{Kind: memstore.KindPreference, Now: now},
	}
	for _, u := range users {
		scopes := []memstore.Scope{{UserID: u}}
		for _, c := range m.cubes(u) {
			scopes = append(scopes, memstore.Scope{UserID: u, CubeIDs: []string{c}})
		}
		for _, sc := range scopes {
			for _, f := range filters {
				checkList(t, st, sc, f, m)
				checkSearch(t, st, memstore.VectorQuery{Scope: sc, Filter: f, Vector: unit(0), Limit: 1000}, m)
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------
// The tests.

func (s *suite) testRoundTrip(t *testing.T) {
	g := newGen(1)
	shanghai := time.FixedZone("UTC+8", 8*3600)
	newYork := time.FixedZone("UTC-5", -5*3600)
	created := time.Date(2025, 3, 2, 18, 4, 5, 123456789, shanghai)
	cases := []struct {
		name string
		m    memstore.Memory
	}{
		{"fact with every field", memstore.Memory{
			ID: g.id(), UserID: "user-rt", CubeID: "cube-rt", ConversationID: "conv-42",
			Kind: memstore.KindFact, MemoryType: memstore.UserMemory,
			Content: "The user met Alice at the Berlin conference on 2 March 2025.", Key: "Berlin conference",
			Tags: []string{"travel", "work", "conference"},
			Info: map[string]string{"city": "Berlin", "source": "chat", "empty": ""},
			Sources: []memstore.Source{
				{Type: "chat", Role: "user", Content: "I met Alice in Berlin", ChatTime: time.Date(2025, 3, 2, 10, 0, 0, 1, time.UTC)},
				{Type: "chat", Role: "assistant", Content: "How was it?", ChatTime: created.Add(time.Second)},
				{Type: "feedback", Role: "user", Content: "It was Alice, not Bob.", ChatTime: time.Date(2025, 3, 3, 9, 0, 0, 0, newYork)},
			},
			Background: "Talking about a business trip.", Confidence: 0.875, Status: memstore.StatusActivated,
			CreatedAt: created, UpdatedAt: created.Add(90 * time.Minute),
			ExpiresAt: ptr(time.Date(2031, 12, 31, 23, 59, 59, 999999999, time.UTC)),
			History: []memstore.Version{{
				Memory: "The user met Bob at the Berlin conference.", UpdateType: memstore.UpdateFeedback,
				ArchivedMemoryID: g.id(), CreatedAt: created.Add(-time.Hour),
			}},
			Embedding: vecOf(3, 4),
		}},
		{"Chinese preference", memstore.Memory{
			ID: g.id(), UserID: "user-rt", CubeID: "cube-rt", ConversationID: "会话-1",
			Kind: memstore.KindPreference, MemoryType: memstore.PreferenceMemory, PreferenceType: memstore.ExplicitPreference,
			Content: "用户说：我喜欢吃苹果", Preference: "我喜欢吃苹果", Key: "苹果", Topic: "水果", Polarity: memstore.Like,
			Tags: []string{"饮食", "水果"}, Info: map[string]string{"来源": "对话"},
			Sources: []memstore.Source{{Type: "chat", Role: "user", Content: "我喜欢吃苹果，不喜欢香蕉。",
				ChatTime: time.Date(2025, 5, 1, 12, 30, 0, 500, shanghai)}},
			Background: "用户在谈论水果。", Confidence: 1, Status: memstore.StatusActivated,
			CreatedAt: base, UpdatedAt: base.Add(time.Minute),
			History: []memstore.Version{{
				Memory: "用户说：我喜欢吃香蕉", Preference: "我喜欢吃香蕉", UpdateType: memstore.UpdateConflict,
				ArchivedMemoryID: g.id(), CreatedAt: base.Add(-24 * time.Hour),
			}, {
				Memory: "用户说：我喜欢水果", UpdateType: memstore.UpdateDuplicate,
				ArchivedMemoryID: g.id(), CreatedAt: base.Add(-48 * time.Hour),
			}},
			Embedding: vecOf(0, 0, -2, 0, 0, 0, 0, 1),
		}},
		{"archived implicit preference that expired", memstore.Memory{
			ID: g.id(), UserID: "user-rt", CubeID: "cube-rt",
			Kind: memstore.KindPreference, MemoryType: memstore.PreferenceMemory, PreferenceType: memstore.ImplicitPreference,
			Content: "The user seems to avoid spicy food.", Preference: "avoids spicy food", Topic: "food", Polarity: memstore.Dislike,
			Confidence: 0.3, Status: memstore.StatusArchived,
			CreatedAt: base.Add(-72 * time.Hour), UpdatedAt: base.Add(-71 * time.Hour), ExpiresAt: ptr(base.Add(-time.Hour)),
			Embedding: scale(unit(5), 0.01),
		}},
		{"deleted fact in another cube", memstore.Memory{
			ID: g.id(), UserID: "user-rt", CubeID: "cube-other", Kind: memstore.KindFact, MemoryType: memstore.WorkingMemory,
			Content: "deleted", Status: memstore.StatusDeleted, CreatedAt: base.In(newYork), UpdatedAt: base,
			Embedding: vecOf(1, 1, 1, 1, 1, 1, 1, 1),
		}},
		{"minimal fact", memstore.Memory{
			ID: g.id(), UserID: "user-rt", CubeID: "cube-rt", Kind: memstore.KindFact, MemoryType: memstore.LongTermMemory,
			Content: "x", Status: memstore.StatusActivated, CreatedAt: base.Add(time.Nanosecond),
			Embedding: unit(7),
		}},
	}
	st := s.open(t)
	batch := make([]memstore.Memory, len(cases))
	rt := model{}
	for i, tc := range cases {
		batch[i] = tc.m.Clone()
		rt.put(tc.m)
	}
	mustPut(t, st, batch...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.m
			got := mustGet(t, st, want.ID)
			if len(got) != 1 {
				t.Fatalf("Get(%s) returned %d memories, want 1", want.ID, len(got))
			}
			checkMemory(t, "Get", got[0], want)

			scope := memstore.Scope{UserID: want.UserID, CubeIDs: []string{want.CubeID}}
			f := memstore.Filter{Kind: want.Kind, AnyStatus: true, Expiry: memstore.IncludeExpired}
			page := mustList(t, st, memstore.ListQuery{Scope: scope, Filter: f, Limit: 100})
			i := slices.IndexFunc(page.Memories, func(m memstore.Memory) bool { return m.ID == want.ID })
			if i < 0 {
				t.Errorf("List(%s) does not return %s", describe(scope, f), want.ID)
			} else {
				checkMemory(t, "List", page.Memories[i], want)
			}

			hits := mustSearch(t, st, memstore.VectorQuery{Scope: scope, Filter: f, Vector: want.Embedding, Limit: 1})
			switch {
			case len(hits) != 1:
				t.Errorf("Search with the memory's own vector: %d hits, want 1", len(hits))
			case hits[0].Memory.ID != want.ID:
				t.Errorf("Search with the memory's own vector found %s, want %s", hits[0].Memory.ID, want.ID)
			default:
				if math.Abs(hits[0].Score-1) > scoreTolerance {
					t.Errorf("Search with the memory's own vector scores %.7f, want 1", hits[0].Score)
				}
				checkMemory(t, "Search", hits[0].Memory, want)
			}

			// Every field a filter reads must be kept where the store filters (an index, a payload),
			// not only in the record Get returns: the memory passes a filter on each of its values.
			for _, sf := range selfFilters(want) {
				t.Run("filter on "+sf.field, func(t *testing.T) {
					scope := memstore.Scope{UserID: want.UserID}
					f := memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired, Expr: mustParseFilter(t, sf.expr)}
					page := mustList(t, st, memstore.ListQuery{Scope: scope, Filter: f, Limit: 100})
					if !slices.Contains(ids(page.Memories), want.ID) {
						t.Errorf("List with filter %s does not return %s, which has that value", sf.expr, want.ID)
					}
					checkList(t, st, scope, f, rt)
					checkSearch(t, st, memstore.VectorQuery{Scope: scope, Filter: f, Vector: want.Embedding, Limit: 100}, rt)
				})
			}
		})
	}
	t.Run("caller's memories are not aliased", func(t *testing.T) {
		// Changing the slices and maps the caller passed to Put must not change what is stored.
		batch[0].Tags[0] = "mutated"
		batch[0].Info["city"] = "mutated"
		batch[0].Embedding[0] = -100
		got := mustGet(t, st, cases[0].m.ID)
		if len(got) != 1 {
			t.Fatalf("Get returned %d memories, want 1", len(got))
		}
		checkMemory(t, "Get after the caller changed its copy", got[0], cases[0].m)
		// And changing what Get returned must not change the store either.
		got[0].Tags[0] = "mutated"
		got[0].Info["city"] = "mutated"
		again := mustGet(t, st, cases[0].m.ID)
		if len(again) == 1 {
			checkMemory(t, "Get after the caller changed a returned memory", again[0], cases[0].m)
		}
		// Nor what the store filters by: the tags and info it was put with still select it.
		for _, expr := range []string{`{"tags": "travel"}`, `{"info.city": "Berlin"}`, `{"tags": "mutated"}`, `{"info.city": "mutated"}`} {
			scope := memstore.Scope{UserID: cases[0].m.UserID}
			f := memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired, Expr: mustParseFilter(t, expr)}
			checkList(t, st, scope, f, rt)
			checkSearch(t, st, memstore.VectorQuery{Scope: scope, Filter: f, Vector: unit(0), Limit: 100}, rt)
		}
	})
}

// selfFilter is a filter on one field that a memory passes.
type selfFilter struct{ field, expr string }

// selfFilters returns, for every field a filter reads that m has a value in, a filter m passes by
// that value alone: eq for scalars and each tag and info entry, like for text fields, and a
// one-microsecond range for times (filter times are read to the microsecond).
func selfFilters(m memstore.Memory) []selfFilter {
	var out []selfFilter
	add := func(field string, cond any) {
		out = append(out, selfFilter{field, jsonFilter(map[string]any{field: cond})})
	}
	for _, f := range []struct{ field, v string }{
		{"id", m.ID}, {"cube_id", m.CubeID}, {"conversation_id", m.ConversationID}, {"kind", string(m.Kind)},
		{"memory_type", string(m.MemoryType)}, {"preference_type", string(m.PreferenceType)}, {"status", string(m.Status)},
		{"polarity", string(m.Polarity)}, {"key", m.Key}, {"topic", m.Topic},
	} {
		if f.v != "" {
			add(f.field, f.v)
		}
	}
	for _, f := range []struct{ field, v string }{{"memory", m.Content}, {"preference", m.Preference}, {"background", m.Background}} {
		if f.v != "" {
			add(f.field, map[string]any{"like": f.v})
		}
	}
	for _, tag := range m.Tags {
		add("tags", tag)
	}
	keys := make([]string, 0, len(m.Info))
	for k := range m.Info {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v := m.Info[k]; v != "" {
			add("info."+k, v)
		}
	}
	add("confidence", m.Confidence)
	within := func(field string, tm time.Time) {
		if tm.IsZero() {
			return
		}
		from := tm.UTC().Truncate(time.Microsecond)
		add(field, map[string]any{"gte": from.Format(time.RFC3339Nano), "lt": from.Add(time.Microsecond).Format(time.RFC3339Nano)})
	}
	within("created_at", m.CreatedAt)
	within("updated_at", m.UpdatedAt)
	if m.ExpiresAt != nil {
		within("expires_at", *m.ExpiresAt)
	}
	return out
}

func (s *suite) testUpsert(t *testing.T) {
	now := base.Add(24 * time.Hour)
	cases := []struct {
		name   string
		change func(m *memstore.Memory)
	}{
		{"same content again", func(*memstore.Memory) {}},
		{"new text and status", func(m *memstore.Memory) {
			m.Content = "the corrected text"
			m.Status = memstore.StatusArchived
			m.UpdatedAt = m.UpdatedAt.Add(time.Hour)
			m.Tags = []string{"changed"}
			m.History = append(m.History, memstore.Version{Memory: "old", UpdateType: memstore.UpdateFeedback,
				ArchivedMemoryID: "0197c0de-0000-7000-8000-000000000000", CreatedAt: m.UpdatedAt})
		}},
		{"moved to another cube", func(m *memstore.Memory) { m.CubeID = "cube-2" }},
		{"moved to another user", func(m *memstore.Memory) { m.UserID = "user-2" }},
		{"turned into a preference", func(m *memstore.Memory) {
			m.Kind = memstore.KindPreference
			m.MemoryType = memstore.PreferenceMemory
			m.Preference = "likes tea"
		}},
		{"earlier created_at", func(m *memstore.Memory) { m.CreatedAt = base.Add(-time.Hour) }},
		{"later created_at", func(m *memstore.Memory) { m.CreatedAt = base.Add(time.Hour) }},
		{"new vector", func(m *memstore.Memory) { m.Embedding = unit(6) }},
		{"expired now", func(m *memstore.Memory) { m.ExpiresAt = ptr(now.Add(-time.Minute)) }},
		{"expiry removed", func(m *memstore.Memory) { m.ExpiresAt = nil }},
		{"new conversation", func(m *memstore.Memory) { m.ConversationID = "conv-2" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newGen(2)
			st := s.open(t)
			orig := g.memory("user-1", "cube-1", memstore.KindFact, base)
			orig.ConversationID = "conv-1"
			orig.ExpiresAt = ptr(now.Add(time.Hour))
			orig.Embedding = unit(0)
			n1 := g.memory("user-1", "cube-1", memstore.KindFact, base.Add(time.Minute))
			n2 := g.memory("user-2", "cube-2", memstore.KindPreference, base.Add(-time.Minute))
			mustPut(t, st, orig, n1, n2)

			changed := orig.Clone()
			tc.change(&changed)
			mustPut(t, st, changed)

			got := mustGet(t, st, orig.ID)
			if len(got) != 1 {
				t.Fatalf("Get(%s) after the second Put returned %d memories, want 1", orig.ID, len(got))
			}
			checkMemory(t, "Get after the second Put", got[0], changed)
			all := memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}
			total := 0
			for _, u := range []string{"user-1", "user-2"} {
				total += mustList(t, st, memstore.ListQuery{Scope: memstore.Scope{UserID: u}, Filter: all, Limit: 100}).Total
			}
			if total != 3 {
				t.Errorf("the two users hold %d memories in all, want 3 (the upserted one counted once)", total)
			}
			checkModel(t, st, newModel(changed, n1, n2), now, "user-1", "user-2")
		})
	}
	t.Run("twice in a row", func(t *testing.T) {
		g := newGen(3)
		st := s.open(t)
		m := g.memory("user-1", "cube-1", memstore.KindFact, base)
		for range 3 {
			mustPut(t, st, m)
		}
		m.Content = "latest"
		mustPut(t, st, m)
		checkModel(t, st, newModel(m), base)
	})
}

func (s *suite) testGet(t *testing.T) {
	g := newGen(4)
	st := s.open(t)
	a := g.memory("user-1", "cube-1", memstore.KindFact, base)
	b := g.memory("user-1", "cube-2", memstore.KindPreference, base.Add(time.Second))
	c := g.memory("user-2", "cube-1", memstore.KindFact, base.Add(-time.Second))
	c.Status = memstore.StatusArchived
	c.ExpiresAt = ptr(base.Add(-time.Hour))
	mustPut(t, st, a, b, c)
	missing := g.id()
	cases := []struct {
		name string
		ask  []string
		want []memstore.Memory
	}{
		{"order as asked", []string{c.ID, a.ID, b.ID}, []memstore.Memory{c, a, b}},
		{"another order", []string{b.ID, c.ID, a.ID}, []memstore.Memory{b, c, a}},
		{"missing ids left out", []string{missing, a.ID, g.id(), b.ID}, []memstore.Memory{a, b}},
		{"non-UUID ids left out", []string{"not-a-uuid", a.ID, "", "12345", c.ID + "x", b.ID}, []memstore.Memory{a, b}},
		{"only missing ids", []string{missing, "nope"}, nil},
		{"no ids", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.Get(t.Context(), tc.ask)
			if err != nil {
				t.Fatalf("Get(%q): %v", tc.ask, err)
			}
			if !slices.Equal(ids(got), ids(tc.want)) {
				t.Fatalf("Get(%q) = %v, want %v", tc.ask, ids(got), ids(tc.want))
			}
			for i := range got {
				checkMemory(t, "Get", got[i], tc.want[i])
			}
		})
	}
}

// pagingData returns memories with many identical creation times, spread over two cubes, both
// kinds and two users, with some archived and some expired ones.
func pagingData(now time.Time) []memstore.Memory {
	g := newGen(5)
	times := []time.Time{base, base.Add(time.Nanosecond), base.Add(time.Second), base.Add(time.Hour), base.Add(-time.Hour)}
	var all []memstore.Memory
	for i := range 41 { // pager/main/fact: every one activated and unexpired
		all = append(all, g.memory("pager", "main", memstore.KindFact, times[i%len(times)]))
	}
	for i := range 17 {
		m := g.memory("pager", "side", memstore.KindFact, times[(i*3)%len(times)])
		if i%4 == 0 {
			m.Status = memstore.StatusArchived
		}
		if i%5 == 1 {
			m.ExpiresAt = ptr(now.Add(-time.Minute))
		}
		all = append(all, m)
	}
	for i := range 13 {
		m := g.memory("pager", "main", memstore.KindPreference, times[i%2])
		if i%3 == 0 {
			m.Status = memstore.StatusArchived
		}
		all = append(all, m)
	}
	for i := range 9 {
		all = append(all, g.memory("pager-2", "main", memstore.KindFact, times[i%len(times)]))
	}
	return all
}

func (s *suite) testListPaging(t *testing.T) {
	now := base.Add(24 * time.Hour)
	data := pagingData(now)
	m := newModel(data...)
	st := s.open(t)
	mustPut(t, st, data...)
	scenarios := []struct {
		name  string
		scope memstore.Scope
		f     memstore.Filter
	}{
		{"one cube one kind all matching", memstore.Scope{UserID: "pager", CubeIDs: []string{"main"}}, memstore.Filter{Kind: memstore.KindFact, Now: now}},
		{"every cube and kind", memstore.Scope{UserID: "pager"}, memstore.Filter{Now: now}},
		{"everything", memstore.Scope{UserID: "pager"}, memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}},
		{"archived only", memstore.Scope{UserID: "pager"}, memstore.Filter{Statuses: []memstore.Status{memstore.StatusArchived}, Expiry: memstore.IncludeExpired}},
		{"two cubes facts", memstore.Scope{UserID: "pager", CubeIDs: []string{"side", "main"}}, memstore.Filter{Kind: memstore.KindFact, Now: now}},
		{"side cube with holes", memstore.Scope{UserID: "pager", CubeIDs: []string{"side"}}, memstore.Filter{Now: now}},
		{"preferences", memstore.Scope{UserID: "pager"}, memstore.Filter{Kind: memstore.KindPreference, Now: now}},
		{"no such cube", memstore.Scope{UserID: "pager", CubeIDs: []string{"nope"}}, memstore.Filter{Now: now}},
		{"no such user", memstore.Scope{UserID: "nobody"}, memstore.Filter{Now: now}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want := ids(m.expect(sc.scope, sc.f))
			for _, size := range []int{1, 2, 3, 7, 10, 41, 42, 100} {
				var walked []string
				for off := 0; ; off += size {
					p := mustList(t, st, memstore.ListQuery{Scope: sc.scope, Filter: sc.f, Offset: off, Limit: size})
					if p.Total != len(want) {
						t.Errorf("page size %d, offset %d: Total = %d, want %d", size, off, p.Total, len(want))
					}
					wantPage := want[min(off, len(want)):min(off+size, len(want))]
					if !slices.Equal(ids(p.Memories), wantPage) {
						t.Errorf("page size %d, offset %d: got %v, want %v", size, off, ids(p.Memories), wantPage)
					}
					walked = append(walked, ids(p.Memories)...)
					if off >= len(want) {
						break
					}
				}
				if !slices.Equal(walked, want) {
					t.Errorf("page size %d: walking every page gave\n\t%v\nwant each memory once, newest first:\n\t%v", size, walked, want)
				}
			}
			for _, off := range []int{len(want), len(want) + 1, len(want) + 1000, math.MaxInt} {
				p := mustList(t, st, memstore.ListQuery{Scope: sc.scope, Filter: sc.f, Offset: off, Limit: 10})
				if len(p.Memories) != 0 || p.Total != len(want) {
					t.Errorf("offset %d beyond the end: got %d memories and Total %d, want none and Total %d",
						off, len(p.Memories), p.Total, len(want))
				}
			}
			checkList(t, st, sc.scope, sc.f, m)
		})
	}
	t.Run("negative offset", func(t *testing.T) {
		// Not a valid request, but a store must not crash on it: it either fails or reads from the start.
		for _, sc := range scenarios[:2] {
			want := ids(m.expect(sc.scope, sc.f))
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("List(%s, offset -1, limit 5) panicked: %v", describe(sc.scope, sc.f), r)
					}
				}()
				p, err := st.List(t.Context(), memstore.ListQuery{Scope: sc.scope, Filter: sc.f, Offset: -1, Limit: 5})
				if err != nil {
					return
				}
				if !slices.Equal(ids(p.Memories), want[:5]) || p.Total != len(want) {
					t.Errorf("List(%s, offset -1, limit 5) = %v (Total %d), want an error or the first page %v (Total %d)",
						describe(sc.scope, sc.f), ids(p.Memories), p.Total, want[:5], len(want))
				}
			}()
		}
	})
}

func (s *suite) testListExtremeCreatedAt(t *testing.T) {
	// Creation times far from today (outside the range of int64 nanoseconds since 1970, which
	// ends in 1677 and 2262) must still list newest first.
	g := newGen(6)
	st := s.open(t)
	times := []time.Time{
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC),
		base,
		time.Unix(0, 0).UTC(),
		time.Unix(0, -1).UTC(),
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var data []memstore.Memory
	for _, tm := range times {
		data = append(data, g.memory("user-x", "cube-x", memstore.KindFact, tm))
	}
	// The newest memory gets the smallest id, so the id tie-break cannot hide a wrong time order.
	sorted := ids(data)
	slices.Sort(sorted)
	for i := range data {
		data[i].ID = sorted[i]
	}
	mustPut(t, st, data...)
	page := mustList(t, st, memstore.ListQuery{Scope: memstore.Scope{UserID: "user-x"}, Filter: memstore.Filter{Now: base}, Limit: 100})
	var got []string
	for _, m := range page.Memories {
		got = append(got, m.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	var want []string
	for _, tm := range times {
		want = append(want, tm.Format(time.RFC3339Nano))
	}
	if !slices.Equal(got, want) {
		t.Errorf("List by created_at desc:\n\tgot  %v\n\twant %v", got, want)
	}
}

// filterData returns one memory for every combination of kind, status, conversation and expiry
// for user u1 (in two cubes), and a few for u2.
func filterData(now time.Time) []memstore.Memory {
	g := newGen(7)
	expiries := []*time.Time{nil, ptr(now.Add(-time.Hour)), ptr(now), ptr(now.Add(time.Nanosecond)), ptr(now.Add(time.Hour))}
	var all []memstore.Memory
	i := 0
	for _, kind := range []memstore.Kind{memstore.KindFact, memstore.KindPreference} {
		for _, status := range []memstore.Status{memstore.StatusActivated, memstore.StatusArchived, memstore.StatusDeleted} {
			for _, conv := range []string{"", "conv-a", "conv-b"} {
				for _, exp := range expiries {
					m := g.memory("u1", []string{"c1", "c2"}[i%2], kind, base.Add(time.Duration(i%7)*time.Minute))
					m.Status, m.ConversationID = status, conv
					if exp != nil {
						m.ExpiresAt = ptr(*exp)
					}
					all = append(all, m)
					i++
				}
			}
		}
	}
	for j := range 12 {
		m := g.memory("u2", "c1", []memstore.Kind{memstore.KindFact, memstore.KindPreference}[j%2], base)
		m.ConversationID = "conv-a"
		if j%3 == 0 {
			m.Status = memstore.StatusArchived
		}
		if j%4 == 0 {
			m.ExpiresAt = ptr(now.Add(-time.Hour))
		}
		all = append(all, m)
	}
	return all
}

func (s *suite) testFilters(t *testing.T) {
	now := base.Add(48 * time.Hour)
	data := filterData(now)
	m := newModel(data...)
	cases := []struct {
		name string
		f    memstore.Filter
	}{
		{"zero filter: activated and unexpired", memstore.Filter{Now: now}},
		{"facts", memstore.Filter{Kind: memstore.KindFact, Now: now}},
		{"preferences", memstore.Filter{Kind: memstore.KindPreference, Now: now}},
		{"archived only", memstore.Filter{Statuses: []memstore.Status{memstore.StatusArchived}, Now: now}},
		{"activated and archived", memstore.Filter{Statuses: []memstore.Status{memstore.StatusActivated, memstore.StatusArchived}, Now: now}},
		{"deleted only", memstore.Filter{Statuses: []memstore.Status{memstore.StatusDeleted}, Now: now}},
		{"any status", memstore.Filter{AnyStatus: true, Now: now}},
		{"any status ignores statuses", memstore.Filter{AnyStatus: true, Statuses: []memstore.Status{memstore.StatusDeleted}, Now: now}},
		{"conversation", memstore.Filter{ConversationID: "conv-a", Now: now}},
		{"unknown conversation", memstore.Filter{ConversationID: "conv-z", Now: now}},
		{"include expired", memstore.Filter{Expiry: memstore.IncludeExpired, Now: now}},
		{"include expired without now", memstore.Filter{Expiry: memstore.IncludeExpired}},
		{"only expired", memstore.Filter{Expiry: memstore.OnlyExpired, Now: now}},
		{"only expired any status", memstore.Filter{Expiry: memstore.OnlyExpired, AnyStatus: true, Now: now}},
		{"only expired archived preferences in a conversation", memstore.Filter{Kind: memstore.KindPreference,
			Statuses: []memstore.Status{memstore.StatusArchived}, ConversationID: "conv-b", Expiry: memstore.OnlyExpired, Now: now}},
		{"everything", memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}},
		{"earlier now", memstore.Filter{AnyStatus: true, Now: now.Add(-2 * time.Hour)}},
		{"later now, only expired", memstore.Filter{AnyStatus: true, Expiry: memstore.OnlyExpired, Now: now.Add(2 * time.Hour)}},
	}
	scopes := []memstore.Scope{{UserID: "u1"}, {UserID: "u1", CubeIDs: []string{"c1"}}, {UserID: "u2"}}
	st := s.open(t)
	mustPut(t, st, data...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if n := len(m.expect(memstore.Scope{UserID: "u1"}, tc.f)); n == 0 && !strings.Contains(tc.name, "unknown") {
				t.Fatalf("test data error: no memory of u1 matches %q", tc.name)
			}
			for _, sc := range scopes {
				checkList(t, st, sc, tc.f, m)
				for _, limit := range []int{1000, 5} {
					checkSearch(t, st, memstore.VectorQuery{Scope: sc, Filter: tc.f, Vector: unit(1), Limit: limit}, m)
				}
			}
			t.Run("DeleteWhere", func(t *testing.T) {
				for _, sc := range scopes {
					st := s.open(t)
					mustPut(t, st, data...)
					want := ids(m.expect(sc, tc.f))
					got, err := st.DeleteWhere(t.Context(), sc, tc.f)
					if err != nil {
						t.Fatalf("DeleteWhere(%s): %v", describe(sc, tc.f), err)
					}
					if !sameSet(got, want) {
						t.Errorf("DeleteWhere(%s) removed\n\t%v\nwant\n\t%v", describe(sc, tc.f), got, want)
					}
					rest := newModel(data...)
					rest.delete(want...)
					checkModel(t, st, rest, now, "u1", "u2")
				}
			})
		})
	}
}

// exprText is the text of one test memory.
type exprText struct{ content, preference, background string }

// exprData returns memories of users "fx" (cubes c1, c2, c3) and "fx-2" that differ in every field
// a filter expression reads: memory and preference types, polarity, tags, info (ISO dates, sources,
// a Chinese key), key, topic, confidence (some values a float32 cannot hold exactly), creation and
// update times spread over four weeks (with ties, another time zone and a missing updated_at),
// expiries around now, statuses, conversations, and English and Chinese text.
func exprData(now time.Time) []memstore.Memory {
	g := newGen(17)
	day := 24 * time.Hour
	facts := []exprText{
		{"The user met Alice at the Berlin conference.", "", "Talking about a business trip."},
		{"The user's daughter plays the violin every evening.", "", ""},
		{"Project Apollo deadline moved to next Friday.", "", "工作会议"},
		{"The user runs a marathon in Tokyo this autumn.", "", ""},
		{"the user is allergic to peanuts.", "", "health check"},
		{"Weekly sync with the data team is on Mondays.", "", ""},
		{"用户下周去上海出差。", "", "用户在安排出差。"},
		{"用户的女儿在学钢琴。", "", ""},
		{"用户每天早上喝一杯咖啡。", "", ""},
		{"用户在北京工作了五年。", "", "职业背景"},
	}
	prefs := []exprText{
		{"用户说：我喜欢喝绿茶，不喜欢咖啡。", "喜欢喝绿茶", ""},
		{"The user said they love old jazz records.", "likes jazz records", "music chat"},
		{"The user avoids spicy food.", "dislikes spicy food", ""},
		{"The user asked for a quieter office.", "wants a quieter office", "工作环境"},
		{"用户周末常去爬山。", "喜欢周末去爬山", ""},
		{"The user always books window seats.", "prefers window seats on flights", "出差"},
	}
	topics := []string{"drink", "music", "food", "office", "outdoor", "travel"}
	keys := []string{"Berlin conference", "violin", "", "Apollo", "咖啡", "Tokyo marathon"}
	tags := [][]string{{"work", "travel"}, {"family", "music"}, {"work", "deadline"}, nil, {"homework", "family"}, {"健康", "food"}, {"音乐", "travel", "work"}}
	infos := []map[string]string{
		{"date": "2025-05-28", "source": "chat"},
		{"date": "2025-06-03T09:00:00Z", "source": "feedback", "app": "notes"},
		{"source": "import"},
		nil,
		{"date": "2025-06-15", "source": "chat", "app": "calendar"},
		{"date": "2024-12-31", "来源": "对话"},
	}
	confidences := []float64{0.3, 0.5, 0.7, 0.9, 1, 0.25, 0.875, 0.65}
	factTypes := []memstore.MemoryType{memstore.LongTermMemory, memstore.UserMemory, memstore.LongTermMemory, memstore.WorkingMemory}
	polarities := []memstore.Polarity{memstore.Like, memstore.Dislike, memstore.Want}
	shanghai := time.FixedZone("UTC+8", 8*3600)
	var all []memstore.Memory
	for i := range 48 {
		user := "fx"
		if i >= 40 {
			user = "fx-2"
		}
		kind := memstore.KindFact
		if i%3 == 2 {
			kind = memstore.KindPreference
		}
		created := base.Add(time.Duration(i) * 13 * time.Hour)
		if i%8 == 7 {
			created = base.Add(time.Duration(i-1) * 13 * time.Hour) // the same time as the one before
		}
		if i%12 == 10 {
			created = created.In(shanghai)
		}
		m := g.memory(user, []string{"c1", "c2", "c3"}[(i/3)%3], kind, created)
		if kind == memstore.KindFact {
			tx := facts[i%len(facts)]
			m.Content, m.Background = tx.content, tx.background
			m.MemoryType = factTypes[i%len(factTypes)]
		} else {
			tx := prefs[(i/3)%len(prefs)]
			m.Content, m.Preference, m.Background = tx.content, tx.preference, tx.background
			m.Topic = topics[(i/3)%len(topics)]
			m.Polarity = polarities[(i/3)%len(polarities)]
			if i%4 == 1 {
				m.PreferenceType = memstore.ImplicitPreference
			}
		}
		m.Key = keys[i%len(keys)]
		m.Tags = slices.Clone(tags[i%len(tags)])
		if info := infos[i%len(infos)]; info != nil {
			m.Info = make(map[string]string, len(info))
			for k, v := range info {
				m.Info[k] = v
			}
		}
		m.Confidence = confidences[i%len(confidences)]
		m.UpdatedAt = created.Add(time.Duration(i%5)*day + time.Duration(i)*time.Minute)
		if i%10 == 9 {
			m.UpdatedAt = time.Time{}
		}
		switch {
		case i%11 == 3:
			m.Status = memstore.StatusArchived
		case i%13 == 6:
			m.Status = memstore.StatusDeleted
		}
		m.ConversationID = []string{"", "conv-a", "conv-b", "conv-a"}[i%4]
		switch i % 9 {
		case 1:
			m.ExpiresAt = ptr(now.Add(-2 * time.Hour))
		case 4:
			m.ExpiresAt = ptr(now)
		case 6:
			m.ExpiresAt = ptr(now.Add(2 * day))
		case 8:
			m.ExpiresAt = ptr(now.Add(time.Nanosecond))
		}
		all = append(all, m)
	}
	return all
}

// exprCase is a filter expression of the FilterExpressions test. Unless every is set, the test data
// must hold memories of user fx that pass it and memories that do not.
type exprCase struct {
	name, expr string
	every      bool
}

func exprCases(data []memstore.Memory) []exprCase {
	at := func(i int) string { return data[i].CreatedAt.UTC().Format(time.RFC3339) }
	return []exprCase{
		{name: "memory_type eq", expr: `{"memory_type": "UserMemory"}`},
		{name: "memory_type in", expr: `{"memory_type": {"in": ["LongTermMemory", "WorkingMemory"]}}`},
		{name: "kind and polarity (bare object)", expr: `{"kind": "preference", "polarity": "like"}`},
		{name: "polarity in", expr: `{"polarity": {"in": ["dislike", "want"]}}`},
		{name: "preference_type", expr: `{"preference_type": "implicit_preference"}`},
		{name: "status in with conversation", expr: `{"status": {"in": ["archived", "deleted"]}, "conversation_id": "conv-a"}`},
		{name: "aliases session_id and mem_cube_id", expr: `{"session_id": "conv-b", "mem_cube_id": "c2"}`},
		{name: "id in", expr: jsonFilter(map[string]any{"id": map[string]any{"in": []any{data[0].ID, data[5].ID, data[17].ID, data[44].ID}}})},
		{name: "memory_id alias", expr: jsonFilter(map[string]any{"memory_id": data[7].ID})},
		{name: "cube_id gt", expr: `{"cube_id": {"gt": "c1"}}`},
		{name: "tags eq", expr: `{"tags": "work"}`},
		{name: "tags contains", expr: `{"tags": {"contains": "work"}}`},
		{name: "tags in with Chinese", expr: `{"tags": {"in": ["音乐", "deadline"]}}`},
		{name: "tags like", expr: `{"tags": {"like": "%FAM%"}}`},
		{name: "info.source eq", expr: `{"info.source": "chat"}`},
		{name: "info.date ISO range", expr: `{"info.date": {"gte": "2025-06-01", "lt": "2025-06-30"}}`},
		{name: "info.date lte leaves out missing dates", expr: `{"info.date": {"lte": "2025-05-31"}}`},
		{name: "info.date gt a date-time string", expr: `{"info.date": {"gt": "2025-06-03"}}`},
		{name: "info.app in", expr: `{"info.app": {"in": ["notes", "calendar"]}}`},
		{name: "info Chinese key", expr: `{"info.来源": "对话"}`},
		{name: "key like", expr: `{"key": {"like": "berlin"}}`},
		{name: "key contains Chinese", expr: `{"key": {"contains": "咖啡"}}`},
		{name: "topic in", expr: `{"topic": {"in": ["music", "drink"]}}`},
		{name: "confidence gte 0.7", expr: `{"confidence": {"gte": 0.7}}`},
		{name: "confidence eq 0.9", expr: `{"confidence": 0.9}`},
		{name: "confidence gt 0.3 lt 0.9", expr: `{"confidence": {"gt": 0.3, "lt": 0.9}}`},
		{name: "confidence lte 0.3", expr: `{"confidence": {"lte": 0.3}}`},
		{name: "confidence as a string", expr: `{"confidence": {"gte": "0.875"}}`},
		{name: "created_at range", expr: `{"created_at": {"gte": "2025-06-05", "lt": "2025-06-12T12:00:00Z"}}`},
		{name: "created_at gt, MemOS time format", expr: `{"created_at": {"gt": "2025-06-20 00:00:00"}}`},
		{name: "created_at eq (a tie)", expr: jsonFilter(map[string]any{"created_at": at(14)})},
		{name: "created_at lte in another zone", expr: `{"created_at": {"lte": "2025-06-08T06:30:00+08:00"}}`},
		{name: "updated_at lt leaves out missing", expr: `{"updated_at": {"lt": "2025-06-10"}}`},
		{name: "updated_at gte", expr: `{"updated_at": {"gte": "2025-06-18T00:00:00Z"}}`},
		{name: "expires_at gt now", expr: `{"expires_at": {"gt": "2025-07-01T08:30:00Z"}}`},
		{name: "expires_at lte", expr: `{"expires_at": {"lte": "2030-01-01"}}`},
		{name: "memory like", expr: `{"memory": {"like": "%USER%"}}`},
		{name: "memory like Chinese", expr: `{"memory": {"like": "咖啡"}}`},
		{name: "memory contains is case-sensitive", expr: `{"memory": {"contains": "The user"}}`},
		{name: "memory like everything", expr: `{"memory": {"like": "%"}}`, every: true},
		{name: "preference like", expr: `{"preference": {"like": "%JAZZ%"}}`},
		{name: "preference like Chinese", expr: `{"preference": {"like": "喜欢"}}`},
		{name: "background contains Chinese", expr: `{"background": {"contains": "出差"}}`},
		{name: "or of tags and info", expr: `{"or": [{"tags": "family"}, {"info.source": "feedback"}]}`},
		{name: "and of or, time and number", expr: `{"and": [{"or": [{"memory_type": "UserMemory"}, {"kind": "preference"}]}, {"created_at": {"lt": "2025-06-15"}}, {"confidence": {"gte": 0.5}}]}`},
		{name: "or mixing text and indexed fields", expr: `{"or": [{"and": [{"tags": {"contains": "work"}}, {"memory": {"like": "deadline"}}]}, {"preference": {"like": "茶"}}, {"key": "violin"}]}`},
		{name: "and with text inside or", expr: `{"and": [{"kind": "fact"}, {"or": [{"memory": {"like": "用户"}}, {"background": {"like": "TRIP"}}]}, {"info.source": {"in": ["chat", "import"]}}]}`},
		{name: "nested three levels", expr: `{"or": [{"and": [{"or": [{"tags": "travel"}, {"tags": "food"}]}, {"confidence": {"lt": 0.9}}]}, {"and": [{"topic": "office"}, {"polarity": "want"}]}]}`},
		{name: "and on one field", expr: `{"and": [{"created_at": {"gte": "2025-06-03"}}, {"created_at": {"lt": "2025-06-20"}}, {"updated_at": {"gt": "2025-06-04"}}]}`},
	}
}

// checkPages walks every page of a listing with each page size and compares the pages and totals
// with the model.
func checkPages(t *testing.T, st memstore.Store, scope memstore.Scope, f memstore.Filter, m model, sizes ...int) {
	t.Helper()
	want := ids(m.expect(scope, f))
	what := "List(" + describe(scope, f) + ")"
	for _, size := range sizes {
		var walked []string
		for off := 0; ; off += size {
			p := mustList(t, st, memstore.ListQuery{Scope: scope, Filter: f, Offset: off, Limit: size})
			if p.Total != len(want) {
				t.Errorf("%s, page size %d, offset %d: Total = %d, want %d", what, size, off, p.Total, len(want))
			}
			if wantPage := want[min(off, len(want)):min(off+size, len(want))]; !slices.Equal(ids(p.Memories), wantPage) {
				t.Errorf("%s, page size %d, offset %d: got %v, want %v", what, size, off, ids(p.Memories), wantPage)
			}
			walked = append(walked, ids(p.Memories)...)
			if off >= len(want) {
				break
			}
		}
		if !slices.Equal(walked, want) {
			t.Errorf("%s, page size %d: walking every page gave\n\t%v\nwant each memory once, newest first:\n\t%v", what, size, walked, want)
		}
	}
}

func (s *suite) testFilterExpressions(t *testing.T) {
	now := base.Add(30 * 24 * time.Hour)
	data := exprData(now)
	m := newModel(data...)
	st := s.open(t)
	mustPut(t, st, data...)
	cases := exprCases(data)
	scopes := []memstore.Scope{
		{UserID: "fx"},
		{UserID: "fx", CubeIDs: []string{"c1"}},
		{UserID: "fx", CubeIDs: []string{"c3", "c2"}},
		{UserID: "fx-2"},
		{UserID: "nobody"},
	}
	everything := memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}
	// Every matching memory, by one query; the best three, by another.
	searches := []struct {
		vec   []float32
		limit int
	}{{unit(2), 1000}, {vecOf(1, -1, 0.5, 0, 2, 0, -0.25, 1), 3}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := mustParseFilter(t, tc.expr)
			filters := []memstore.Filter{
				{Now: now, Expr: e},
				{AnyStatus: true, Expiry: memstore.IncludeExpired, Expr: e},
				{Kind: memstore.KindFact, Statuses: []memstore.Status{memstore.StatusActivated, memstore.StatusArchived}, Now: now, Expr: e},
				{Kind: memstore.KindPreference, AnyStatus: true, Now: now, Expr: e},
				{AnyStatus: true, Expiry: memstore.OnlyExpired, Now: now, Expr: e},
				{ConversationID: "conv-a", Expiry: memstore.IncludeExpired, Expr: e},
			}
			n, of := len(m.expect(scopes[0], filters[1])), len(m.expect(scopes[0], everything))
			if n == 0 || (n == of) != tc.every {
				t.Fatalf("test data error: %d of user fx's %d memories pass %s", n, of, tc.expr)
			}
			for _, f := range filters {
				for _, sc := range scopes {
					checkList(t, st, sc, f, m)
					for _, q := range searches {
						checkSearch(t, st, memstore.VectorQuery{Scope: sc, Filter: f, Vector: q.vec, Limit: q.limit}, m)
					}
				}
			}
			for _, f := range filters[:2] {
				checkPages(t, st, scopes[0], f, m, 1, 4, 9)
			}
			t.Run("DeleteWhere", func(t *testing.T) {
				st := s.open(t)
				mustPut(t, st, data...)
				rest := newModel(data...)
				steps := []struct {
					scope memstore.Scope
					f     memstore.Filter
				}{
					{scopes[3], filters[1]},
					{scopes[1], filters[0]},
					{scopes[0], filters[4]},
					{scopes[0], filters[1]},
				}
				for _, step := range steps {
					want := ids(rest.expect(step.scope, step.f))
					got, err := st.DeleteWhere(t.Context(), step.scope, step.f)
					if err != nil {
						t.Fatalf("DeleteWhere(%s): %v", describe(step.scope, step.f), err)
					}
					if !sameSet(got, want) {
						t.Fatalf("DeleteWhere(%s) removed\n\t%v\nwant\n\t%v", describe(step.scope, step.f), got, want)
					}
					rest.delete(want...)
					checkList(t, st, step.scope, step.f, rest)
					for _, u := range []string{"fx", "fx-2"} {
						checkList(t, st, memstore.Scope{UserID: u}, everything, rest)
					}
				}
				checkModel(t, st, rest, now, "fx", "fx-2")
			})
		})
	}
}

func (s *suite) testExpiryBounds(t *testing.T) {
	now := base
	cases := []struct {
		name    string
		expires time.Time
	}{
		{"one nanosecond before now", now.Add(-time.Nanosecond)},
		{"exactly now", now},
		{"exactly now in another zone", now.In(time.FixedZone("UTC-7", -7*3600))},
		{"one nanosecond after now", now.Add(time.Nanosecond)},
		{"in a year", now.AddDate(1, 0, 0)},
		{"Unix epoch", time.Unix(0, 0).UTC()},
		{"before 1970", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)},
		{"before 1678", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"year 2262", time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"year 2300", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"end of year 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	g := newGen(8)
	st := s.open(t)
	m := model{}
	for i, tc := range cases {
		mem := g.memory("user-exp", fmt.Sprintf("cube-%02d", i), memstore.KindFact, base)
		mem.ExpiresAt = ptr(tc.expires)
		m.put(mem)
		mustPut(t, st, mem)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scope := memstore.Scope{UserID: "user-exp", CubeIDs: []string{fmt.Sprintf("cube-%02d", i)}}
			for _, e := range []memstore.Expiry{memstore.ExcludeExpired, memstore.IncludeExpired, memstore.OnlyExpired} {
				f := memstore.Filter{Expiry: e, Now: now}
				checkList(t, st, scope, f, m)
				checkSearch(t, st, memstore.VectorQuery{Scope: scope, Filter: f, Vector: unit(2), Limit: 10}, m)
			}
		})
	}
}

func (s *suite) testScopeIsolation(t *testing.T) {
	g := newGen(9)
	now := base.Add(time.Hour)
	var data []memstore.Memory
	// Same cube names for every user, users whose names are prefixes or case variants of others.
	for _, u := range []string{"alice", "bob", "ali", "Alice", "alice-2"} {
		for _, cube := range []string{"work", "home"} {
			for i := range 3 {
				m := g.memory(u, cube, []memstore.Kind{memstore.KindFact, memstore.KindPreference}[i%2], base.Add(time.Duration(i)*time.Second))
				m.Embedding = unit(0) // every memory equally similar to the query
				if i == 2 {
					m.Status = memstore.StatusArchived
				}
				data = append(data, m)
			}
		}
	}
	st := s.open(t)
	mustPut(t, st, data...)
	m := newModel(data...)
	scopes := func(user string) []memstore.Scope {
		return []memstore.Scope{
			{UserID: user},
			{UserID: user, CubeIDs: []string{"work"}},
			{UserID: user, CubeIDs: []string{"home"}},
			{UserID: user, CubeIDs: []string{"home", "work"}},
			{UserID: user, CubeIDs: []string{"work", "nope"}},
			{UserID: user, CubeIDs: []string{"nope"}},
		}
	}
	filters := []memstore.Filter{{Now: now}, {AnyStatus: true, Expiry: memstore.IncludeExpired}, {Kind: memstore.KindFact, AnyStatus: true, Now: now}}
	users := []string{"alice", "bob", "ali", "Alice", "alice-2", "nobody", "ALICE", ""}
	verify := func(t *testing.T, m model) {
		t.Helper()
		for _, u := range users {
			for _, sc := range scopes(u) {
				for _, f := range filters {
					checkList(t, st, sc, f, m)
					checkSearch(t, st, memstore.VectorQuery{Scope: sc, Filter: f, Vector: unit(0), Limit: 100}, m)
				}
			}
		}
	}
	t.Run("List and Search", func(t *testing.T) { verify(t, m) })
	steps := []struct {
		scope memstore.Scope
		f     memstore.Filter
	}{
		{memstore.Scope{UserID: "alice", CubeIDs: []string{"work"}}, memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}},
		{memstore.Scope{UserID: "bob"}, memstore.Filter{Now: now}},
		{memstore.Scope{UserID: "nobody"}, memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}},
		{memstore.Scope{UserID: "ali", CubeIDs: []string{"home", "work"}}, memstore.Filter{Kind: memstore.KindPreference, AnyStatus: true, Now: now}},
	}
	for _, step := range steps {
		t.Run("DeleteWhere "+describe(step.scope, step.f), func(t *testing.T) {
			want := ids(m.expect(step.scope, step.f))
			got, err := st.DeleteWhere(t.Context(), step.scope, step.f)
			if err != nil {
				t.Fatalf("DeleteWhere: %v", err)
			}
			if !sameSet(got, want) {
				t.Errorf("DeleteWhere(%s) removed\n\t%v\nwant\n\t%v", describe(step.scope, step.f), got, want)
			}
			m.delete(want...)
			verify(t, m)
			checkModel(t, st, m, now)
		})
	}
}

func (s *suite) testSearch(t *testing.T) {
	g := newGen(10)
	now := base.Add(time.Hour)
	var data []memstore.Memory
	for i := range 40 {
		kind := []memstore.Kind{memstore.KindFact, memstore.KindPreference}[i%2]
		mem := g.memory("searcher", []string{"c1", "c2", "c3"}[i%3], kind, base.Add(time.Duration(i%4)*time.Second))
		if i%5 == 0 {
			mem.Status = memstore.StatusArchived
		}
		if i%7 == 0 {
			mem.ConversationID = "conv-s"
		}
		if i%9 == 0 {
			mem.ExpiresAt = ptr(now.Add(-time.Minute))
		}
		data = append(data, mem)
	}
	q0 := g.vec()
	exact := g.memory("searcher", "c1", memstore.KindFact, base)
	exact.Embedding = scale(q0, 2.5) // same direction as q0, not unit length
	data = append(data, exact)
	other := g.memory("other-user", "c1", memstore.KindFact, base)
	other.Embedding = q0
	data = append(data, other)
	st := s.open(t)
	mustPut(t, st, data...)
	m := newModel(data...)
	user := memstore.Scope{UserID: "searcher"}
	cases := []struct {
		name      string
		scope     memstore.Scope
		f         memstore.Filter
		vec       []float32
		limit     int
		wantFirst string // when set, the first hit, with a score of about 1
	}{
		{"exact match first", user, memstore.Filter{Now: now}, q0, 5, exact.ID},
		{"unnormalised query", user, memstore.Filter{Now: now}, scale(q0, 0.001), 5, exact.ID},
		{"limit 1", user, memstore.Filter{Now: now}, q0, 1, exact.ID},
		{"limit 3", user, memstore.Filter{Now: now}, g.vec(), 3, ""},
		{"limit above the matches", user, memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}, g.vec(), 1000, ""},
		{"facts", user, memstore.Filter{Kind: memstore.KindFact, Now: now}, g.vec(), 7, ""},
		{"preferences exclude the exact match", user, memstore.Filter{Kind: memstore.KindPreference, Now: now}, q0, 7, ""},
		{"archived", user, memstore.Filter{Statuses: []memstore.Status{memstore.StatusArchived}, Now: now}, g.vec(), 100, ""},
		{"conversation", user, memstore.Filter{ConversationID: "conv-s", AnyStatus: true, Now: now}, g.vec(), 100, ""},
		{"only expired", user, memstore.Filter{Expiry: memstore.OnlyExpired, AnyStatus: true, Now: now}, g.vec(), 100, ""},
		{"one cube", memstore.Scope{UserID: "searcher", CubeIDs: []string{"c2"}}, memstore.Filter{Now: now}, g.vec(), 100, ""},
		{"two cubes", memstore.Scope{UserID: "searcher", CubeIDs: []string{"c1", "c3"}}, memstore.Filter{Now: now}, q0, 4, exact.ID},
		{"opposite vector", user, memstore.Filter{Now: now}, scale(q0, -1), 1000, ""},
		{"sparse query", user, memstore.Filter{Now: now}, unit(3), 10, ""},
		{"two non-zero dimensions", user, memstore.Filter{Now: now}, vecOf(0, 0, 0, 0, 1, -1), 10, ""},
		{"other user", memstore.Scope{UserID: "other-user"}, memstore.Filter{Now: now}, q0, 10, other.ID},
		{"user with no memories", memstore.Scope{UserID: "nobody"}, memstore.Filter{Now: now}, q0, 10, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hits := checkSearch(t, st, memstore.VectorQuery{Scope: tc.scope, Filter: tc.f, Vector: tc.vec, Limit: tc.limit}, m)
			if tc.wantFirst != "" {
				if len(hits) == 0 || hits[0].Memory.ID != tc.wantFirst {
					t.Errorf("first hit is %v, want %s", hitIDs(hits), tc.wantFirst)
				} else if math.Abs(hits[0].Score-1) > scoreTolerance {
					t.Errorf("the memory whose vector is the query scores %.7f, want 1", hits[0].Score)
				}
			}
		})
	}
	t.Run("wrong dimension", func(t *testing.T) {
		for _, n := range []int{Dim - 1, Dim + 1} {
			if _, err := st.Search(t.Context(), memstore.VectorQuery{Scope: user, Filter: memstore.Filter{Now: now}, Vector: make([]float32, n), Limit: 3}); err == nil {
				t.Errorf("Search with a %d-dimensional query in a %d-dimensional store: no error", n, Dim)
			}
		}
	})
}

// checkHybrid runs a query with text and checks what any fusion of vector and lexical rankings must
// give: Limit hits, or every matching memory when fewer match; each inside the query, none twice;
// scores equal to the cosine similarity with the query vector; and the memories in must among them.
// Which fused order is not checked, as backends may fuse differently; only that the hits come in the
// order of the Relevance they report.
func checkHybrid(t *testing.T, st memstore.Store, q memstore.VectorQuery, m model, must ...string) []memstore.Hit {
	t.Helper()
	hits := mustSearch(t, st, q)
	what := fmt.Sprintf("Search(%s, text %q, limit %d)", describe(q.Scope, q.Filter), q.Text, q.Limit)
	cands := m.expect(q.Scope, q.Filter)
	if want := min(max(q.Limit, 0), len(cands)); len(hits) != want {
		t.Errorf("%s: %d hits, want %d (of %d matching memories)", what, len(hits), want, len(cands))
	}
	seen := map[string]bool{}
	for i, h := range hits {
		id := strings.ToLower(h.Memory.ID)
		want, ok := m[id]
		switch {
		case !ok:
			t.Errorf("%s: hit %d is %s, which the store should not hold", what, i, h.Memory.ID)
			continue
		case !inScope(q.Scope, &want) || !q.Filter.Match(&want):
			t.Errorf("%s: hit %d is %s (user %q, cube %q, status %s, tags %q, text %q), outside the query",
				what, i, id, want.UserID, want.CubeID, want.Status, want.Tags, want.Content)
		case seen[id]:
			t.Errorf("%s: %s is returned twice", what, id)
		}
		seen[id] = true
		if cos := memstore.Cosine(q.Vector, want.Embedding); math.Abs(h.Score-cos) > scoreTolerance {
			t.Errorf("%s: hit %s scores %.7f, its cosine similarity is %.7f", what, id, h.Score, cos)
		}
		// Hits come back by the fused ranking, which Relevance reports, in [0, 1].
		if !(h.Relevance >= 0 && h.Relevance <= 1) {
			t.Errorf("%s: hit %s has relevance %v, want one in [0, 1]", what, id, h.Relevance)
		}
		if i > 0 && h.Relevance > hits[i-1].Relevance {
			t.Errorf("%s: hits not by descending relevance: %.7f at %d after %.7f", what, h.Relevance, i, hits[i-1].Relevance)
		}
		checkMemory(t, what, h.Memory, want)
	}
	for _, id := range must {
		if !seen[strings.ToLower(id)] {
			mem := m[strings.ToLower(id)]
			t.Errorf("%s: %s (%q, similarity %.3f) is not among the hits %v, though it holds a rare word of the text",
				what, id, mem.Text(), memstore.Cosine(q.Vector, mem.Embedding), hitIDs(hits))
		}
	}
	return hits
}

func (s *suite) testHybridText(t *testing.T) {
	g := newGen(18)
	now := base.Add(24 * time.Hour)
	var data []memstore.Memory
	// Thirty memories whose vectors are all close to the query's and whose words are common ones.
	for i := range 30 {
		mem := g.memory("hy", []string{"h1", "h2"}[i%2], []memstore.Kind{memstore.KindFact, memstore.KindPreference}[i%3/2], base.Add(time.Duration(i)*time.Minute))
		v := scale(g.vec(), 0.05)
		v[0] += 1
		mem.Embedding = v
		mem.Content = fmt.Sprintf("Weekly routine note %d: the user walks, reads and cooks dinner.", i)
		if mem.Kind == memstore.KindPreference {
			mem.Preference = fmt.Sprintf("likes a calm weekly routine %d", i)
		}
		mem.Tags = []string{"routine", []string{"public", "private"}[i%2]}
		data = append(data, mem)
	}
	// Memories that alone hold a rare word, with vectors orthogonal (or opposite) to the query's.
	lexical := func(user, cube string, kind memstore.Kind, vec []float32, text string, tags ...string) memstore.Memory {
		mem := g.memory(user, cube, kind, base.Add(-time.Duration(g.n)*time.Minute))
		mem.Embedding, mem.Content, mem.Tags = vec, text, tags
		if kind == memstore.KindPreference {
			mem.Preference = text
		}
		return mem
	}
	axolotl := lexical("hy", "h1", memstore.KindFact, unit(1), "The user keeps a pet axolotl named Mochi.", "public", "pets")
	guzheng := lexical("hy", "h2", memstore.KindFact, vecOf(0, 0, 3), "用户收藏了一把古筝。", "public")
	zeppelin := lexical("hy", "h2", memstore.KindPreference, scale(unit(0), -2), "wants to ride a zeppelin", "private")
	// The same rare words where the query must not reach them.
	other := lexical("hy-other", "h1", memstore.KindFact, unit(0), "Another user's axolotl.", "public")
	thirdCube := lexical("hy", "h3", memstore.KindFact, unit(1), "An axolotl in the third cube.", "public")
	archived := lexical("hy", "h1", memstore.KindFact, unit(3), "The user used to keep an axolotl.", "public")
	archived.Status = memstore.StatusArchived
	expired := lexical("hy", "h2", memstore.KindFact, unit(4), "A borrowed axolotl, given back.", "public")
	expired.ExpiresAt = ptr(now.Add(-time.Hour))
	privateOne := lexical("hy", "h1", memstore.KindFact, unit(5), "A private note about an axolotl.", "private")
	data = append(data, axolotl, guzheng, zeppelin, other, thirdCube, archived, expired, privateOne)
	st := s.open(t)
	mustPut(t, st, data...)
	m := newModel(data...)

	user := memstore.Scope{UserID: "hy"}
	active := memstore.Filter{Now: now}
	public := memstore.Filter{Now: now, Expr: mustParseFilter(t, `{"tags": "public"}`)}
	mentions := memstore.Filter{Now: now, AnyStatus: true, Expr: mustParseFilter(t, `{"memory": {"like": "AXOLOTL"}}`)}
	cases := []struct {
		name  string
		scope memstore.Scope
		f     memstore.Filter
		vec   []float32
		text  string
		limit int
		must  []string
	}{
		{"rare English word, orthogonal vector", user, active, unit(0), "axolotl", 5, []string{axolotl.ID}},
		{"rare word among common ones, wide limit", user, active, unit(0), "the weekly axolotl routine", 20, []string{axolotl.ID}},
		{"rare Chinese word", user, active, unit(0), "古筝", 5, []string{guzheng.ID}},
		{"rare word, opposite vector", user, active, unit(0), "zeppelin", 5, []string{zeppelin.ID}},
		{"two rare words", user, active, unit(0), "axolotl 古筝", 6, []string{axolotl.ID, guzheng.ID}},
		{"one cube", memstore.Scope{UserID: "hy", CubeIDs: []string{"h1"}}, active, unit(0), "axolotl", 5, []string{axolotl.ID}},
		{"cube without the match", memstore.Scope{UserID: "hy", CubeIDs: []string{"h2"}}, active, unit(0), "axolotl", 5, nil},
		{"kind filter leaves the match out", user, memstore.Filter{Kind: memstore.KindPreference, Now: now}, unit(0), "axolotl", 5, nil},
		{"preferences", user, memstore.Filter{Kind: memstore.KindPreference, Now: now}, unit(0), "zeppelin", 3, []string{zeppelin.ID}},
		{"expr on tags", user, public, unit(0), "axolotl", 5, []string{axolotl.ID}},
		{"expr on tags leaves the match out", user, memstore.Filter{Now: now, Expr: mustParseFilter(t, `{"tags": "private"}`)}, unit(0), "axolotl", 5, []string{privateOne.ID}},
		{"expr on the text", user, mentions, unit(0), "axolotl", 10, []string{axolotl.ID, archived.ID, privateOne.ID}},
		{"expr on the text, limit 1", user, mentions, unit(0), "axolotl", 1, nil},
		{"archived", user, memstore.Filter{Statuses: []memstore.Status{memstore.StatusArchived}, Now: now}, unit(0), "axolotl", 5, []string{archived.ID}},
		{"expired included", user, memstore.Filter{Expiry: memstore.IncludeExpired}, unit(0), "borrowed axolotl", 5, []string{expired.ID}},
		{"other user", memstore.Scope{UserID: "hy-other"}, active, unit(0), "axolotl", 5, []string{other.ID}},
		{"third cube", memstore.Scope{UserID: "hy", CubeIDs: []string{"h3"}}, active, unit(2), "axolotl", 5, []string{thirdCube.ID}},
		{"user with no memories", memstore.Scope{UserID: "nobody"}, active, unit(0), "axolotl", 5, nil},
		{"limit 1", user, active, unit(0), "axolotl", 1, nil},
		{"limit 0", user, active, unit(0), "axolotl", 0, nil},
		{"limit above the matches", user, memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}, unit(0), "axolotl", 1000, nil},
		{"words no memory holds", user, active, unit(0), "qwzx vbnm", 5, nil},
		{"punctuation only", user, active, vecOf(1, 1), "?!", 5, nil},
		{"random vector", user, active, g.vec(), "routine axolotl 古筝 zeppelin", 8, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := memstore.VectorQuery{Scope: tc.scope, Filter: tc.f, Vector: tc.vec, Text: tc.text, Limit: tc.limit}
			checkHybrid(t, st, q, m, tc.must...)
			// Without the text the same query ranks by score alone.
			q.Text = ""
			checkSearch(t, st, q, m)
		})
	}
}

func (s *suite) testDelete(t *testing.T) {
	now := base.Add(time.Hour)
	g := newGen(11)
	var data []memstore.Memory
	for i := range 6 {
		m := g.memory([]string{"user-1", "user-2"}[i%2], "cube", memstore.KindFact, base.Add(time.Duration(i)*time.Second))
		m.Embedding = unit(0)
		data = append(data, m)
	}
	missing := g.id()
	cases := []struct {
		name string
		ask  []string
		want []string
	}{
		{"some ids", []string{data[0].ID, data[3].ID}, []string{data[0].ID, data[3].ID}},
		{"ids of two users", []string{data[1].ID, data[2].ID, data[5].ID}, []string{data[1].ID, data[2].ID, data[5].ID}},
		{"unknown ids ignored", []string{missing, data[4].ID, "not-a-uuid", ""}, []string{data[4].ID}},
		{"upper-case id gives the canonical id", []string{strings.ToUpper(data[2].ID)}, []string{data[2].ID}},
		{"repeated id removed once", []string{data[1].ID, data[1].ID}, []string{data[1].ID}},
		{"only unknown ids", []string{missing}, nil},
		{"no ids", nil, nil},
		{"everything", ids(data), ids(data)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := s.open(t)
			mustPut(t, st, data...)
			got, err := st.Delete(t.Context(), tc.ask)
			if err != nil {
				t.Fatalf("Delete(%q): %v", tc.ask, err)
			}
			if !sameSet(got, tc.want) {
				t.Errorf("Delete(%q) = %q, want %q", tc.ask, got, tc.want)
			}
			m := newModel(data...)
			m.delete(tc.want...)
			checkModel(t, st, m, now, "user-1", "user-2")
			again, err := st.Delete(t.Context(), tc.ask)
			if err != nil {
				t.Fatalf("second Delete(%q): %v", tc.ask, err)
			}
			if len(again) != 0 {
				t.Errorf("second Delete(%q) = %q, want nothing (already removed)", tc.ask, again)
			}
		})
	}
}

func (s *suite) testPutValidation(t *testing.T) {
	g := newGen(12)
	badID := func(m *memstore.Memory) { m.ID = "not-a-uuid" }
	dim := func(n int) func(m *memstore.Memory) {
		return func(m *memstore.Memory) { m.Embedding = make([]float32, n); m.Embedding[0] = 1 }
	}
	cases := []struct {
		name  string
		bad   func(m *memstore.Memory)
		first bool // put the bad memory first in the batch instead of last
	}{
		{"one dimension short, last", dim(Dim - 1), false},
		{"one dimension over, first", dim(Dim + 1), true},
		{"double dimension", dim(2 * Dim), false},
		{"no embedding", func(m *memstore.Memory) { m.Embedding = nil }, false},
		{"id that is not a UUID", badID, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := s.open(t)
			kept := g.memory("user-1", "cube-1", memstore.KindFact, base)
			mustPut(t, st, kept)
			replaced := kept.Clone()
			replaced.Content = "must not be stored"
			fresh := g.memory("user-1", "cube-1", memstore.KindPreference, base.Add(time.Second))
			bad := g.memory("user-1", "cube-2", memstore.KindFact, base.Add(2*time.Second))
			tc.bad(&bad)
			batch := []memstore.Memory{fresh, replaced, bad}
			if tc.first {
				batch = []memstore.Memory{bad, fresh, replaced}
			}
			if err := st.Put(t.Context(), batch); err == nil {
				t.Errorf("Put of a batch with a bad memory (%s): no error", tc.name)
			}
			checkModel(t, st, newModel(kept), base, "user-1")
		})
	}
	t.Run("empty batch", func(t *testing.T) {
		st := s.open(t)
		if err := st.Put(t.Context(), nil); err != nil {
			t.Errorf("Put(nil): %v", err)
		}
		if err := st.Put(t.Context(), []memstore.Memory{}); err != nil {
			t.Errorf("Put(empty): %v", err)
		}
		checkModel(t, st, model{}, base, "user-1")
	})
}

func (s *suite) testConcurrency(t *testing.T) {
	const workers, rounds, readers, reads = 6, 12, 3, 40
	st := s.open(t)
	now := base.Add(time.Hour)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		shared []memstore.Memory // what the workers put for the shared user
		owned  = make([][]memstore.Memory, workers)
	)
	ctx := t.Context()
	all := memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGen(uint64(100 + w))
			user := fmt.Sprintf("worker-%d", w)
			var mine []memstore.Memory
			for r := range rounds {
				batch := []memstore.Memory{
					g.memory(user, "cube", memstore.KindFact, base.Add(time.Duration(r)*time.Second)),
					g.memory(user, "cube", memstore.KindPreference, base),
					g.memory(user, "cube", memstore.KindFact, base),
					g.memory("shared", fmt.Sprintf("cube-%d", w), memstore.KindFact, base.Add(time.Duration(r%3)*time.Second)),
				}
				batch[2].Status = memstore.StatusArchived
				if err := st.Put(ctx, batch); err != nil {
					t.Errorf("%s: Put: %v", user, err)
					return
				}
				mine = append(mine, batch[:3]...)
				mu.Lock()
				shared = append(shared, batch[3])
				mu.Unlock()

				hits, err := st.Search(ctx, memstore.VectorQuery{Scope: memstore.Scope{UserID: user}, Filter: all, Vector: g.vec(), Limit: 5})
				if err != nil {
					t.Errorf("%s: Search: %v", user, err)
					return
				}
				for i := range hits {
					if hits[i].Memory.UserID != user || (i > 0 && hits[i].Score > hits[i-1].Score) {
						t.Errorf("%s: Search returned %v, not this user's memories by descending score", user, hitIDs(hits))
						break
					}
				}
				// Every write of this worker has returned, so its user's totals are exact.
				p, err := st.List(ctx, memstore.ListQuery{Scope: memstore.Scope{UserID: user}, Filter: all, Limit: 2})
				if err != nil {
					t.Errorf("%s: List: %v", user, err)
					return
				}
				if p.Total != len(mine) {
					t.Errorf("%s: List Total = %d after putting, want %d", user, p.Total, len(mine))
				}
				gone, err := st.Delete(ctx, []string{batch[0].ID})
				if err != nil || !slices.Equal(gone, []string{batch[0].ID}) {
					t.Errorf("%s: Delete(%s) = %v, %v", user, batch[0].ID, gone, err)
					return
				}
				gone, err = st.DeleteWhere(ctx, memstore.Scope{UserID: user}, memstore.Filter{Statuses: []memstore.Status{memstore.StatusArchived}, Now: now})
				if err != nil || !slices.Equal(gone, []string{batch[2].ID}) {
					t.Errorf("%s: DeleteWhere(archived) = %v, %v; want [%s]", user, gone, err, batch[2].ID)
					return
				}
				mine = slices.DeleteFunc(mine, func(m memstore.Memory) bool { return m.ID == batch[0].ID || m.ID == batch[2].ID })
				p, err = st.List(ctx, memstore.ListQuery{Scope: memstore.Scope{UserID: user}, Filter: all, Limit: 2})
				if err != nil || p.Total != len(mine) {
					t.Errorf("%s: List after deleting: Total %d, %v; want %d", user, p.Total, err, len(mine))
				}
			}
			owned[w] = mine
		}()
	}
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGen(uint64(200 + r))
			last := 0
			for range reads {
				// The shared user only gains memories, so a later List never counts fewer.
				p, err := st.List(ctx, memstore.ListQuery{Scope: memstore.Scope{UserID: "shared"}, Filter: all, Limit: 10})
				if err != nil {
					t.Errorf("reader %d: List: %v", r, err)
					return
				}
				if p.Total < last {
					t.Errorf("reader %d: shared user's Total went from %d down to %d", r, last, p.Total)
				}
				last = p.Total
				if len(p.Memories) > min(10, p.Total) {
					t.Errorf("reader %d: page of %d memories, Total %d, limit 10", r, len(p.Memories), p.Total)
				}
				hits, err := st.Search(ctx, memstore.VectorQuery{Scope: memstore.Scope{UserID: "shared"}, Filter: all, Vector: g.vec(), Limit: 10})
				if err != nil {
					t.Errorf("reader %d: Search: %v", r, err)
					return
				}
				for i := range hits {
					if hits[i].Memory.UserID != "shared" || (i > 0 && hits[i].Score > hits[i-1].Score) {
						t.Errorf("reader %d: Search returned %v, not the shared user's memories by descending score", r, hitIDs(hits))
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	m := newModel(shared...)
	for w := range workers {
		if len(owned[w]) != rounds {
			t.Errorf("worker %d kept %d memories, want %d", w, len(owned[w]), rounds)
		}
		m.put(owned[w]...)
	}
	if len(shared) != workers*rounds {
		t.Errorf("the shared user got %d memories, want %d", len(shared), workers*rounds)
	}
	checkModel(t, st, m, now)
}

func (s *suite) testUseAfterClose(t *testing.T) {
	g := newGen(13)
	st := s.open(t)
	mem := g.memory("user-1", "cube-1", memstore.KindFact, base)
	mustPut(t, st, mem)
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	scope := memstore.Scope{UserID: "user-1"}
	f := memstore.Filter{Now: base}
	calls := []struct {
		name string
		call func() error
	}{
		{"Put", func() error {
			return st.Put(t.Context(), []memstore.Memory{g.memory("user-1", "cube-1", memstore.KindFact, base)})
		}},
		{"Get", func() error { _, err := st.Get(t.Context(), []string{mem.ID}); return err }},
		{"List", func() error {
			_, err := st.List(t.Context(), memstore.ListQuery{Scope: scope, Filter: f, Limit: 10})
			return err
		}},
		{"List of an empty scope", func() error {
			_, err := st.List(t.Context(), memstore.ListQuery{Scope: memstore.Scope{UserID: "nobody"}, Filter: f, Limit: 10})
			return err
		}},
		{"Search", func() error {
			_, err := st.Search(t.Context(), memstore.VectorQuery{Scope: scope, Filter: f, Vector: mem.Embedding, Limit: 10})
			return err
		}},
		{"Delete", func() error { _, err := st.Delete(t.Context(), []string{mem.ID}); return err }},
		{"DeleteWhere", func() error { _, err := st.DeleteWhere(t.Context(), scope, f); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); err == nil {
				t.Errorf("%s after Close: no error", c.name)
			}
		})
	}
}

func (s *suite) testIdentityPerLocation(t *testing.T) {
	// A new location takes whatever embedder it is opened with; nothing is tied to Dim.
	wide := memstore.EmbedderIdentity{Name: "storetest-wide", Dim: 2 * Dim}
	st := s.openAt(t, s.f.NewLocation(t), wide)
	g := newGen(14)
	mem := g.memory("user-1", "cube-1", memstore.KindFact, base)
	mem.Embedding = make([]float32, wide.Dim)
	mem.Embedding[wide.Dim-1] = 3
	mustPut(t, st, mem)
	if err := st.Put(t.Context(), []memstore.Memory{g.memory("user-1", "cube-1", memstore.KindFact, base)}); err == nil {
		t.Errorf("Put of a %d-dimensional embedding into a %d-dimensional store: no error", Dim, wide.Dim)
	}
	q := make([]float32, wide.Dim)
	q[wide.Dim-1] = 1
	hits := mustSearch(t, st, memstore.VectorQuery{Scope: memstore.Scope{UserID: "user-1"}, Filter: memstore.Filter{Now: base}, Vector: q, Limit: 5})
	if len(hits) != 1 || hits[0].Memory.ID != mem.ID || math.Abs(hits[0].Score-1) > scoreTolerance {
		t.Errorf("Search in the %d-dimensional store: %v, want %s scoring 1", wide.Dim, hits, mem.ID)
	}
}

func (s *suite) testPersistence(t *testing.T) {
	now := base.Add(48 * time.Hour)
	loc := s.f.NewLocation(t)
	st := s.openAt(t, loc, Identity)
	data := filterData(now)
	mustPut(t, st, data...)
	m := newModel(data...)
	gone := []string{data[0].ID, data[7].ID, data[len(data)-1].ID}
	if _, err := st.Delete(t.Context(), gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	m.delete(gone...)
	changed := data[3].Clone()
	changed.Content, changed.Status, changed.CubeID = "changed before closing", memstore.StatusArchived, "c9"
	mustPut(t, st, changed)
	m.put(changed)
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	st = s.openAt(t, loc, Identity)
	t.Run("after the first reopen", func(t *testing.T) { checkModel(t, st, m, now, "u1", "u2") })
	g := newGen(15)
	later := g.memory("u1", "c1", memstore.KindFact, base.Add(time.Hour))
	mustPut(t, st, later)
	m.put(later)
	if _, err := st.DeleteWhere(t.Context(), memstore.Scope{UserID: "u2"}, memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}); err != nil {
		t.Fatalf("DeleteWhere: %v", err)
	}
	for _, x := range m {
		if x.UserID == "u2" {
			m.delete(x.ID)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	st = s.openAt(t, loc, Identity)
	t.Run("after the second reopen", func(t *testing.T) { checkModel(t, st, m, now, "u1", "u2") })
}

func (s *suite) testEmbedderGuard(t *testing.T) {
	cases := []struct {
		name  string
		other memstore.EmbedderIdentity
	}{
		{"other name", memstore.EmbedderIdentity{Name: Identity.Name + "-v2", Dim: Identity.Dim}},
		{"other dimension", memstore.EmbedderIdentity{Name: Identity.Name, Dim: 2 * Identity.Dim}},
		{"other name and dimension", memstore.EmbedderIdentity{Name: "ollama/nomic-embed-text", Dim: 768}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loc := s.f.NewLocation(t)
			st := s.openAt(t, loc, Identity)
			mem := newGen(16).memory("user-1", "cube-1", memstore.KindFact, base)
			mustPut(t, st, mem)
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			other, err := s.tryOpen(t, loc, tc.other)
			if err == nil {
				other.Close()
				t.Fatalf("reopening a store built with %s for %s: no error", Identity, tc.other)
			}
			if !errors.Is(err, memstore.ErrEmbedderMismatch) {
				t.Errorf("reopening for another embedder: error %q does not match memstore.ErrEmbedderMismatch", err)
			}
			for _, id := range []memstore.EmbedderIdentity{Identity, tc.other} {
				if !strings.Contains(err.Error(), id.String()) {
					t.Errorf("reopening for another embedder: error %q does not name %s", err, id)
				}
			}

			// The refused open leaves the store as it was.
			st = s.openAt(t, loc, Identity)
			checkModel(t, st, newModel(mem), base)
		})
	}
}
