package embedded

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

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
	m := memstore.Memory{Kind: r.h.kind, Status: r.h.status, ConversationID: r.h.conv, UserID: r.h.user, CubeID: r.h.cube}
	if r.h.hasExpiry {
		t := time.Unix(r.h.expires.sec, int64(r.h.expires.nsec))
		m.ExpiresAt = &t
	}
	return m
}

// all returns the entries the query selects, newest first (created desc, id desc).
func (ref refIndex) all(scope memstore.Scope, f memstore.Filter) []refEntry {
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
			if len(p.rows) != len(p.order) || len(p.vecs) != len(p.rows)*x.dim {
				t.Errorf("%s: %d in order, %d rows, %d vector values (want %d); rows not packed",
					where, len(p.order), len(p.rows), len(p.vecs), len(p.order)*x.dim)
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
					r.h.expires != e.expires || r.h.hasExpiry != e.hasExpiry || r.h.status != e.status || r.h.conv != e.conv {
					t.Errorf("%s: entry %x is %+v in partition (%q, %q, %s), want %+v", where, e.id, *e, user, key.cube, key.kind, r.h)
				}
				if got := p.vecs[row*x.dim : (row+1)*x.dim]; !slices.Equal(got, r.vec) {
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
			return normalize(v)
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
	return refEntry{id: id, h: h, vec: randomUnit(rng)}
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
	return f
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

func TestDotProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 3, 4, 5, 8, 13, 384} {
		a, b := make([]float32, n), make([]float32, n+2) // b may be longer
		var want float64
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			want += float64(a[i]) * float64(b[i])
		}
		if got := dotProduct(a, b); math.Abs(float64(got)-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("dotProduct of length %d = %v, want %v", n, got, want)
		}
	}
}

// ns is the stamp n nanoseconds after the Unix epoch.
func ns(n int64) stamp { return stampOf(time.Unix(0, n)) }
