package embedded

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
)

const testDim = 8

// refEntry is what the reference implementation knows of an entry.
type refEntry struct {
	id  [16]byte
	h   header
	vec []float32
}

// refIndex is a brute-force reference: a plain map, filtered with memstore.Filter.Match and sorted
// on every query.
type refIndex map[[16]byte]refEntry

func (r refEntry) memory() memstore.Memory {
	m := memstore.Memory{
		ID: uuid.UUID(r.id).String(), Kind: r.h.kind, Status: r.h.status, ConversationID: r.h.conv, UserID: r.h.user, CubeID: r.h.cube,
		MemoryType: memstore.MemoryType(r.h.memoryType), PreferenceType: memstore.PreferenceType(r.h.preferenceType),
		Polarity: memstore.Polarity(r.h.polarity), Key: r.h.key, Topic: r.h.topic, Confidence: float64(r.h.confidence),
		Tags: r.h.tags, Info: r.h.info, CreatedAt: r.h.created.time(), UpdatedAt: r.h.updated.time(), Content: r.h.text,
	}
	if r.h.hasExpiry {
		t := time.Unix(r.h.expires.sec, int64(r.h.expires.nsec))
		m.ExpiresAt = &t
	}
	return m
}

// all returns the entries the query selects, newest first (created desc, id desc). The index leaves
// an expression on text fields (memory, preference, background) to the store, which applies it to
// the records it loads, so such an expression selects every entry here.
func (ref refIndex) all(scope memstore.Scope, f memstore.Filter) []refEntry {
	if f.Expr.NeedsText() {
		f.Expr = nil
	}
	var out []refEntry
	for _, e := range ref {
		m := e.memory()
		if e.h.user == scope.UserID && scope.HasCube(e.h.cube) && f.Match(&m) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b refEntry) int {
		if a.h.created != b.h.created {
			if b.h.created.before(a.h.created) {
				return -1
			}
			return 1
		}
		return -bytes.Compare(a.id[:], b.id[:])
	})
	return out
}

func (ref refIndex) list(scope memstore.Scope, f memstore.Filter, offset, limit int) ([][16]byte, int) {
	all := ref.all(scope, f)
	var ids [][16]byte
	for _, e := range all[min(offset, len(all)):min(offset+limit, len(all))] {
		ids = append(ids, e.id)
	}
	return ids, len(all)
}

func (x *index) putRef(ref refIndex, e refEntry) {
	x.put(e.id, e.h, e.vec)
	ref[e.id] = e
}

func (x *index) removeRef(ref refIndex, id [16]byte) bool {
	delete(ref, id)
	return x.remove(id)
}

// checkIndex verifies the index's invariants and that it holds exactly what ref holds.
func checkIndex(t *testing.T, x *index, ref refIndex) {
	t.Helper()
	if len(x.byID) != len(ref) || x.len() != len(ref) {
		t.Errorf("index holds %d entries (len %d), want %d", len(x.byID), x.len(), len(ref))
	}
	seen := 0
	for user, parts := range x.users {
		if len(parts) == 0 {
			t.Errorf("user %q is kept with no partitions", user)
		}
		for key, p := range parts {
			where := fmt.Sprintf("partition (%q, %q, %s)", user, key.cube, key.kind)
			if p.user != user || p.key != key {
				t.Errorf("%s calls itself (%q, %q, %s)", where, p.user, p.key.cube, p.key.kind)
			}
			if len(p.order) == 0 {
				t.Errorf("%s is empty but kept", where)
			}
			if len(p.rows) != len(p.order) || p.stride < len(p.rows) || len(p.vecs) != p.stride*x.dim {
				t.Errorf("%s: %d in order, %d rows, room for %d in %d values of %d dimensions; rows not packed",
					where, len(p.order), len(p.rows), p.stride, len(p.vecs), x.dim)
				continue
			}
			for i := 1; i < len(p.order); i++ {
				if !less(p.order[i-1], p.order[i]) {
					t.Errorf("%s: order not sorted by (created, id) at %d: %d/%x then %d/%x", where, i,
						p.order[i-1].created, p.order[i-1].id, p.order[i].created, p.order[i].id)
				}
			}
			inOrder := make(map[*entry]bool, len(p.order))
			for _, e := range p.order {
				inOrder[e] = true
			}
			statuses := map[memstore.Status]int{}
			expiring := 0
			for row, e := range p.rows {
				if !inOrder[e] {
					t.Errorf("%s: row %d (%x) is not in order", where, row, e.id)
				}
				delete(inOrder, e)
				if e.row != row || e.part != p || x.byID[e.id] != e {
					t.Errorf("%s: row %d (%x) thinks it is row %d of another partition, or byID disagrees", where, row, e.id, e.row)
				}
				r, ok := ref[e.id]
				if !ok {
					t.Errorf("%s: entry %x should not be there", where, e.id)
					continue
				}
				if r.h.user != user || r.h.cube != key.cube || r.h.kind != key.kind || r.h.created != e.created ||
					r.h.expires != e.expires || r.h.hasExpiry != e.hasExpiry || r.h.status != e.status || r.h.conv != e.conv ||
					r.h.updated != e.updated || r.h.memoryType != e.memoryType || r.h.preferenceType != e.preferenceType ||
					r.h.polarity != e.polarity || r.h.key != e.key || r.h.topic != e.topic || r.h.confidence != e.confidence ||
					!slices.Equal(r.h.tags, e.tags) || !maps.Equal(r.h.info, e.info) {
					t.Errorf("%s: entry %x is %+v in partition (%q, %q, %s), want %+v", where, e.id, *e, user, key.cube, key.kind, r.h)
				}
				if want := terms(r.h.text); len(want) != len(e.terms) || e.removed {
					t.Errorf("%s: entry %x has %d terms (removed %v), want the %d of %q", where, e.id, len(e.terms), e.removed, len(want), r.h.text)
				}
				got := make([]float32, x.dim)
				for d := range got {
					got[d] = p.col(d)[row]
				}
				if !slices.Equal(got, r.vec) {
					t.Errorf("%s: row %d (%x) has vector %v, want %v", where, row, e.id, got, r.vec)
				}
				statuses[e.status]++
				if e.hasExpiry {
					expiring++
				}
				seen++
			}
			if len(inOrder) != 0 {
				t.Errorf("%s: %d entries in order have no row", where, len(inOrder))
			}
			for _, s := range []memstore.Status{memstore.StatusActivated, memstore.StatusArchived, memstore.StatusDeleted} {
				if p.statusCount[s] != statuses[s] {
					t.Errorf("%s: statusCount[%s] = %d, want %d", where, s, p.statusCount[s], statuses[s])
				}
			}
			if p.expiring != expiring {
				t.Errorf("%s: expiring = %d, want %d", where, p.expiring, expiring)
			}
			checkLex(t, where, p)
		}
	}
	if seen != len(ref) {
		t.Errorf("partitions hold %d entries, want %d", seen, len(ref))
	}
}

func unitVec(i int) []float32 {
	v := make([]float32, testDim)
	v[i%testDim] = 1
	return v
}

func randomUnit(rng *rand.Rand) []float32 {
	v := make([]float32, testDim)
	for {
		var sum float64
		for i := range v {
			v[i] = float32(rng.NormFloat64())
			sum += float64(v[i]) * float64(v[i])
		}
		if sum > 1e-3 {
			return memstore.Normalize(v)
		}
	}
}

func idOf(n int) [16]byte {
	var id [16]byte
	id[0], id[15] = byte(n>>8), byte(n)
	return id
}

// baseNanos is the creation time random entries are built around.
var baseNanos = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano()

var (
	testUsers = []string{"u0", "u1", "u2", "clean"}
	testCubes = []string{"a", "b", "c", "d"}
	testConvs = []string{"", "x", "y", "z"}
	testKinds = []memstore.Kind{memstore.KindFact, memstore.KindPreference}
	allStatus = []memstore.Status{memstore.StatusActivated, memstore.StatusArchived, memstore.StatusDeleted}

	testFactTypes  = []string{string(memstore.LongTermMemory), string(memstore.UserMemory), string(memstore.WorkingMemory)}
	testPolarities = []string{string(memstore.Like), string(memstore.Dislike), string(memstore.Want)}
	testTopics     = []string{"", "fruit", "music", "水果"}
	testKeys       = []string{"", "apple", "Apple pie", "jazz", "苹果"}
	testTags       = []string{"work", "homework", "travel", "family", "音乐"}
	testSources    = []string{"chat", "feedback", "import"}
	testDates      = []string{"2025-05-30", "2025-06-01", "2025-06-01T12:00:00Z", "2025-06-02", "2024-12-31"}
	testWords      = []string{"apple", "banana", "cherry", "jazz", "travel", "the", "user", "likes", "quiet", "苹果", "香蕉", "音乐"}
)

// randomEntry returns an entry with a creation time among 40 seconds (so many ties), and for every
// user but "clean" random statuses and expiry times (whole seconds, so some equal a query's now).
func randomEntry(rng *rand.Rand, id [16]byte) refEntry {
	created := baseNanos + int64(rng.IntN(40))*1e9
	if rng.IntN(10) == 0 {
		created += int64(rng.IntN(3)) // a few nanosecond differences
	}
	h := header{
		created: stampOf(time.Unix(0, created)),
		user:    testUsers[rng.IntN(len(testUsers))],
		cube:    testCubes[rng.IntN(len(testCubes))],
		kind:    testKinds[rng.IntN(len(testKinds))],
		conv:    testConvs[rng.IntN(len(testConvs))],
		status:  memstore.StatusActivated,
	}
	if h.user != "clean" {
		switch n := rng.IntN(10); {
		case n < 2:
			h.status = memstore.StatusArchived
		case n < 3:
			h.status = memstore.StatusDeleted
		}
		if rng.IntN(5) < 2 {
			h.expires, h.hasExpiry = stampOf(time.Unix(0, baseNanos+int64(rng.IntN(80)-20)*1e9)), true
		}
	}
	// The fields filter expressions read, and a text for the lexical index.
	h.updated = stampOf(time.Unix(0, created+int64(rng.IntN(10))*1e9))
	if h.kind == memstore.KindPreference {
		h.memoryType = string(memstore.PreferenceMemory)
		h.preferenceType = []string{string(memstore.ExplicitPreference), string(memstore.ImplicitPreference)}[rng.IntN(2)]
		h.polarity = testPolarities[rng.IntN(len(testPolarities))]
		h.topic = testTopics[rng.IntN(len(testTopics))]
	} else {
		h.memoryType = testFactTypes[rng.IntN(len(testFactTypes))]
	}
	h.key = testKeys[rng.IntN(len(testKeys))]
	setConfidence(&h, rng.IntN(numConfidences))
	for _, tag := range testTags {
		if rng.IntN(4) == 0 {
			h.tags = append(h.tags, tag)
		}
	}
	if n := rng.IntN(4); n > 0 {
		h.info = map[string]string{"source": testSources[rng.IntN(len(testSources))]}
		if n > 1 {
			h.info["date"] = testDates[rng.IntN(len(testDates))]
		}
	}
	h.text = randomText(rng, rng.IntN(8))
	return refEntry{id: id, h: h, vec: randomUnit(rng)}
}

// numConfidences is how many confidences setConfidence knows.
const numConfidences = 6

// setConfidence sets the i-th of a few confidences, some of which a float32 cannot hold exactly.
// Untyped constants, so the test does not depend on the precision the header keeps.
func setConfidence(h *header, i int) {
	switch i {
	case 0:
		h.confidence = 0
	case 1:
		h.confidence = 0.25
	case 2:
		h.confidence = 0.5
	case 3:
		h.confidence = 0.7
	case 4:
		h.confidence = 0.9
	default:
		h.confidence = 1
	}
}

// confidenceValue is the i-th confidence as the index holds it, for conditions that compare with it
// exactly. (Whether the index keeps the memory's float64 exactly is the conformance suite's
// concern: see storetest's FilterExpressions and RoundTrip.)
func confidenceValue(i int) float64 {
	var h header
	setConfidence(&h, i)
	return float64(h.confidence)
}

// randomText returns n words of testWords, space-separated.
func randomText(rng *rand.Rand, n int) string {
	words := make([]string, n)
	for i := range words {
		words[i] = testWords[rng.IntN(len(testWords))]
	}
	return strings.Join(words, " ")
}

func randomID(rng *rand.Rand) [16]byte {
	var id [16]byte
	for i := range id {
		id[i] = byte(rng.UintN(256))
	}
	return id
}

func randomFilter(rng *rand.Rand) memstore.Filter {
	f := memstore.Filter{Now: time.Unix(0, baseNanos+int64(rng.IntN(60))*1e9)}
	switch rng.IntN(3) {
	case 1:
		f.Kind = memstore.KindFact
	case 2:
		f.Kind = memstore.KindPreference
	}
	switch n := rng.IntN(20); {
	case n < 8:
		// default: activated only
	case n < 13:
		f.AnyStatus = true
		if rng.IntN(2) == 0 {
			f.Statuses = []memstore.Status{memstore.StatusDeleted} // ignored
		}
	default:
		for _, s := range allStatus {
			if rng.IntN(2) == 0 {
				f.Statuses = append(f.Statuses, s)
			}
		}
		if len(f.Statuses) == 0 {
			f.Statuses = []memstore.Status{memstore.StatusArchived}
		}
	}
	if rng.IntN(4) == 0 {
		f.ConversationID = []string{"x", "y", "z", "none"}[rng.IntN(4)]
	}
	f.Expiry = memstore.Expiry(rng.IntN(3))
	if f.Expiry == memstore.IncludeExpired && rng.IntN(2) == 0 {
		f.Now = time.Time{} // not needed
	}
	if rng.IntN(2) == 0 {
		raw := randomExpr(rng, 0)
		e, err := memstore.ParseFilter("filter", raw)
		if err != nil {
			panic(fmt.Sprintf("random filter %v does not parse: %v", raw, err))
		}
		f.Expr = e
	}
	return f
}

// randomExpr returns a MemOS filter (as decoded JSON) over the attributes randomEntry sets: a
// condition, several conditions in one object, or an and/or of those, nested up to three levels.
func randomExpr(rng *rand.Rand, depth int) map[string]any {
	switch n := rng.IntN(6); {
	case depth < 2 && n < 2:
		list := make([]any, 2+rng.IntN(2))
		for i := range list {
			list[i] = randomExpr(rng, depth+1)
		}
		return map[string]any{[]string{"and", "or"}[n]: list}
	case n == 2:
		merged := randomCond(rng)
		for k, v := range randomCond(rng) {
			merged[k] = v // two conditions on one field keep the later; both are fine
		}
		return merged
	default:
		return randomCond(rng)
	}
}

// randomCond returns one condition on one field, with an operator the field allows.
func randomCond(rng *rand.Rand) map[string]any {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	some := func(list []string) []any {
		out := []any{pick(list)}
		if rng.IntN(2) == 0 {
			out = append(out, pick(list))
		}
		return out
	}
	order := func() string { return pick([]string{"gt", "gte", "lt", "lte"}) }
	at := func() string {
		return time.Unix(0, baseNanos+int64(rng.IntN(50)-5)*1e9).UTC().Format(time.RFC3339)
	}
	switch rng.IntN(16) {
	case 0:
		return map[string]any{"memory_type": pick(append(slices.Clone(testFactTypes), string(memstore.PreferenceMemory)))}
	case 1:
		return map[string]any{"memory_type": map[string]any{"in": some(testFactTypes)}}
	case 2:
		return map[string]any{"tags": pick(testTags)}
	case 3:
		return map[string]any{"tags": map[string]any{pick([]string{"contains", "like"}): pick([]string{"work", "WORK", "am", "音", "travel"})}}
	case 4:
		return map[string]any{"tags": map[string]any{"in": some(testTags)}}
	case 5:
		if rng.IntN(2) == 0 {
			return map[string]any{"info.source": pick(testSources)}
		}
		return map[string]any{"info.source": map[string]any{"in": some(testSources)}}
	case 6:
		return map[string]any{"info.date": map[string]any{order(): pick(testDates)}}
	case 7:
		if rng.IntN(2) == 0 {
			return map[string]any{"key": pick(testKeys[1:])}
		}
		return map[string]any{"key": map[string]any{pick([]string{"like", "contains"}): pick([]string{"apple", "%APPLE%", "pie", "苹"})}}
	case 8:
		return map[string]any{"topic": map[string]any{"in": some(testTopics[1:])}}
	case 9:
		return map[string]any{"polarity": pick(testPolarities), "preference_type": pick([]string{"explicit_preference", "implicit_preference"})}
	case 10:
		return map[string]any{"confidence": map[string]any{order(): confidenceValue(rng.IntN(numConfidences))}}
	case 11:
		return map[string]any{"created_at": map[string]any{order(): at()}}
	case 12:
		return map[string]any{pick([]string{"updated_at", "expires_at"}): map[string]any{order(): at()}}
	case 13:
		return map[string]any{pick([]string{"cube_id", "conversation_id"}): map[string]any{pick([]string{"eq", "gt", "lt"}): pick([]string{"a", "b", "x", "y"})}}
	case 14:
		if rng.IntN(2) == 0 {
			return map[string]any{"status": map[string]any{"in": some([]string{"activated", "archived", "deleted"})}}
		}
		return map[string]any{"kind": pick([]string{"fact", "preference"})}
	default:
		// A text field: the index must leave it to the store.
		return map[string]any{pick([]string{"memory", "preference", "background"}): map[string]any{"like": pick(testWords)}}
	}
}

func randomScope(rng *rand.Rand) memstore.Scope {
	users := append(slices.Clone(testUsers), "nobody")
	s := memstore.Scope{UserID: users[rng.IntN(len(users))]}
	cubes := append(slices.Clone(testCubes), "zz")
	for range rng.IntN(4) {
		s.CubeIDs = append(s.CubeIDs, cubes[rng.IntN(len(cubes))])
	}
	return s
}

type pathStats struct{ fast, merge int }

// takesFastPath reports whether list takes its single-partition shortcut for this query.
func (x *index) takesFastPath(scope memstore.Scope, f memstore.Filter) bool {
	parts := x.parts(scope, f)
	return len(parts) == 1 && parts[0].matchesAll(f)
}

// checkQuery compares list (a page and a walk over all pages), matching and search with the
// reference for one query.
func checkQuery(t *testing.T, x *index, ref refIndex, rng *rand.Rand, scope memstore.Scope, f memstore.Filter, stats *pathStats) {
	t.Helper()
	what := fmt.Sprintf("scope %+v filter %+v", scope, f)
	all := ref.all(scope, f)
	if x.takesFastPath(scope, f) {
		stats.fast++
	} else {
		stats.merge++
	}

	offset, limit := rng.IntN(len(all)+4), 1+rng.IntN(30)
	got, total := x.list(scope, f, offset, limit)
	want, wantTotal := ref.list(scope, f, offset, limit)
	if total != wantTotal || !slices.Equal(got, want) {
		t.Errorf("list(%s, offset %d, limit %d) = %x (total %d), want %x (total %d)", what, offset, limit, got, total, want, wantTotal)
	}

	size := 1 + rng.IntN(25)
	var walked [][16]byte
	for off := 0; off <= len(all); off += size {
		page, total := x.list(scope, f, off, size)
		if total != len(all) {
			t.Errorf("list(%s, offset %d, limit %d): total %d, want %d", what, off, size, total, len(all))
		}
		walked = append(walked, page...)
	}
	wantAll := make([][16]byte, len(all))
	for i, e := range all {
		wantAll[i] = e.id
	}
	if !slices.Equal(walked, wantAll) {
		t.Errorf("walking list(%s) by pages of %d gave %d ids, want the %d matching entries once each, newest first",
			what, size, len(walked), len(all))
	}

	matched := x.matching(scope, f)
	slices.SortFunc(matched, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	slices.SortFunc(wantAll, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	if !slices.Equal(matched, wantAll) {
		t.Errorf("matching(%s) returned %d ids, want %d", what, len(matched), len(wantAll))
	}

	q := randomUnit(rng)
	if rng.IntN(3) == 0 {
		q = unitVec(rng.IntN(testDim)) // sparse: one non-zero dimension
	}
	k := 1 + rng.IntN(20)
	checkSearch(t, x, ref, scope, f, q, k)

	text := randomText(rng, 1+rng.IntN(3))
	if rng.IntN(5) == 0 {
		text += " zzzunknown"
	}
	checkTextSearch(t, x, ref, scope, f, q, text, k)
	checkBM25(t, x, ref, scope, f, text)
}

// checkTextSearch checks a search with text (vector and BM25 rankings fused) for what any fusion
// must give: min(k, matching) hits, each inside the query, none twice, each scored with its cosine.
func checkTextSearch(t *testing.T, x *index, ref refIndex, scope memstore.Scope, f memstore.Filter, q []float32, text string, k int) []scored {
	t.Helper()
	what := fmt.Sprintf("search(scope %+v, filter %+v, text %q, limit %d)", scope, f, text, k)
	all := ref.all(scope, f)
	got := x.search(scope, f, q, text, k)
	if len(got) != min(max(k, 0), len(all)) {
		t.Errorf("%s: %d hits, want %d", what, len(got), min(max(k, 0), len(all)))
	}
	inQuery := map[[16]byte]bool{}
	for _, e := range all {
		inQuery[e.id] = true
	}
	seen := map[[16]byte]bool{}
	for _, s := range got {
		if !inQuery[s.e.id] || seen[s.e.id] || x.byID[s.e.id] != s.e {
			t.Errorf("%s: hit %x is outside the query, repeated or removed", what, s.e.id)
			continue
		}
		seen[s.e.id] = true
		if cos := memstore.Cosine(q, ref[s.e.id].vec); math.Abs(s.score-cos) > 1e-5 {
			t.Errorf("%s: hit %x scores %v, its cosine is %v", what, s.e.id, s.score, cos)
		}
	}
	return got
}

// refBM25 scores the entries the query selects against text by the BM25 formula, computed from
// scratch: the collection is every entry of the partitions in the scope (of the filter's kind),
// document frequencies count those entries, and lengths are sums of weighted term frequencies.
func refBM25(ref refIndex, scope memstore.Scope, f memstore.Filter, text string) map[[16]byte]float64 {
	type doc struct {
		id     [16]byte
		tf     map[uint64]float64
		length float64
	}
	var docs []doc
	total := 0.0
	for _, e := range ref {
		if e.h.user != scope.UserID || !scope.HasCube(e.h.cube) || (f.Kind != "" && e.h.kind != f.Kind) {
			continue
		}
		d := doc{id: e.id, tf: map[uint64]float64{}}
		var length float32
		for _, tm := range terms(e.h.text) {
			d.tf[tm.hash] = float64(tm.tf)
			length += tm.tf
		}
		d.length = float64(length)
		total += d.length
		docs = append(docs, d)
	}
	scores := map[[16]byte]float64{}
	if len(docs) == 0 {
		return scores
	}
	selected := map[[16]byte]bool{}
	for _, e := range ref.all(scope, f) {
		selected[e.id] = true
	}
	n, avg := float64(len(docs)), total/float64(len(docs))
	for _, q := range terms(text) {
		df := 0.0
		for _, d := range docs {
			if d.tf[q.hash] > 0 {
				df++
			}
		}
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, d := range docs {
			if tf := d.tf[q.hash]; tf > 0 && selected[d.id] {
				scores[d.id] += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*d.length/avg)) * float64(q.tf)
			}
		}
	}
	return scores
}

// checkBM25 checks bm25 against the reference: exactly the live entries in the query that hold a
// query term score, every score is positive, and while no removed entry lingers in the postings
// the scores are the formula's.
func checkBM25(t *testing.T, x *index, ref refIndex, scope memstore.Scope, f memstore.Filter, text string) {
	t.Helper()
	what := fmt.Sprintf("bm25(scope %+v, filter %+v, text %q)", scope, f, text)
	parts := x.parts(scope, f)
	got := bm25(parts, f, terms(text))
	want := refBM25(ref, scope, f, text)
	exact := true
	for _, p := range parts {
		exact = exact && p.lex.dead == 0
	}
	for e, sc := range got {
		switch w, ok := want[e.id]; {
		case x.byID[e.id] != e:
			t.Errorf("%s: removed entry %x scores %v", what, e.id, sc)
		case !ok:
			t.Errorf("%s: %x (%q) scores %v but is outside the query or holds no query term", what, e.id, ref[e.id].h.text, sc)
		case !(sc > 0):
			t.Errorf("%s: %x (%q) scores %v, want a positive score", what, e.id, ref[e.id].h.text, sc)
		case exact && math.Abs(sc-w) > 1e-6*math.Max(1, math.Abs(w)):
			t.Errorf("%s: %x (%q) scores %v, the formula gives %v", what, e.id, ref[e.id].h.text, sc, w)
		}
	}
	for id := range want {
		if e := x.byID[id]; e == nil || got[e] == 0 {
			t.Errorf("%s: %x (%q) holds a query term but does not score", what, id, ref[id].h.text)
		}
	}
}

// checkLex verifies a partition's inverted index: each live entry is posted under each of its terms
// exactly once, every other posted entry is a removed one, no posting list is empty, the live count
// and total length are the live entries', and removed entries are compacted away in time.
func checkLex(t *testing.T, where string, p *part) {
	t.Helper()
	l := &p.lex
	live := make(map[*entry]bool, len(p.order))
	total := 0.0
	for _, e := range p.order {
		live[e] = true
		total += float64(e.length)
		if e.removed {
			t.Errorf("%s: live entry %x is marked removed", where, e.id)
		}
		var length float32
		for _, tm := range e.terms {
			length += tm.tf
		}
		if !slices.IsSortedFunc(e.terms, func(a, b term) int { return cmp.Compare(a.hash, b.hash) }) || length != e.length {
			t.Errorf("%s: entry %x: terms not sorted by hash, or length %v is not their sum %v", where, e.id, e.length, length)
		}
	}
	if l.live != len(p.order) {
		t.Errorf("%s: lexical index counts %d live entries, the partition has %d", where, l.live, len(p.order))
	}
	if math.Abs(l.totalLen-total) > 1e-3*math.Max(1, total) {
		t.Errorf("%s: lexical index total length %v, the live entries' is %v", where, l.totalLen, total)
	}
	dead := map[*entry]bool{}
	for h, list := range l.postings {
		if len(list) == 0 {
			t.Errorf("%s: empty posting list kept for %x", where, h)
		}
		seen := map[*entry]bool{}
		for _, ps := range list {
			e := ps.e
			switch {
			case seen[e]:
				t.Errorf("%s: %x posted twice under %x", where, e.id, h)
			case e.tfOf(h) == 0 || e.tfOf(h) != ps.tf:
				t.Errorf("%s: %x posted under %x, a term it does not hold", where, e.id, h)
			case !live[e] && !e.removed:
				t.Errorf("%s: %x posted under %x is neither live in the partition nor removed", where, e.id, h)
			case !live[e]:
				dead[e] = true
			}
			seen[e] = true
		}
	}
	for e := range live {
		for _, tm := range e.terms {
			if !slices.ContainsFunc(l.postings[tm.hash], func(ps posting) bool { return ps.e == e }) {
				t.Errorf("%s: live entry %x is missing from the posting list of %x", where, e.id, tm.hash)
			}
		}
	}
	if len(dead) > l.dead {
		t.Errorf("%s: %d removed entries still posted, but the index counts %d", where, len(dead), l.dead)
	}
	if l.dead > l.live+64 {
		t.Errorf("%s: %d removed entries against %d live ones, and no compaction", where, l.dead, l.live)
	}
}

// checkSearch compares search with a brute-force scan of the reference.
func checkSearch(t *testing.T, x *index, ref refIndex, scope memstore.Scope, f memstore.Filter, q []float32, k int) []scored {
	t.Helper()
	what := fmt.Sprintf("search(scope %+v, filter %+v, limit %d)", scope, f, k)
	all := ref.all(scope, f)
	cos := func(id [16]byte) float64 { return memstore.Cosine(q, ref[id].vec) }
	got := x.search(scope, f, q, "", k)
	if len(got) != min(k, len(all)) {
		t.Errorf("%s: %d hits, want %d", what, len(got), min(k, len(all)))
	}
	inQuery := map[[16]byte]bool{}
	for _, e := range all {
		inQuery[e.id] = true
	}
	seen := map[[16]byte]bool{}
	for i, s := range got {
		if !inQuery[s.e.id] || seen[s.e.id] {
			t.Errorf("%s: hit %x is outside the query or repeated", what, s.e.id)
		}
		seen[s.e.id] = true
		if math.Abs(s.score-cos(s.e.id)) > 1e-5 {
			t.Errorf("%s: hit %x scores %v, its cosine is %v", what, s.e.id, s.score, cos(s.e.id))
		}
		if i > 0 && better(s, got[i-1]) {
			t.Errorf("%s: hit %d ranks above hit %d", what, i, i-1)
		}
	}
	if len(got) > 0 {
		last := got[len(got)-1].score
		for _, e := range all {
			if !seen[e.id] && cos(e.id) > last+1e-5 {
				t.Errorf("%s: %x (cosine %v) left out, the last hit scores %v", what, e.id, cos(e.id), last)
			}
		}
	}
	return got
}

func TestIndexListAndSearchMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20250601, 42))
	x := newIndex(testDim)
	ref := refIndex{}
	var ids [][16]byte
	for range 700 {
		id := randomID(rng)
		x.putRef(ref, randomEntry(rng, id))
		ids = append(ids, id)
	}
	var stats pathStats
	phase := func(name string) {
		t.Run(name, func(t *testing.T) {
			checkIndex(t, x, ref)
			for range 300 {
				checkQuery(t, x, ref, rng, randomScope(rng), randomFilter(rng), &stats)
			}
			// Every single partition with filters that take it whole: the fast path.
			for _, u := range testUsers {
				for _, c := range testCubes {
					for _, k := range testKinds {
						scope := memstore.Scope{UserID: u, CubeIDs: []string{c}}
						checkQuery(t, x, ref, rng, scope, memstore.Filter{Kind: k, AnyStatus: true, Expiry: memstore.IncludeExpired}, &stats)
						checkQuery(t, x, ref, rng, scope, memstore.Filter{Kind: k, Now: time.Unix(0, baseNanos)}, &stats)
					}
				}
			}
		})
	}
	phase("after 700 puts")

	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for _, id := range ids[:200] {
		if !x.removeRef(ref, id) {
			t.Fatalf("remove(%x) = false for a present entry", id)
		}
	}
	if x.remove(ids[0]) {
		t.Errorf("remove(%x) of a removed entry = true", ids[0])
	}
	ids = ids[200:]
	phase("after 200 removals")

	for _, id := range ids[:200] {
		x.putRef(ref, randomEntry(rng, id)) // same id, new header and vector
	}
	phase("after 200 replacements")

	for range 150 {
		x.putRef(ref, randomEntry(rng, randomID(rng)))
	}
	for _, id := range ids[200:300] {
		x.removeRef(ref, id)
	}
	phase("after more puts and removals")

	t.Logf("list took the fast path %d times and the merge path %d times", stats.fast, stats.merge)
	if stats.fast < 50 || stats.merge < 50 {
		t.Errorf("list took the fast path %d times and the merge path %d times; want both exercised (≥ 50)", stats.fast, stats.merge)
	}
}

func TestIndexPutKeepsOrderSorted(t *testing.T) {
	created := []int64{5, 1, 3, 3, 3, 9, 0, 5, 7, 3}
	cases := []struct {
		name  string
		order func(n int) []int
	}{
		{"ascending", func(n int) []int { return seq(n) }},
		{"descending", func(n int) []int { s := seq(n); slices.Reverse(s); return s }},
		{"shuffled", func(n int) []int {
			s := seq(n)
			rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
			return s
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newIndex(testDim)
			ref := refIndex{}
			for _, i := range tc.order(len(created)) {
				x.putRef(ref, refEntry{id: idOf(len(created) - i), vec: unitVec(i),
					h: header{created: ns(created[i]), user: "u", cube: "c", kind: memstore.KindFact, status: memstore.StatusActivated}})
				checkIndex(t, x, ref)
			}
			got, total := x.list(memstore.Scope{UserID: "u"}, memstore.Filter{}, 0, 100)
			want, _ := ref.list(memstore.Scope{UserID: "u"}, memstore.Filter{}, 0, 100)
			if total != len(created) || !slices.Equal(got, want) {
				t.Errorf("list = %x (total %d), want %x", got, total, want)
			}
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestIndexRemoveKeepsRowsPacked(t *testing.T) {
	const n = 5
	cases := []struct {
		name   string
		remove []int // rows (= insertion positions) to remove, in turn
	}{
		{"first row", []int{0}},
		{"middle row", []int{2}},
		{"last row", []int{n - 1}},
		{"two middle rows", []int{1, 2}},
		{"all but one", []int{3, 0, 4, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newIndex(testDim)
			ref := refIndex{}
			for i := range n {
				x.putRef(ref, refEntry{id: idOf(i), vec: unitVec(i),
					h: header{created: ns(int64(100 - i)), user: "u", cube: "c", kind: memstore.KindFact, status: memstore.StatusActivated}})
			}
			p := x.users["u"][partKey{cube: "c", kind: memstore.KindFact}]
			for _, i := range tc.remove {
				e := x.byID[idOf(i)]
				row, last := e.row, p.rows[len(p.rows)-1]
				if !x.removeRef(ref, idOf(i)) {
					t.Fatalf("remove(%d) = false", i)
				}
				if last != e && (last.row != row || p.rows[row] != last) {
					t.Errorf("after removing row %d, the last row (%x) is at row %d, want it moved into the hole", row, last.id, last.row)
				}
				checkIndex(t, x, ref)
			}
			// Every remaining entry is still found by its own vector, with a score of 1.
			for id, r := range ref {
				hits := x.search(memstore.Scope{UserID: "u"}, memstore.Filter{}, r.vec, "", 1)
				if len(hits) != 1 || hits[0].e.id != id || math.Abs(hits[0].score-1) > 1e-6 {
					t.Errorf("search by the vector of %x: %v, want it with score 1", id, hits)
				}
			}
			got, total := x.list(memstore.Scope{UserID: "u"}, memstore.Filter{}, 0, 10)
			want, wantTotal := ref.list(memstore.Scope{UserID: "u"}, memstore.Filter{}, 0, 10)
			if total != wantTotal || !slices.Equal(got, want) {
				t.Errorf("list = %x (total %d), want %x (total %d)", got, total, want, wantTotal)
			}
		})
	}
}

func TestIndexPartitionsDeletedWhenEmpty(t *testing.T) {
	x := newIndex(testDim)
	ref := refIndex{}
	h := func(user, cube string, kind memstore.Kind) header {
		return header{created: ns(1), user: user, cube: cube, kind: kind, status: memstore.StatusActivated}
	}
	x.putRef(ref, refEntry{id: idOf(1), h: h("u", "a", memstore.KindFact), vec: unitVec(1)})
	x.putRef(ref, refEntry{id: idOf(2), h: h("u", "a", memstore.KindFact), vec: unitVec(2)})
	x.putRef(ref, refEntry{id: idOf(3), h: h("u", "b", memstore.KindPreference), vec: unitVec(3)})
	x.putRef(ref, refEntry{id: idOf(4), h: h("v", "a", memstore.KindFact), vec: unitVec(4)})
	checkIndex(t, x, ref)

	steps := []struct {
		name      string
		do        func()
		wantParts map[string]int // partitions per user; a user missing here must be gone
	}{
		{"remove one of two", func() { x.removeRef(ref, idOf(1)) }, map[string]int{"u": 2, "v": 1}},
		{"remove the other", func() { x.removeRef(ref, idOf(2)) }, map[string]int{"u": 1, "v": 1}},
		{"move the last of u to v by a put", func() {
			x.putRef(ref, refEntry{id: idOf(3), h: h("v", "c", memstore.KindFact), vec: unitVec(5)})
		}, map[string]int{"v": 2}},
		{"move between kinds", func() {
			x.putRef(ref, refEntry{id: idOf(3), h: h("v", "c", memstore.KindPreference), vec: unitVec(5)})
		}, map[string]int{"v": 2}},
		{"remove the rest", func() { x.removeRef(ref, idOf(3)); x.removeRef(ref, idOf(4)) }, map[string]int{}},
		{"put again", func() { x.putRef(ref, refEntry{id: idOf(1), h: h("u", "a", memstore.KindFact), vec: unitVec(1)}) }, map[string]int{"u": 1}},
	}
	for _, step := range steps {
		step.do()
		checkIndex(t, x, ref)
		if len(x.users) != len(step.wantParts) {
			t.Errorf("after %s: %d users indexed, want %d", step.name, len(x.users), len(step.wantParts))
		}
		for u, n := range step.wantParts {
			if len(x.users[u]) != n {
				t.Errorf("after %s: user %q has %d partitions, want %d", step.name, u, len(x.users[u]), n)
			}
		}
	}
}

func TestIndexReplaceUpdatesCounts(t *testing.T) {
	x := newIndex(testDim)
	ref := refIndex{}
	id := idOf(7)
	x.putRef(ref, refEntry{id: id, vec: unitVec(0), h: header{created: ns(1), user: "u", cube: "a", kind: memstore.KindFact, status: memstore.StatusActivated}})
	x.putRef(ref, refEntry{id: idOf(8), vec: unitVec(1), h: header{created: ns(2), user: "u", cube: "a", kind: memstore.KindFact, status: memstore.StatusActivated}})
	f := memstore.Filter{Now: time.Unix(0, 50)}
	if !x.takesFastPath(memstore.Scope{UserID: "u"}, f) {
		t.Errorf("a partition of activated, unexpired entries does not take the fast path")
	}
	x.putRef(ref, refEntry{id: id, vec: unitVec(2), h: header{created: ns(3), expires: ns(10), hasExpiry: true, user: "u", cube: "a", kind: memstore.KindFact, status: memstore.StatusArchived}})
	checkIndex(t, x, ref)
	if x.takesFastPath(memstore.Scope{UserID: "u"}, f) {
		t.Errorf("after replacing an entry by an archived, expired one, the partition still takes the fast path")
	}
	for _, f := range []memstore.Filter{f, {AnyStatus: true, Expiry: memstore.IncludeExpired}, {AnyStatus: true, Expiry: memstore.OnlyExpired, Now: f.Now}} {
		got, total := x.list(memstore.Scope{UserID: "u"}, f, 0, 10)
		want, wantTotal := ref.list(memstore.Scope{UserID: "u"}, f, 0, 10)
		if total != wantTotal || !slices.Equal(got, want) {
			t.Errorf("list(%+v) = %x (total %d), want %x (total %d)", f, got, total, want, wantTotal)
		}
	}
}

func TestIndexSearchLimit(t *testing.T) {
	x := newIndex(testDim)
	for i := range 4 {
		x.put(idOf(i), header{created: ns(int64(i)), user: "u", cube: "a", kind: memstore.KindFact, status: memstore.StatusActivated}, unitVec(i))
	}
	for _, tc := range []struct{ limit, want int }{{-1, 0}, {0, 0}, {1, 1}, {3, 3}, {4, 4}, {10, 4}} {
		if got := x.search(memstore.Scope{UserID: "u"}, memstore.Filter{}, unitVec(0), "", tc.limit); len(got) != tc.want {
			t.Errorf("search with limit %d: %d hits, want %d", tc.limit, len(got), tc.want)
		}
	}
	// Equal scores: the newer entry first.
	hits := x.search(memstore.Scope{UserID: "u"}, memstore.Filter{}, unitVec(7), "", 4)
	for i := 1; i < len(hits); i++ {
		if hits[i].score != 0 || less(hits[i-1].e, hits[i].e) {
			t.Errorf("equal scores not ordered newest first: %d/%v before %d/%v", hits[i-1].e.created, hits[i-1].score, hits[i].e.created, hits[i].score)
		}
	}
}

func TestScoreColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const rows, dim = 7, 13
	p := &part{}
	want := make([][]float32, rows)
	for i := range rows {
		if len(p.rows) == p.stride {
			p.grow(dim) // columns have room beyond the rows
		}
		want[i] = make([]float32, dim)
		for d := range dim {
			want[i][d] = float32(rng.NormFloat64())
			p.vecs[d*p.stride+i] = want[i][d]
		}
		p.rows = append(p.rows, &entry{row: i, part: p})
	}
	for _, nnz := range []int{0, 1, 3, 4, 5, 8, 13} {
		q := make([]float32, dim)
		var nz []int
		for _, d := range rng.Perm(dim)[:nnz] {
			q[d] = float32(rng.NormFloat64())
		}
		for d, v := range q {
			if v != 0 {
				nz = append(nz, d)
			}
		}
		scores := make([]float32, rows)
		scoreColumns(scores, p, q, nz)
		for i := range rows {
			var exact float64
			for d := range dim {
				exact += float64(q[d]) * float64(want[i][d])
			}
			if math.Abs(float64(scores[i])-exact) > 1e-4*math.Max(1, math.Abs(exact)) {
				t.Errorf("%d nonzeros, row %d: score %v, want %v", nnz, i, scores[i], exact)
			}
			if got := dotRow(p.rows[i], q); math.Abs(float64(got)-exact) > 1e-4*math.Max(1, math.Abs(exact)) {
				t.Errorf("%d nonzeros, row %d: dotRow %v, want %v", nnz, i, got, exact)
			}
		}
	}
}

// ns is the stamp n nanoseconds after the Unix epoch.
func ns(n int64) stamp { return stampOf(time.Unix(0, n)) }

// textEntry is an activated fact of user u in cube a with this text, created at n nanoseconds.
func textEntry(n int, text string, vec []float32) refEntry {
	return refEntry{id: idOf(n), vec: vec, h: header{created: ns(int64(n)), user: "u", cube: "a",
		kind: memstore.KindFact, status: memstore.StatusActivated, text: text}}
}

// lexScores returns bm25's scores of user u's entries in cube a against text, by entry number.
func lexScores(t *testing.T, x *index, text string) map[int]float64 {
	t.Helper()
	f := memstore.Filter{AnyStatus: true, Expiry: memstore.IncludeExpired}
	out := map[int]float64{}
	for e, sc := range bm25(x.parts(memstore.Scope{UserID: "u", CubeIDs: []string{"a"}}, f), f, terms(text)) {
		if x.byID[e.id] != e {
			t.Errorf("bm25(%q): removed entry %x scores %v", text, e.id, sc)
			continue
		}
		out[int(e.id[0])<<8|int(e.id[15])] = sc
	}
	return out
}

func TestLexIndexPostingsThroughPutReplaceRemove(t *testing.T) {
	shared := terms("shared")[0].hash
	put := func(x *index, ref refIndex, from, to int) {
		for i := from; i < to; i++ {
			x.putRef(ref, textEntry(i, fmt.Sprintf("word%d shared", i), unitVec(i)))
		}
	}
	remove := func(x *index, ref refIndex, from, to int) {
		for i := from; i < to; i++ {
			x.removeRef(ref, idOf(i))
		}
	}
	cases := []struct {
		name       string
		run        func(x *index, ref refIndex)
		query      string
		wantScored []int // the entries that must score for the query, and only they
		wantDead   int   // removed entries the partition still counts; -1: the partition is gone
		wantPosted int   // entries, live or removed, in the posting list of "shared"
	}{
		{"puts", func(x *index, ref refIndex) { put(x, ref, 0, 10) }, "shared word3", seq(10), 0, 10},
		{"some removed", func(x *index, ref refIndex) {
			put(x, ref, 0, 10)
			for _, i := range []int{2, 5, 7} {
				x.removeRef(ref, idOf(i))
			}
		}, "shared word5 word7", []int{0, 1, 3, 4, 6, 8, 9}, 3, 10},
		{"replaced by a new text", func(x *index, ref refIndex) {
			put(x, ref, 0, 10)
			x.putRef(ref, textEntry(3, "fresh", unitVec(3)))
		}, "word3 fresh", []int{3}, 1, 10}, // the replaced entry stays posted, marked removed
		{"replaced by the same text twice", func(x *index, ref refIndex) {
			put(x, ref, 0, 10)
			put(x, ref, 3, 4)
			put(x, ref, 3, 4)
		}, "word3", []int{3}, 2, 12},
		{"moved to another cube", func(x *index, ref refIndex) {
			put(x, ref, 0, 10)
			e := textEntry(4, "word4 shared", unitVec(4))
			e.h.cube = "b"
			x.putRef(ref, e)
		}, "word4", nil, 1, 10},
		{"removed then put again", func(x *index, ref refIndex) {
			put(x, ref, 0, 10)
			x.removeRef(ref, idOf(3))
			x.putRef(ref, textEntry(3, "word3 back", unitVec(3)))
		}, "back shared", seq(10), 1, 10},
		{"removed up to the compaction threshold", func(x *index, ref refIndex) {
			put(x, ref, 0, 100)
			remove(x, ref, 0, 82) // 82 removed, 18 live: not yet more than 64 over
		}, "shared word0 word81 word82", seq(100)[82:], 82, 100},
		{"one removal past the threshold compacts", func(x *index, ref refIndex) {
			put(x, ref, 0, 100)
			remove(x, ref, 0, 83)
		}, "shared word0 word82 word83", seq(100)[83:], 0, 17},
		{"removals after a compaction", func(x *index, ref refIndex) {
			put(x, ref, 0, 100)
			remove(x, ref, 0, 90)
		}, "shared word85", seq(100)[90:], 7, 17},
		{"one memory replaced again and again", func(x *index, ref refIndex) {
			// Entry 1 is put, then replaced 69 times: the 66th replacement leaves 66 removed
			// against 1 live and compacts; the last 3 stay posted.
			put(x, ref, 0, 1)
			for i := range 70 {
				x.putRef(ref, textEntry(1, fmt.Sprintf("again %d shared", i), unitVec(i)))
			}
		}, "again 5 69", []int{1}, 3, 2 + 3},
		{"everything removed", func(x *index, ref refIndex) {
			put(x, ref, 0, 10)
			remove(x, ref, 0, 10)
		}, "shared word1", nil, -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newIndex(testDim)
			ref := refIndex{}
			tc.run(x, ref)
			checkIndex(t, x, ref) // checks every partition's postings with checkLex
			scores := lexScores(t, x, tc.query)
			got := slices.Sorted(maps.Keys(scores))
			if !slices.Equal(got, tc.wantScored) && len(got)+len(tc.wantScored) > 0 {
				t.Errorf("bm25(%q) scores entries %v, want %v", tc.query, got, tc.wantScored)
			}
			p := x.users["u"][partKey{cube: "a", kind: memstore.KindFact}]
			if p == nil {
				if tc.wantDead != -1 {
					t.Fatalf("partition (u, a, fact) is gone")
				}
				return
			}
			if tc.wantDead == -1 {
				t.Fatalf("partition (u, a, fact) kept with %d entries, want it gone", len(p.order))
			}
			if p.lex.dead != tc.wantDead {
				t.Errorf("%d removed entries counted, want %d", p.lex.dead, tc.wantDead)
			}
			if n := len(p.lex.postings[shared]); n != tc.wantPosted {
				t.Errorf("posting list of %q holds %d entries, want %d", "shared", n, tc.wantPosted)
			}
		})
	}
}

func TestBM25RarerTermScoresHigher(t *testing.T) {
	// Entry 0 holds both terms; entries 1 and 2 are as long as each other and hold one each.
	english := []string{"common rare filler", "common alpha", "rare beta"}
	chinese := []string{"苹果 榴莲 水", "苹果 甲", "榴莲 乙"}
	for i := range 10 {
		english = append(english, fmt.Sprintf("common filler %d", i))
		chinese = append(chinese, fmt.Sprintf("苹果 水 %d", i))
	}
	gone := func(n int, text string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s gone %d", text, i)
		}
		return out
	}
	cases := []struct {
		name         string
		texts        []string // the live entries
		removed      []string // entries put and removed before the query
		rare, common string
	}{
		{"English", english, nil, "rare", "common"},
		{"Chinese", chinese, nil, "榴莲", "苹果"},
		{"after a few removals of entries that held the common term", english, gone(3, "common"), "rare", "common"},
		// Removed entries are compacted away only when they outnumber live ones by 64; until then
		// they must not make the rare term look common.
		{"after removals of entries that held the rare term, before compaction", english, gone(30, "rare"), "rare", "common"},
		{"after enough removals for a compaction", english, gone(78, "rare"), "rare", "common"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newIndex(testDim)
			ref := refIndex{}
			for i, text := range tc.removed {
				x.putRef(ref, textEntry(1000+i, text, unitVec(i)))
			}
			for i, text := range tc.texts {
				x.putRef(ref, textEntry(i, text, unitVec(i)))
			}
			for i := range tc.removed {
				x.removeRef(ref, idOf(1000+i))
			}
			checkIndex(t, x, ref)
			rare, common := lexScores(t, x, tc.rare), lexScores(t, x, tc.common)
			if !(rare[0] > common[0] && common[0] > 0) {
				t.Errorf("entry 0 (%q) scores %v for the rare %q and %v for the common %q; want the rare one higher, both positive",
					tc.texts[0], rare[0], tc.rare, common[0], tc.common)
			}
			both := lexScores(t, x, tc.common+" "+tc.rare)
			if !(both[2] > both[1] && both[1] > 0) {
				t.Errorf("for %q, %q scores %v and %q scores %v; want the one with the rare term higher, both positive",
					tc.common+" "+tc.rare, tc.texts[2], both[2], tc.texts[1], both[1])
			}
			for n, sc := range both {
				if !(sc > 0) {
					t.Errorf("for %q, entry %d (%q) scores %v; want a positive score", tc.common+" "+tc.rare, n, tc.texts[n], sc)
				}
			}
		})
	}
}

func TestSearchWithTextFindsLexicalOnlyMatches(t *testing.T) {
	cases := []struct {
		name   string
		near   int // entries close to the query vector, with common words only
		target refEntry
		scope  memstore.Scope
		f      memstore.Filter
		text   string
		limit  int
		want   bool // whether the target must be among the hits
	}{
		{"orthogonal vector", 20, textEntry(1000, "the quokka photo", unitVec(1)), memstore.Scope{UserID: "u"}, memstore.Filter{}, "quokka", 3, true},
		{"limit 1", 20, textEntry(1000, "the quokka photo", unitVec(1)), memstore.Scope{UserID: "u"}, memstore.Filter{}, "quokka", 1, true},
		{"more entries than the vector side ranks", 120, textEntry(1000, "the quokka photo", unitVec(1)), memstore.Scope{UserID: "u"}, memstore.Filter{}, "quokka", 3, true},
		{"opposite vector", 120, textEntry(1000, "the quokka photo", scaleVec(unitVec(0), -1)), memstore.Scope{UserID: "u"}, memstore.Filter{}, "a quokka", 5, true},
		{"Chinese", 60, textEntry(1000, "短尾矮袋鼠的照片", unitVec(2)), memstore.Scope{UserID: "u"}, memstore.Filter{}, "袋鼠", 3, true},
		{"expression on the index", 60, withTags(textEntry(1000, "the quokka photo", unitVec(1)), "pets"), memstore.Scope{UserID: "u"},
			memstore.Filter{Expr: mustExpr(t, `{"tags": "pets"}`)}, "quokka", 3, true},
		{"archived, left out by the filter", 60, withStatus(textEntry(1000, "the quokka photo", unitVec(1)), memstore.StatusArchived), memstore.Scope{UserID: "u"},
			memstore.Filter{}, "quokka", 3, false},
		{"another cube, out of scope", 60, withCube(textEntry(1000, "the quokka photo", unitVec(1)), "b"), memstore.Scope{UserID: "u", CubeIDs: []string{"a"}},
			memstore.Filter{}, "quokka", 3, false},
		{"words no entry holds", 60, textEntry(1000, "the quokka photo", unitVec(1)), memstore.Scope{UserID: "u"}, memstore.Filter{}, "zzzz", 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(tc.near)))
			x := newIndex(testDim)
			ref := refIndex{}
			for i := range tc.near {
				v := randomUnit(rng)
				for j := range v {
					v[j] *= 0.1
				}
				v[0] += 1
				x.putRef(ref, textEntry(i, fmt.Sprintf("note %d about the garden and the weather", i), memstore.Normalize(v)))
			}
			x.putRef(ref, tc.target)
			q := unitVec(0)
			hits := checkTextSearch(t, x, ref, tc.scope, tc.f, q, tc.text, tc.limit)
			found := slices.ContainsFunc(hits, func(s scored) bool { return s.e.id == tc.target.id })
			if found != tc.want {
				t.Errorf("search with text %q, limit %d: target %q among the hits = %v, want %v", tc.text, tc.limit, tc.target.h.text, found, tc.want)
			}
			if tc.name == "words no entry holds" {
				// With nothing lexical to fuse, the ranking is the vector one.
				byVector := x.search(tc.scope, tc.f, q, "", tc.limit)
				if !slices.EqualFunc(hits, byVector, func(a, b scored) bool { return a.e == b.e }) {
					t.Errorf("search with text %q that no entry holds differs from the search without text", tc.text)
				}
			}
		})
	}
}

func mustExpr(t *testing.T, js string) *memstore.Expr {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(js), &raw); err != nil {
		t.Fatal(err)
	}
	e, err := memstore.ParseFilter("filter", raw)
	if err != nil {
		t.Fatalf("ParseFilter(%s): %v", js, err)
	}
	return e
}

func scaleVec(v []float32, k float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * k
	}
	return out
}

func withTags(e refEntry, tags ...string) refEntry { e.h.tags = tags; return e }

func withStatus(e refEntry, s memstore.Status) refEntry { e.h.status = s; return e }

func withCube(e refEntry, cube string) refEntry { e.h.cube = cube; return e }

// bm25 collects bm25Each's scores by entry.
func bm25(parts []*part, f memstore.Filter, query []term) map[*entry]float64 {
	out := map[*entry]float64{}
	bm25Each(new(scoreBuf), parts, f, query, func(e *entry, score float64) {
		if _, dup := out[e]; dup {
			panic(fmt.Sprintf("bm25Each yielded entry %x twice", e.id))
		}
		out[e] = score
	})
	return out
}
