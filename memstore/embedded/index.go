package embedded

import (
	"bytes"
	"container/heap"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// index is the in-memory view of the store: every memory's header and vector, partitioned by
// (user, cube, kind) so a user's query touches only that user's memories. It is rebuilt from the
// database on open and kept in step by every write. Not safe for concurrent use; Store guards it.
type index struct {
	dim   int
	users map[string]map[partKey]*part
	byID  map[[16]byte]*entry
	// loading is set while the store bulk-loads its records at open: entries are appended to their
	// partition's order unsorted (records come in id order), and finishLoad sorts once.
	loading bool
	// scoreBufs recycles the per-row score arrays of searches, which run concurrently (*scoreBuf).
	scoreBufs sync.Pool
}

type partKey struct {
	cube string
	kind memstore.Kind
}

// part holds one (user, cube, kind) partition.
type part struct {
	user string
	key  partKey
	// order is sorted by (created, id) ascending; newest-first listing walks it backwards, so the
	// common case (a new memory is the newest) appends.
	order []*entry
	// vecs holds the vectors column by column: dimension d of row i is vecs[d*stride+i], and
	// rows[i] owns row i. A scan then streams through memory once per dimension the query uses
	// — few for the built-in embedder's sparse vectors — instead of jumping through every row.
	// Rows are packed: removing a row moves the last row into the hole, so a scan never skips gaps.
	// stride is how many rows the columns have room for; it doubles when full.
	vecs   []float32
	stride int
	rows   []*entry
	// statusCount and expiring let totals be answered without a scan when no filter needs one.
	statusCount map[memstore.Status]int
	expiring    int
	// lex is the keyword index. Partitions loaded at open build it on their first keyword search
	// (lexReady false until then), so a restart does not pay for every user's word lists.
	lex      lexIndex
	lexReady bool
	// loadBuf holds the vectors row by row while the store bulk-loads (see index.loading), in
	// chunks of loadChunk rows so growing never copies; they become columns once, at the end.
	loadBuf [][]float32
}

// entry is one memory in the index: what ordering, scoping, filtering and lexical scoring need.
type entry struct {
	id        [16]byte
	created   stamp
	updated   stamp
	expires   stamp
	hasExpiry bool
	status    memstore.Status
	conv      string
	part      *part
	row       int

	memoryType, preferenceType, polarity string
	key, topic                           string
	confidence                           float64
	tags                                 []string
	info                                 map[string]string

	terms   []term  // sorted by hash
	length  float32 // sum of the terms' frequencies
	removed bool    // removed from the index; still in some posting lists until compaction
}

func newIndex(dim int) *index {
	return &index{dim: dim, users: make(map[string]map[partKey]*part), byID: make(map[[16]byte]*entry)}
}

func (x *index) len() int { return len(x.byID) }

// less orders entries by (created, id) ascending.
func less(a, b *entry) bool {
	if a.created != b.created {
		return a.created.before(b.created)
	}
	return bytes.Compare(a.id[:], b.id[:]) < 0
}

// put adds or replaces the entry for id.
func (x *index) put(id [16]byte, h header, vec []float32) {
	if _, ok := x.byID[id]; ok {
		x.remove(id)
	}
	parts := x.users[h.user]
	if parts == nil {
		parts = make(map[partKey]*part)
		x.users[h.user] = parts
	}
	key := partKey{cube: h.cube, kind: h.kind}
	p := parts[key]
	if p == nil {
		p = &part{user: h.user, key: key, statusCount: make(map[memstore.Status]int), lexReady: !x.loading}
		parts[key] = p
	}
	e := &entry{id: id, created: h.created, updated: h.updated, expires: h.expires, hasExpiry: h.hasExpiry,
		status: h.status, conv: h.conv, part: p,
		memoryType: h.memoryType, preferenceType: h.preferenceType, polarity: h.polarity,
		key: h.key, topic: h.topic, confidence: h.confidence, tags: h.tags, info: h.info}
	if p.lexReady {
		e.setTerms(h.text)
		p.lex.add(e)
	}
	i := len(p.order)
	if !x.loading && i > 0 && less(e, p.order[i-1]) {
		i = sort.Search(len(p.order), func(j int) bool { return less(e, p.order[j]) })
	}
	if x.loading {
		p.order = append(p.order, e) // sorted once the load is done
	} else {
		p.order = slices.Insert(p.order, i, e)
	}
	e.row = len(p.rows)
	if x.loading {
		if e.row%loadChunk == 0 {
			p.loadBuf = append(p.loadBuf, make([]float32, 0, loadChunk*x.dim))
		}
		last := len(p.loadBuf) - 1
		p.loadBuf[last] = append(p.loadBuf[last], vec...)
	} else {
		if len(p.rows) == p.stride {
			p.grow(x.dim)
		}
		for d, v := range vec {
			p.vecs[d*p.stride+e.row] = v
		}
	}
	p.rows = append(p.rows, e)
	p.statusCount[h.status]++
	if h.hasExpiry {
		p.expiring++
	}
	x.byID[id] = e
}

// remove drops the entry for id, reporting whether there was one.
func (x *index) remove(id [16]byte) bool {
	e, ok := x.byID[id]
	if !ok {
		return false
	}
	delete(x.byID, id)
	p := e.part
	i := sort.Search(len(p.order), func(j int) bool { return !less(p.order[j], e) })
	for i < len(p.order) && p.order[i] != e {
		i++ // only reached if two entries share (created, id), which ids rule out
	}
	p.order = slices.Delete(p.order, i, i+1)
	last := len(p.rows) - 1
	if e.row != last {
		moved := p.rows[last]
		for d := 0; d < len(p.vecs); d += p.stride {
			p.vecs[d+e.row] = p.vecs[d+last]
		}
		p.rows[e.row] = moved
		moved.row = e.row
	}
	p.rows = p.rows[:last]
	if p.lexReady {
		p.lex.remove(e)
	}
	p.statusCount[e.status]--
	if e.hasExpiry {
		p.expiring--
	}
	if len(p.order) == 0 {
		parts := x.users[p.user]
		delete(parts, p.key)
		if len(parts) == 0 {
			delete(x.users, p.user)
		}
	}
	return true
}

// parts returns the partitions inside the scope holding the filter's kind, in a stable order.
func (x *index) parts(scope memstore.Scope, f memstore.Filter) []*part {
	var out []*part
	for key, p := range x.users[scope.UserID] {
		if (f.Kind == "" || key.kind == f.Kind) && scope.HasCube(key.cube) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *part) int {
		if c := bytes.Compare([]byte(a.key.cube), []byte(b.key.cube)); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.key.kind), []byte(b.key.kind))
	})
	return out
}

// matches reports whether e passes the filter (the kind is already chosen by the partition).
func matches(e *entry, f memstore.Filter) bool {
	if !f.MatchStatus(e.status) {
		return false
	}
	if f.ConversationID != "" && e.conv != f.ConversationID {
		return false
	}
	// Conditions on text fields need the record; the store applies them after loading.
	if f.Expr != nil && !f.Expr.NeedsText() && !f.Expr.Match(e) {
		return false
	}
	switch f.Expiry {
	case memstore.IncludeExpired:
		return true
	case memstore.OnlyExpired:
		return e.expired(f.Now)
	default:
		return !e.expired(f.Now)
	}
}

// expired reports whether e has an expiry at or before now (as memstore.Memory.Expired).
func (e *entry) expired(now time.Time) bool {
	return e.hasExpiry && !stampOf(now).before(e.expires)
}

// matchesAll reports whether every entry of p passes f, so counts and offsets need no scan.
func (p *part) matchesAll(f memstore.Filter) bool {
	if f.ConversationID != "" || f.Expr != nil {
		return false
	}
	if p.expiring > 0 && f.Expiry != memstore.IncludeExpired {
		return false
	}
	if f.Expiry == memstore.OnlyExpired {
		return false
	}
	for s, n := range p.statusCount {
		if n > 0 && !f.MatchStatus(s) {
			return false
		}
	}
	return true
}

// count returns how many entries of p pass f.
func (p *part) count(f memstore.Filter) int {
	if p.matchesAll(f) {
		return len(p.order)
	}
	n := 0
	for _, e := range p.order {
		if matches(e, f) {
			n++
		}
	}
	return n
}

// scored is a search candidate.
type scored struct {
	e     *entry
	score float64 // cosine to the query vector
	// relevance is what the results are ordered by: the cosine for a vector query, the fused rank
	// score scaled to [0, 1] (1: first in both rankings) for a query with text.
	relevance float64
}

// topK is a min-heap of the best candidates so far.
type topK []scored

func (h topK) Len() int           { return len(h) }
func (h topK) Less(i, j int) bool { return better(h[j], h[i]) }

// better ranks a above b: higher score first, and on equal scores the newer memory.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return less(b.e, a.e)
}
func (h topK) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *topK) Push(v any)   { *h = append(*h, v.(scored)) }
func (h *topK) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// search returns up to limit entries passing f, best first, each with its cosine similarity to q.
// Stored vectors are unit length (the store normalises them), so the dot product with a unit query
// is the cosine; when q is sparse (the built-in embedder's vectors are), only its non-zero
// dimensions are visited. Without text the order is by cosine. With text, the vector ranking and a
// BM25 ranking of the same entries are fused by reciprocal rank fusion, each contributing its best
// fuseDepth candidates.
func (x *index) search(scope memstore.Scope, f memstore.Filter, q []float32, text string, limit int) []scored {
	if limit <= 0 {
		return nil
	}
	parts := x.parts(scope, f)
	n := 0
	for _, p := range parts {
		n += len(p.rows)
	}
	limit = min(limit, n) // limit may be "everything" (math.MaxInt32)
	if limit == 0 {
		return nil
	}
	depth := limit
	if text != "" {
		depth = min(max(limit*3, 50), n)
	}
	buf := x.scoreBuf()
	defer x.scoreBufs.Put(buf)
	byVector := x.vectorTop(buf, parts, f, q, depth)
	if text == "" {
		return byVector
	}
	// The best depth keyword matches, by a bounded heap: common words match thousands of entries.
	h := make(topK, 0, depth+1)
	bm25Each(buf, parts, f, terms(text), func(e *entry, sc float64) {
		s := scored{e: e, score: sc}
		if len(h) < depth {
			heap.Push(&h, s)
		} else if better(s, h[0]) {
			h[0] = s
			heap.Fix(&h, 0)
		}
	})
	byText := make([]scored, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		byText[i] = heap.Pop(&h).(scored)
	}
	fused := make(map[*entry]float64, len(byVector)+len(byText))
	cosine := make(map[*entry]float64, len(byVector)+len(byText))
	for r, s := range byVector {
		fused[s.e] += 1 / float64(rrfK+r+1)
		cosine[s.e] = s.score
	}
	for r, s := range byText {
		fused[s.e] += 1 / float64(rrfK+r+1)
		if _, ok := cosine[s.e]; !ok {
			cosine[s.e] = float64(dotRow(s.e, q))
		}
	}
	out := make([]scored, 0, len(fused))
	for e, sc := range fused {
		out = append(out, scored{e: e, score: sc})
	}
	sort.Slice(out, func(i, j int) bool { return better(out[i], out[j]) })
	if len(out) > limit {
		out = out[:limit]
	}
	const best = 2.0 / (rrfK + 1) // first in both rankings
	for i := range out {
		out[i].relevance = out[i].score / best
		out[i].score = cosine[out[i].e]
	}
	return out
}

// scoreBuf takes a score buffer from the pool; the caller puts it back.
func (x *index) scoreBuf() *scoreBuf {
	if b, ok := x.scoreBufs.Get().(*scoreBuf); ok {
		return b
	}
	return new(scoreBuf)
}

// vectorTop returns the limit entries of parts passing f with the highest cosine to q.
func (x *index) vectorTop(buf *scoreBuf, parts []*part, f memstore.Filter, q []float32, limit int) []scored {
	var nz []int
	for i, v := range q {
		if v != 0 {
			nz = append(nz, i)
		}
	}
	h := make(topK, 0, limit+1)
	scores := buf.f32
	defer func() { buf.f32 = scores[:0] }()
	for _, p := range parts {
		n := len(p.rows)
		if n == 0 {
			continue
		}
		scores = slices.Grow(scores[:0], n)[:n]
		clear(scores)
		scoreColumns(scores, p, q, nz)
		all := p.matchesAll(f)
		for row, e := range p.rows {
			// The score is cheaper to check than the filter: most rows cannot enter a full heap.
			if len(h) == limit && limit > 0 && float64(scores[row]) < h[0].score {
				continue
			}
			if !all && !matches(e, f) {
				continue
			}
			s := scored{e: e, score: float64(scores[row]), relevance: float64(scores[row])}
			if len(h) < limit {
				heap.Push(&h, s)
			} else if better(s, h[0]) {
				h[0] = s
				heap.Fix(&h, 0)
			}
		}
	}
	out := make([]scored, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(scored)
	}
	return out
}

// scoreColumns adds q·v to scores[i] for every row i, reading only the columns of the query's
// nonzero dimensions nz, four at a time so each score is loaded and stored once per four.
func scoreColumns(scores []float32, p *part, q []float32, nz []int) {
	n := len(scores)
	k := 0
	for ; k+4 <= len(nz); k += 4 {
		q0, q1, q2, q3 := q[nz[k]], q[nz[k+1]], q[nz[k+2]], q[nz[k+3]]
		c0, c1, c2, c3 := p.col(nz[k])[:n], p.col(nz[k+1])[:n], p.col(nz[k+2])[:n], p.col(nz[k+3])[:n]
		for i := range scores {
			scores[i] += q0*c0[i] + q1*c1[i] + q2*c2[i] + q3*c3[i]
		}
	}
	for ; k < len(nz); k++ {
		qk, c := q[nz[k]], p.col(nz[k])[:n]
		for i := range scores {
			scores[i] += qk * c[i]
		}
	}
}

// dotRow is the dot product of e's vector with q, visiting only q's nonzero dimensions.
func dotRow(e *entry, q []float32) float32 {
	p := e.part
	var s float32
	for d, v := range q {
		if v != 0 {
			s += v * p.vecs[d*p.stride+e.row]
		}
	}
	return s
}

// list returns the ids of one page of entries passing f, newest first, and the total.
func (x *index) list(scope memstore.Scope, f memstore.Filter, offset, limit int) ([][16]byte, int) {
	offset = max(offset, 0)
	parts := x.parts(scope, f)
	total := 0
	for _, p := range parts {
		total += p.count(f)
	}
	if offset >= total || limit <= 0 {
		return nil, total
	}
	ids := make([][16]byte, 0, min(limit, total-offset))
	// One partition whose entries all match: the page is a slice of its order, found directly.
	if len(parts) == 1 && parts[0].matchesAll(f) {
		order := parts[0].order
		for i := len(order) - 1 - offset; i >= 0 && len(ids) < limit; i-- {
			ids = append(ids, order[i].id)
		}
		return ids, total
	}
	// Otherwise merge the partitions newest first, skipping what the filter rejects.
	cursors := make([]int, len(parts))
	for i, p := range parts {
		cursors[i] = len(p.order) - 1
	}
	skipped := 0
	for len(ids) < limit {
		best := -1
		for i, p := range parts {
			for cursors[i] >= 0 && !matches(p.order[cursors[i]], f) {
				cursors[i]--
			}
			if cursors[i] >= 0 && (best < 0 || less(parts[best].order[cursors[best]], p.order[cursors[i]])) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		e := parts[best].order[cursors[best]]
		cursors[best]--
		if skipped < offset {
			skipped++
			continue
		}
		ids = append(ids, e.id)
	}
	return ids, total
}

// matching returns the ids of every entry in the scope passing f.
func (x *index) matching(scope memstore.Scope, f memstore.Filter) [][16]byte {
	var ids [][16]byte
	for _, p := range x.parts(scope, f) {
		for _, e := range p.order {
			if matches(e, f) {
				ids = append(ids, e.id)
			}
		}
	}
	return ids
}

// grow doubles the room of p's columns.
func (p *part) grow(dim int) {
	stride := max(8, 2*p.stride)
	vecs := make([]float32, dim*stride)
	n := len(p.rows)
	for d := range dim {
		copy(vecs[d*stride:d*stride+n], p.vecs[d*p.stride:d*p.stride+n])
	}
	p.vecs, p.stride = vecs, stride
}

// col returns dimension d of p's rows.
func (p *part) col(d int) []float32 { return p.vecs[d*p.stride : d*p.stride+len(p.rows)] }

// finishLoad sorts every partition's order and turns its vectors into columns after a bulk load
// (see index.loading).
func (x *index) finishLoad() {
	for _, parts := range x.users {
		for _, p := range parts {
			p.transposeLoad(x.dim)
			slices.SortFunc(p.order, func(a, b *entry) int {
				if less(a, b) {
					return -1
				}
				if less(b, a) {
					return 1
				}
				return 0
			})
		}
	}
	x.loading = false
}

// loadChunk is how many rows one chunk of a bulk load holds: small enough for the chunk and the
// columns it feeds to stay in cache while it is transposed.
const loadChunk = 64

// transposeLoad moves the vectors loaded row by row into p's columns, a tile of rows at a time so
// both sides stay in cache.
func (p *part) transposeLoad(dim int) {
	n := len(p.rows)
	if p.loadBuf == nil || n == 0 {
		return
	}
	p.stride = n
	p.vecs = make([]float32, dim*n)
	for c, chunk := range p.loadBuf {
		r0 := c * loadChunk
		for r := 0; r+dim <= len(chunk); r += dim {
			row, at := chunk[r:r+dim], r0+r/dim
			for d, v := range row {
				p.vecs[d*n+at] = v
			}
		}
	}
	p.loadBuf = nil
}

// setTerms computes e's keyword terms from its text.
func (e *entry) setTerms(text string) {
	e.terms = terms(text)
	sort.Slice(e.terms, func(i, j int) bool { return e.terms[i].hash < e.terms[j].hash })
	e.length = 0
	for _, t := range e.terms {
		e.length += t.tf
	}
}

// lexPending returns the partitions among parts whose keyword index is not built yet.
func lexPending(parts []*part) []*part {
	var out []*part
	for _, p := range parts {
		if !p.lexReady {
			out = append(out, p)
		}
	}
	return out
}

// buildLex builds p's keyword index from its entries' texts (text returns an entry's text).
func (p *part) buildLex(text func(*entry) (string, error)) error {
	for _, e := range p.rows {
		t, err := text(e)
		if err != nil {
			return err
		}
		e.setTerms(t)
	}
	for _, e := range p.rows {
		p.lex.add(e)
	}
	p.lexReady = true
	return nil
}
