package qdrant

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// scrollPage is how many points one scroll or batch read asks for.
const scrollPage = 256

// Put implements memstore.Store. The batch is checked completely before it is sent, and sent as one
// upsert, so it is applied all or nothing.
func (s *Store) Put(ctx context.Context, memories []memstore.Memory) error {
	if len(memories) == 0 {
		return ctx.Err()
	}
	dim := len(memories[0].Embedding)
	points := make([]*qdrant.PointStruct, 0, len(memories))
	for _, m := range memories {
		if m.UserID == "" || m.CubeID == "" || m.CreatedAt.IsZero() {
			return fmt.Errorf("put: memory %s lacks a user, cube or creation time", m.ID)
		}
		if !m.Kind.Valid() || !m.Status.Valid() {
			return fmt.Errorf("put: memory %s has kind %q and status %q", m.ID, m.Kind, m.Status)
		}
		if len(m.Embedding) == 0 {
			return fmt.Errorf("put: memory %s has no embedding", m.ID)
		}
		if len(m.Embedding) != dim {
			return fmt.Errorf("put: memories of one batch have embeddings of %d and %d dimensions", dim, len(m.Embedding))
		}
		p, err := toPoint(m)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		points = append(points, p)
	}
	want, err := s.dimension(ctx, dim)
	if err != nil {
		return err
	}
	if dim != want {
		return s.dimMismatch("the embedding to store", dim, want)
	}
	return s.call(ctx, fmt.Sprintf("store %d memories", len(points)), func(ctx context.Context) error {
		_, err := s.client.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: s.names.memories, Wait: qdrant.PtrOf(true), Points: points})
		return err
	})
}

// ready reports whether the memories collection exists (it is made with the first vector).
func (s *Store) ready() bool { return s.Identity().Dim > 0 }

// Get implements memstore.Store.
func (s *Store) Get(ctx context.Context, ids []string) ([]memstore.Memory, error) {
	var pids []*qdrant.PointId
	var order []string
	for _, id := range ids {
		if p, canon, err := pointID(id); err == nil {
			pids = append(pids, p)
			order = append(order, canon)
		}
	}
	if len(pids) == 0 || !s.ready() {
		return []memstore.Memory{}, ctx.Err()
	}
	byID, err := s.getPoints(ctx, pids)
	if err != nil {
		return nil, err
	}
	out := make([]memstore.Memory, 0, len(order))
	for _, id := range order { // Qdrant does not promise the order of Get
		if m, ok := byID[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *Store) getPoints(ctx context.Context, ids []*qdrant.PointId) (map[string]memstore.Memory, error) {
	out := make(map[string]memstore.Memory, len(ids))
	for start := 0; start < len(ids); start += scrollPage {
		var pts []*qdrant.RetrievedPoint
		batch := ids[start:min(len(ids), start+scrollPage)]
		if err := s.call(ctx, "read memories", func(ctx context.Context) error {
			var err error
			pts, err = s.client.Get(ctx, &qdrant.GetPoints{CollectionName: s.names.memories, Ids: batch,
				WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectorsInclude(denseVector)})
			return err
		}); err != nil {
			return nil, err
		}
		for _, p := range pts {
			m, err := fromPoint(p.GetPayload(), p.GetVectors())
			if err != nil {
				return nil, err
			}
			out[m.ID] = m
		}
	}
	return out, nil
}

// Delete implements memstore.Store.
func (s *Store) Delete(ctx context.Context, ids []string) ([]string, error) {
	existing, err := s.Get(ctx, ids)
	if err != nil {
		return nil, err
	}
	deleted := make([]string, 0, len(existing))
	for _, m := range existing {
		if !slices.Contains(deleted, m.ID) {
			deleted = append(deleted, m.ID)
		}
	}
	return deleted, s.deleteIDs(ctx, deleted)
}

func (s *Store) deleteIDs(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += scrollPage {
		var pids []*qdrant.PointId
		for _, id := range ids[start:min(len(ids), start+scrollPage)] {
			pids = append(pids, qdrant.NewID(id))
		}
		if err := s.call(ctx, "delete memories", func(ctx context.Context) error {
			_, err := s.client.Delete(ctx, &qdrant.DeletePoints{CollectionName: s.names.memories, Wait: qdrant.PtrOf(true),
				Points: qdrant.NewPointsSelector(pids...)})
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// DeleteWhere implements memstore.Store.
func (s *Store) DeleteWhere(ctx context.Context, scope memstore.Scope, f memstore.Filter) ([]string, error) {
	if !s.ready() {
		return []string{}, ctx.Err()
	}
	ms, err := s.scrollAll(ctx, buildQuery(scope, f), false)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, s.deleteIDs(ctx, ids)
}

// scrollAll returns every memory matching q (by point id order); withVectors loads the vectors.
func (s *Store) scrollAll(ctx context.Context, q query, withVectors bool) ([]memstore.Memory, error) {
	var out []memstore.Memory
	var offset *qdrant.PointId
	for {
		var pts []*qdrant.RetrievedPoint
		var next *qdrant.PointId
		if err := s.call(ctx, "scan memories", func(ctx context.Context) error {
			var err error
			pts, next, err = s.client.ScrollAndOffset(ctx, &qdrant.ScrollPoints{CollectionName: s.names.memories, Filter: q.filter,
				Offset: offset, Limit: qdrant.PtrOf(uint32(scrollPage)), WithPayload: qdrant.NewWithPayload(true),
				WithVectors: denseOnly(withVectors)})
			return err
		}); err != nil {
			return nil, err
		}
		for _, p := range pts {
			m, err := fromPoint(p.GetPayload(), p.GetVectors())
			if err != nil {
				return nil, err
			}
			if q.keep(&m) {
				out = append(out, m)
			}
		}
		if next == nil || len(pts) == 0 {
			return out, nil
		}
		offset = next
	}
}

// count returns how many points of a collection match a server filter, exactly.
func (s *Store) count(ctx context.Context, collection string, f *qdrant.Filter) (int, error) {
	var n uint64
	err := s.call(ctx, "count points of "+collection, func(ctx context.Context) error {
		var err error
		n, err = s.client.Count(ctx, &qdrant.CountPoints{CollectionName: collection, Filter: f, Exact: qdrant.PtrOf(true)})
		return err
	})
	return int(n), err
}

// with returns f narrowed by more conditions.
func with(f *qdrant.Filter, conds ...*qdrant.Condition) *qdrant.Filter {
	return &qdrant.Filter{Must: append(slices.Clone(f.GetMust()), conds...), MustNot: f.GetMustNot()}
}

// Search implements memstore.Store. The vector ranking is Qdrant's nearest-neighbour query on the
// dense vector; with text, a second query on the sparse lexical vector ranks by keywords (IDF
// weighted), and the two rankings are fused by reciprocal rank fusion here, exactly as the
// embedded store does.
func (s *Store) Search(ctx context.Context, q memstore.VectorQuery) ([]memstore.Hit, error) {
	dim := s.Identity().Dim
	if dim == 0 {
		return nil, ctx.Err() // nothing stored yet
	}
	if len(q.Vector) != dim {
		return nil, s.dimMismatch("the query embedding", len(q.Vector), dim)
	}
	if q.Limit <= 0 {
		return nil, nil
	}
	vec := memstore.Normalize(q.Vector)
	qq := buildQuery(q.Scope, q.Filter)
	limit := q.Limit
	if qq.post != nil {
		// Conditions applied here: rank every candidate the server filter lets through.
		n, err := s.count(ctx, s.names.memories, qq.filter)
		if err != nil {
			return nil, err
		}
		limit = n
	}
	depth := limit
	if q.Text != "" {
		depth = max(limit*3, 50)
	}
	byVector, err := s.nearest(ctx, qq, qdrant.NewQueryDense(vec), denseVector, depth)
	if err != nil {
		return nil, err
	}
	hits := make([]memstore.Hit, 0, len(byVector))
	if q.Text == "" {
		for _, m := range byVector {
			c := cosine(vec, m.Embedding)
			hits = append(hits, memstore.Hit{Memory: m, Score: c, Relevance: c})
		}
		sortHits(hits)
	} else {
		var byText []memstore.Memory
		if idx, vals := sparseOf(q.Text); len(idx) > 0 {
			if byText, err = s.nearest(ctx, qq, qdrant.NewQuerySparse(idx, vals), sparseVector, depth); err != nil {
				return nil, err
			}
		}
		hits = fuse(vec, byVector, byText)
	}
	out := hits[:0]
	for _, h := range hits {
		if qq.keep(&h.Memory) {
			out = append(out, h)
		}
		if len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

// nearest runs one nearest-neighbour query and returns the memories best first.
func (s *Store) nearest(ctx context.Context, qq query, query *qdrant.Query, using string, limit int) ([]memstore.Memory, error) {
	if limit <= 0 {
		return nil, nil
	}
	var pts []*qdrant.ScoredPoint
	if err := s.call(ctx, "search memories", func(ctx context.Context) error {
		var err error
		pts, err = s.client.Query(ctx, &qdrant.QueryPoints{CollectionName: s.names.memories, Query: query, Using: qdrant.PtrOf(using),
			Filter: qq.filter, Limit: qdrant.PtrOf(uint64(limit)), WithPayload: qdrant.NewWithPayload(true),
			WithVectors: qdrant.NewWithVectorsInclude(denseVector)})
		return err
	}); err != nil {
		return nil, err
	}
	return memoriesOf(pts)
}

// rrfK is the reciprocal-rank-fusion constant, the same as the embedded store's.
const rrfK = 60

// fuse combines the vector and lexical rankings: a memory at rank r of a ranking gains 1/(rrfK+r).
// Relevance is the fused score scaled to [0, 1]; Score stays the cosine.
func fuse(vec []float32, byVector, byText []memstore.Memory) []memstore.Hit {
	fused := map[string]float64{}
	mems := map[string]memstore.Memory{}
	for r, m := range byVector {
		fused[m.ID] += 1 / float64(rrfK+r+1)
		mems[m.ID] = m
	}
	for r, m := range byText {
		fused[m.ID] += 1 / float64(rrfK+r+1)
		mems[m.ID] = m
	}
	const best = 2.0 / (rrfK + 1)
	hits := make([]memstore.Hit, 0, len(fused))
	for id, f := range fused {
		m := mems[id]
		hits = append(hits, memstore.Hit{Memory: m, Score: cosine(vec, m.Embedding), Relevance: f / best})
	}
	sortHits(hits)
	return hits
}

// sortHits orders by relevance, then by creation (newer first), then by id, so equal scores come
// back the same way every time.
func sortHits(hits []memstore.Hit) {
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.Relevance != b.Relevance {
			return a.Relevance > b.Relevance
		}
		if !a.Memory.CreatedAt.Equal(b.Memory.CreatedAt) {
			return a.Memory.CreatedAt.After(b.Memory.CreatedAt)
		}
		return strings.Compare(a.Memory.ID, b.Memory.ID) > 0
	})
}

// cosine of a unit query with a stored vector (Qdrant stores cosine vectors normalised).
func cosine(unit, v []float32) float64 {
	if len(unit) != len(v) {
		return 0
	}
	var dot float32
	for i := range unit {
		dot += unit[i] * v[i]
	}
	return float64(dot)
}

// List implements memstore.Store: a page of memories newest first, exactly in (created_at desc,
// id desc) order even where creation times tie, and the total.
//
// Qdrant orders by one payload key (here created_us, whole microseconds) and leaves ties in no
// defined order, so paging by offset over ties could repeat or skip points. So: the microsecond at
// the page's first position is found by an ordered query; the memories of later microseconds are
// counted; the page is then read from that microsecond on, the last microsecond's group is
// completed when the read cut it, every group is sorted exactly (nanoseconds, then id), and the
// page is cut from that exact order.
func (s *Store) List(ctx context.Context, q memstore.ListQuery) (memstore.Page, error) {
	if !s.ready() {
		return memstore.Page{Memories: []memstore.Memory{}}, ctx.Err()
	}
	qq := buildQuery(q.Scope, q.Filter)
	offset := max(q.Offset, 0)
	if qq.post != nil {
		// Conditions applied here: read every candidate, then order and page.
		all, err := s.scrollAll(ctx, qq, true)
		if err != nil {
			return memstore.Page{}, err
		}
		sortNewest(all)
		from := min(offset, len(all))
		return memstore.Page{Memories: all[from:min(len(all), from+max(q.Limit, 0))], Total: len(all)}, nil
	}
	total, err := s.count(ctx, s.names.memories, qq.filter)
	if err != nil {
		return memstore.Page{}, err
	}
	if offset >= total || q.Limit <= 0 {
		return memstore.Page{Memories: []memstore.Memory{}, Total: total}, nil
	}
	first, err := s.ordered(ctx, qq.filter, offset, 1, false)
	if err != nil {
		return memstore.Page{}, err
	}
	if len(first) == 0 { // deleted meanwhile
		return memstore.Page{Memories: []memstore.Memory{}, Total: total}, nil
	}
	us, _ := splitTime(first[0].CreatedAt)
	above, err := s.count(ctx, s.names.memories, with(qq.filter, qdrant.NewRange("created_us", &qdrant.Range{Gt: qdrant.PtrOf(float64(us))})))
	if err != nil {
		return memstore.Page{}, err
	}
	// Every memory of a later microsecond precedes the first one in any order by created_us, so
	// above <= offset (unless memories were added meanwhile).
	skip := max(offset-above, 0)
	want := skip + q.Limit
	batch, err := s.ordered(ctx, with(qq.filter, qdrant.NewRange("created_us", &qdrant.Range{Lte: qdrant.PtrOf(float64(us))})), 0, want+1, true)
	if err != nil {
		return memstore.Page{}, err
	}
	groups := groupByMicro(batch)
	if len(batch) > want && len(groups) > 0 { // the read was cut: its last group may be incomplete
		last := len(groups) - 1
		if groups[last], err = s.sameMicro(ctx, qq.filter, groups[last][0]); err != nil {
			return memstore.Page{}, err
		}
	}
	var ordered []memstore.Memory
	for _, g := range groups {
		ordered = append(ordered, g...)
	}
	skip = min(skip, len(ordered))
	page := ordered[skip:min(len(ordered), skip+q.Limit)]
	if offset+len(page) > total {
		// Memories were added while the page was read: count again, so the total covers the page.
		if total, err = s.count(ctx, s.names.memories, qq.filter); err != nil {
			return memstore.Page{}, err
		}
		page = page[:max(0, min(len(page), total-offset))]
	}
	return memstore.Page{Memories: page, Total: total}, nil
}

// ordered returns memories by created_us descending (ties in no defined order).
func (s *Store) ordered(ctx context.Context, f *qdrant.Filter, offset, limit int, withVectors bool) ([]memstore.Memory, error) {
	var pts []*qdrant.ScoredPoint
	if err := s.call(ctx, "list memories", func(ctx context.Context) error {
		var err error
		pts, err = s.client.Query(ctx, &qdrant.QueryPoints{CollectionName: s.names.memories, Filter: f,
			Query:  qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "created_us", Direction: qdrant.Direction_Desc.Enum()}),
			Offset: qdrant.PtrOf(uint64(offset)), Limit: qdrant.PtrOf(uint64(limit)),
			WithPayload: qdrant.NewWithPayload(true), WithVectors: denseOnly(withVectors)})
		return err
	}); err != nil {
		return nil, err
	}
	return memoriesOf(pts)
}

// sameMicro returns every memory matching f created in m's microsecond, in listing order.
func (s *Store) sameMicro(ctx context.Context, f *qdrant.Filter, m memstore.Memory) ([]memstore.Memory, error) {
	us, _ := splitTime(m.CreatedAt)
	group, err := s.scrollAll(ctx, query{filter: with(f, qdrant.NewMatchInt("created_us", us))}, true)
	if err != nil {
		return nil, err
	}
	sortNewest(group)
	return group, nil
}

// groupByMicro sorts memories in listing order and groups those created in the same microsecond.
func groupByMicro(ms []memstore.Memory) [][]memstore.Memory {
	sortNewest(ms)
	var groups [][]memstore.Memory
	last := int64(0)
	for _, m := range ms {
		us, _ := splitTime(m.CreatedAt)
		if n := len(groups); n > 0 && us == last {
			groups[n-1] = append(groups[n-1], m)
			continue
		}
		groups, last = append(groups, []memstore.Memory{m}), us
	}
	return groups
}

// sortNewest sorts by (created_at desc, id desc), the listing order.
func sortNewest(ms []memstore.Memory) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].CreatedAt.Equal(ms[j].CreatedAt) {
			return ms[i].CreatedAt.After(ms[j].CreatedAt)
		}
		return idBytes(ms[i].ID) > idBytes(ms[j].ID)
	})
}

// idBytes orders ids as the embedded store does: by their 16 bytes.
func idBytes(id string) string {
	u, err := uuid.Parse(id)
	if err != nil {
		return id
	}
	return string(u[:])
}

var _ memstore.Scanner = (*Store)(nil)

// Scan implements memstore.Scanner: a scroll by point id, which Qdrant orders as the UUIDs' bytes.
func (s *Store) Scan(ctx context.Context, after string, limit int) ([]memstore.Memory, error) {
	if !s.ready() || limit <= 0 {
		return nil, ctx.Err()
	}
	req := &qdrant.ScrollPoints{CollectionName: s.names.memories, Limit: qdrant.PtrOf(uint32(limit + 1)),
		WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectorsInclude(denseVector)}
	if after != "" {
		p, _, err := pointID(after)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		req.Offset = p // inclusive: the point after is skipped below
	}
	var pts []*qdrant.RetrievedPoint
	if err := s.call(ctx, "scan memories", func(ctx context.Context) error {
		var err error
		pts, err = s.client.Scroll(ctx, req)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]memstore.Memory, 0, limit)
	for _, p := range pts {
		m, err := fromPoint(p.GetPayload(), p.GetVectors())
		if err != nil {
			return nil, err
		}
		if m.ID == after || len(out) == limit {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// Total implements memstore.Scanner.
func (s *Store) Total(ctx context.Context) (int, error) {
	if !s.ready() {
		return 0, ctx.Err()
	}
	return s.count(ctx, s.names.memories, nil)
}

// denseOnly selects the dense vector when with is true (the lexical one is derived from the text).
func denseOnly(with bool) *qdrant.WithVectorsSelector {
	if !with {
		return qdrant.NewWithVectors(false)
	}
	return qdrant.NewWithVectorsInclude(denseVector)
}

// point is what scored and retrieved points share.
type point interface {
	GetPayload() map[string]*qdrant.Value
	GetVectors() *qdrant.VectorsOutput
}

// memoriesOf converts points of the memories collection.
func memoriesOf[P point](pts []P) ([]memstore.Memory, error) {
	out := make([]memstore.Memory, 0, len(pts))
	for _, p := range pts {
		m, err := fromPoint(p.GetPayload(), p.GetVectors())
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
